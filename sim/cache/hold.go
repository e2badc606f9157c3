package cache

import (
	"mksim/sim"
	"mksim/sim/mem"
)

// Fill hold: the forward-progress guarantee of a real coherence protocol.
// A line granted to an L1 for a demand access stays there, with the
// permission it was granted, from the grant until the access's completion
// has reached the core and the package's hold (Package.FillHold) has
// passed since. Without it a request already on its way (a receiver
// polling a URPC slot) takes the line back between the grant and the
// completion, or between two of the stores queued behind a missing store,
// which the store buffer drains one per cycle after the completion, and
// each of them misses again: the line bounces once per word.
//
// The package keeps the holds of its L1s in a short list (one entry per
// recent fill; expired ones are dropped as new ones come). What a hold
// blocks:
//
//   - a write hold (the L1 was granted the line to write): anything that
//     would downgrade or invalidate the copy while the L1 still has it
//     writable (E or M);
//   - a read hold: anything that would invalidate the copy. A read that
//     shares it (E or M -> S) keeps the data where the core can read it.
//
// Blocked work (an on-chip request, a probe, the end of the package's own
// write transaction) fires the Held event, whose row defers it: it waits
// in the line's holdWait and runs again, in arrival order, from an event at
// the time the hold ends. On-chip requests for a line with deferred work
// queue behind it even if no hold blocks them, so a stream of new grants
// cannot starve it. Holds end at a fixed time and new ones on a line with
// waiting work only come from work that was ahead of it, so every deferral
// ends: there is neither deadlock nor livelock. Evictions are not held
// back (a line just filled is the most recently used of its set).

// hold is one L1's hold on a line.
type hold struct {
	l1    *L1
	line  mem.LineAddr
	write bool
	until sim.Time
}

// Hold modes: what the blocked event would do to the copies on chip.
const (
	hmShare   uint8 = iota // downgrade copies to S: blocks write holds of other L1s
	hmInv                  // invalidate copies: blocks every hold of other L1s
	hmCluster              // drop one cluster's copy: blocks holds of its other L1s
	hmOthers               // invalidate the copies outside one cluster
)

// holdItem is one piece of deferred work: exactly one field is set.
type holdItem struct {
	r   *req     // an on-chip request
	m   *mem.Msg // a probe
	t   *ptxn    // the end of this package's write transaction t ...
	txn uint64   // ... if it is still transaction txn
}

// holdWait is the work deferred on one line; it runs again at until.
type holdWait struct {
	idx   int
	live  bool
	line  mem.LineAddr
	until sim.Time
	items []holdItem
}

// holdWake is the event handler that ends a wait.
type holdWake struct{ p *pkg }

func (h *holdWake) Name() string { return h.p.name + ".hold" }

// addHold records that l was granted line (to write if write) with its
// completion due at done.
func (p *pkg) addHold(l *L1, line mem.LineAddr, write bool, done sim.Time) {
	until := done + p.hold
	if now := p.s.e.Now(); p.holdEnd <= now {
		// Every hold has ended (the common case): start afresh.
		p.holds = p.holds[:0]
	} else {
		j := 0
		for _, h := range p.holds {
			if h.until > now && (h.l1 != l || h.line != line) {
				p.holds[j] = h
				j++
			}
		}
		p.holds = p.holds[:j]
	}
	p.holds = append(p.holds, hold{l1: l, line: line, write: write, until: until})
	p.holdEnd = max(p.holdEnd, until)
}

// holding reports whether some hold may still be in force.
func (p *pkg) holding() bool { return p.holdEnd > p.s.e.Now() }

// heldUntil returns when the last hold on line that an event of the given
// mode would break ends, or 0 if none would. req is the requesting L1 (its
// own holds never block it), cl the cluster the mode names.
func (p *pkg) heldUntil(line mem.LineAddr, req *L1, cl *cluster, mode uint8) sim.Time {
	now := p.s.e.Now()
	var until sim.Time
	for i := range p.holds {
		h := &p.holds[i]
		if h.line != line || h.until <= now || h.until <= until || h.l1 == req {
			continue
		}
		switch mode {
		case hmShare:
			if !h.write {
				continue
			}
		case hmCluster:
			if h.l1.cl != cl {
				continue
			}
		case hmOthers:
			if h.l1.cl == cl {
				continue
			}
		}
		// Only a copy the L1 still has (writable, for a write hold that
		// a share would break) is held.
		f := h.l1.arr.lookup(line)
		if f == nil || (mode == hmShare && f.st < l1E) {
			continue
		}
		until = h.until
	}
	return until
}

// takes reports whether the row for (st, ev) takes copies on chip: serves
// an on-chip request there, or shares or invalidates for a probe.
func (p *pkg) takes(st, ev uint8) bool {
	row := p.tab.lookup(st, ev)
	if row == nil {
		return false
	}
	for _, a := range row.acts() {
		switch a {
		case paGrantRead, paGrantWrite, paFlushLocal, paShareAll, paShareAllS, paInvAll:
			return true
		}
	}
	return false
}

// requestHeld decides whether an on-chip request r must wait (fire Held):
// the line has deferred work, or the row would take a held copy. It
// returns the time to wait until, or 0.
func (p *pkg) requestHeld(r *req, st, ev uint8) sim.Time {
	if w := p.waitFor(r.line); w != nil {
		return w.until
	}
	if !p.holding() {
		return 0
	}
	var mode uint8
	switch ev {
	case peRead:
		mode = hmShare
	case peWrite:
		mode = hmInv
	default:
		mode = hmCluster
	}
	u := p.heldUntil(r.line, r.l1, r.l1.cl, mode)
	if u == 0 || !p.takes(st, ev) {
		return 0
	}
	return u
}

// l2HitHeld reports whether an L2 hit for r (a read if !write) must go to
// the package instead, because it would take a held copy from another L1
// of the cluster or the line has deferred work.
func (p *pkg) l2HitHeld(r *req, write bool) bool {
	if p.nwait > 0 && p.waitFor(r.line) != nil {
		return true
	}
	if !p.holding() {
		return false
	}
	mode := hmShare
	if write {
		mode = hmInv
	}
	return p.heldUntil(r.line, r.l1, nil, mode) != 0
}

// waitFor returns the line's wait, or nil.
func (p *pkg) waitFor(line mem.LineAddr) *holdWait {
	if p.nwait == 0 {
		return nil
	}
	for _, w := range p.waits {
		if w.live && w.line == line {
			return w
		}
	}
	return nil
}

// deferWork is the defer action: the work in ctx waits on the line's wait
// (made, ending at ctx.until, if there is none).
func (p *pkg) deferWork(ctx *pctx) {
	w := p.waitFor(ctx.line)
	if w == nil {
		if ctx.until <= p.s.e.Now() {
			p.fail(ctx.line, pI, "deferred with no hold to wait for")
		}
		w = p.newWait(ctx.line, ctx.until)
	}
	switch {
	case ctx.r != nil:
		ctx.r.stage = stHeld
		w.items = append(w.items, holdItem{r: ctx.r})
	case ctx.m != nil:
		ctx.keep = true
		w.items = append(w.items, holdItem{m: ctx.m})
	default:
		w.items = append(w.items, holdItem{t: ctx.t, txn: ctx.t.txn})
	}
}

func (p *pkg) newWait(line mem.LineAddr, until sim.Time) *holdWait {
	var w *holdWait
	for _, x := range p.waits {
		if !x.live {
			w = x
			break
		}
	}
	if w == nil {
		w = &holdWait{idx: len(p.waits)}
		p.waits = append(p.waits, w)
	}
	w.live, w.line, w.until = true, line, until
	p.nwait++
	p.s.e.Post(until, &p.holdWake, uint64(w.idx))
	return w
}

// Handle ends a wait: its work runs again, in arrival order. Work that is
// still (or again) held waits anew.
func (h *holdWake) Handle(arg uint64) {
	p := h.p
	w := p.waits[arg]
	items := w.items
	w.items = p.spare[:0]
	w.live = false
	p.nwait--
	line := w.line
	for i := range items {
		it := items[i]
		items[i] = holdItem{}
		switch {
		case it.r != nil:
			p.request(it.r)
		case it.m != nil:
			p.probe(it.m)
		default:
			if t := p.txn(line); t == it.t && t.txn == it.txn {
				ctx := pctx{line: line, t: t, id: t.id}
				p.maybeComplete(&ctx)
			}
		}
		if checkInvariants {
			p.s.checkLine(line)
		}
	}
	p.spare = items[:0]
}
