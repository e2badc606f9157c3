package cache

import (
	"fmt"
	"math/bits"

	"mksim/sim"
	"mksim/sim/mem"
)

// ClusterStats counts one L2.
type ClusterStats struct {
	Hits, Misses uint64
}

// cluster is an L2 and the L1s above it. The L2 is inclusive of its L1s.
type cluster struct {
	s     *System
	pkg   *pkg
	index *lineIndex // the package's (&pkg.index): find inlines with one pointer less to follow
	idx   int
	l1s   []*L1
	arr   array
	lat   sim.Time
	snoop sim.Time // Cluster.L1Snoop
	mshrN int
	mshrU int
	wait  reqQueue
	stats ClusterStats
	name  string
}

func newCluster(s *System, p *pkg, idx int, cfg *Cluster) *cluster {
	c := &cluster{s: s, pkg: p, index: &p.index, idx: idx, arr: newArray(cfg.L2), lat: cfg.L2.Latency, snoop: cfg.L1Snoop, mshrN: max(cfg.L2.MSHRs, 1),
		name: fmt.Sprintf("node%d.L2.%d", p.node, idx)}
	for _, core := range cfg.Cores {
		l := newL1(s, core, c, cfg.L1)
		c.l1s = append(c.l1s, l)
		s.l1s[core] = l
	}
	return c
}

// step applies the copy table to an L2 frame.
func (c *cluster) step(f *frame, ev uint8, why string) {
	stepCopy(c.s, c.pkg, c.idx, c.name, f, ev, why)
}

// find returns the L2 frame holding line, or nil.
func (c *cluster) find(line mem.LineAddr) *frame {
	if i := c.index.frame(line, c.idx); i != 0 {
		return &c.arr.frames[i-1]
	}
	return nil
}

// stepCopy applies the copy table to frame f of array k of package p.
func stepCopy(s *System, p *pkg, k int, who string, f *frame, ev uint8, why string) {
	r := s.tabs.copy.lookup(f.st, ev)
	if r == nil {
		sim.Failf(who, cStateNames[f.st], "line %v: no transition for event %s (%s)", f.tag, cEventNames[ev], why)
	}
	f.st = r.next
	if r.next == cI {
		p.index.remove(f.tag, k)
		f.invalidate()
	}
}

// lookup is the L2 stage of an L1 miss.
func (c *cluster) lookup(r *req) {
	l1 := r.l1
	if r.op == mem.OpFlush || r.op == mem.OpInvalidate {
		c.toPackage(r)
		return
	}
	cls := opClass(r.op)
	// The line may have arrived meanwhile.
	if f1 := l1.arr.lookup(r.line); f1 != nil && l1.hitNext[cls][f1.st] != hitMiss {
		f1.st = l1.hitNext[cls][f1.st]
		l1.arr.touch(f1)
		r.result = perform(&f1.data, r.op, r.addr, r.val, r.old)
		r.src = SrcL1
		l1.completeAt(r, 0)
		return
	}
	ev := ceRead
	if cls == 1 {
		ev = ceWrite
	}
	if f := c.find(r.line); f != nil {
		row := c.s.tabs.copy.lookup(f.st, ev)
		if row != nil && row.n > 0 && row.act[0] == caHit && !(c.pkg.hold > 0 && c.pkg.l2HitHeld(r, cls == 1)) {
			f.st = row.next
			c.arr.touch(f)
			var d sim.Time
			if c.fillL1(l1, f, r) {
				d = c.snoop
			}
			c.stats.Hits++
			r.src = SrcL2
			l1.completeAt(r, d)
			return
		}
	}
	c.stats.Misses++
	c.toPackage(r)
}

// toPackage sends r on to the package controller, taking an L2 MSHR.
func (c *cluster) toPackage(r *req) { c.toPackageAfter(r, 0) }

// toPackageAfter is toPackage for a request whose L2 miss will be known
// only after d.
func (c *cluster) toPackageAfter(r *req, d sim.Time) {
	if c.mshrU >= c.mshrN {
		r.stage = stL2Wait
		c.wait.push(r)
		return
	}
	c.mshrU++
	r.holdsL2 = true
	r.stage = stToPkg
	e := c.s.e
	e.Post(e.Now()+d+c.pkg.cfg.ToPackage, &c.pkg.arrive, uint64(r.gid))
}

// release frees r's L2 MSHR, if it holds one.
func (c *cluster) release(r *req) {
	if !r.holdsL2 {
		return
	}
	r.holdsL2 = false
	c.mshrU--
	if w := c.wait.pop(); w != nil {
		c.toPackage(w)
	}
}

// l1wBit is L1 k's bit in frame.l1w: L1s k, k+8, k+16, ... share one.
func l1wBit(k int) uint8 { return 1 << (k & 7) }

// pull merges dirty L1 data of line into the L2 frame (L1 M -> E). Only
// an L1 that took the line E or M can have written it, and f2.l1w has its
// bit (fillL1 sets it; share and drop, which leave no L1 E or M, clear
// them all): most frames pulled, the shared lines', have none, and the
// test inlines.
func (c *cluster) pull(line mem.LineAddr, f2 *frame) {
	if f2.l1w != 0 {
		c.pullL1s(line, f2)
	}
}

func (c *cluster) pullL1s(line mem.LineAddr, f2 *frame) {
	for w := f2.l1w; w != 0; w &= w - 1 {
		for k := bits.TrailingZeros8(w); k < len(c.l1s); k += 8 {
			l := c.l1s[k]
			if g := l.arr.lookup(line); g != nil && g.st == l1M {
				l.step(g, l1Clean, f2)
			}
		}
	}
}

// share makes the cluster's copy shareable: L1s drop to S, the L2 copy
// takes ev (ceShare or ceShareS).
//
// The dirty data is pulled in the same pass (pull, then share, per L1): an
// L1 in M is the only L1 of its cluster with the line, so this is the
// order of a pull of every L1 followed by a share of every L1, with one
// tag lookup per L1 instead of two.
func (c *cluster) share(f2 *frame, ev uint8) {
	line := f2.tag
	for _, l := range c.l1s {
		if g := l.arr.lookup(line); g != nil {
			if g.st == l1M {
				l.step(g, l1Clean, f2)
			}
			l.step(g, l1Share, f2)
		}
	}
	f2.l1w = 0
	c.step(f2, ev, "share")
}

// drop removes the cluster's copy (L1s and L2) and returns its data and
// copy state. ev is ceInv or ceEvict.
// (Pull and invalidate in one pass, as in share.)
func (c *cluster) drop(f2 *frame, ev uint8) (mem.Data, uint8) {
	line := f2.tag
	for _, l := range c.l1s {
		if g := l.arr.lookup(line); g != nil {
			if g.st == l1M {
				l.step(g, l1Clean, f2)
			}
			l.step(g, l1Inv, f2)
		}
	}
	f2.l1w = 0
	d, st := f2.data, f2.st
	c.step(f2, ev, "drop")
	return d, st
}

// fillL1 fills l's L1 from the cluster's frame f2 (valid, with enough
// permission for r) and performs r there. It reports whether that took a
// snoop of another L1 of the cluster: the line was modified there, or r
// writes and a copy was there.
func (c *cluster) fillL1(l *L1, f2 *frame, r *req) (snooped bool) {
	line := f2.tag
	write := opClass(r.op) == 1
	others := false
	for _, o := range c.l1s {
		if o == l {
			continue
		}
		if g := o.arr.lookup(line); g != nil && (write || g.st == l1M) {
			snooped = true
		}
	}
	c.pull(line, f2)
	self := 0
	for k, o := range c.l1s {
		if o == l {
			self = k
			continue
		}
		g := o.arr.lookup(line)
		if g == nil {
			continue
		}
		if write {
			o.step(g, l1Inv, f2)
		} else {
			if g.st != l1S {
				o.step(g, l1Share, f2)
			}
			others = true
		}
	}
	f1 := l.arr.lookup(line)
	if f1 == nil {
		v := l.arr.victim(line)
		if v.valid() {
			l.step(v, l1Evict, c.find(v.tag))
		}
		f1 = v
		f1.tag = line
		f1.st = l1I
	}
	cls := opClass(r.op)
	if nx := l.hitNext[cls][f1.st]; nx != hitMiss {
		// Already there with enough permission (a prefetch filled it).
		f1.st = nx
	} else {
		if f1.st != l1M {
			f1.data = f2.data
		}
		ev := l1FillS
		switch {
		case write:
			ev = l1FillM
		case (f2.st == cE || f2.st == cM) && !others:
			ev = l1FillE
		}
		l.step(f1, ev, f2)
	}
	// The other L1s are left I or S: only l may now hold the line E or M.
	f2.l1w = 0
	if f1.st == l1E || f1.st == l1M {
		f2.l1w = l1wBit(self)
	}
	l.arr.touch(f1)
	c.arr.touch(f2)
	r.result = perform(&f1.data, r.op, r.addr, r.val, r.old)
	return snooped
}

// install puts line into the L2 with copy state st, package state pst and
// data, replacing a victim if the set is full. The victim's L1 copies are
// invalidated and the victim goes to the L3 (or leaves the chip).
func (c *cluster) install(line mem.LineAddr, st, pst uint8, data mem.Data, id mem.OpID) *frame {
	if f := c.find(line); f != nil {
		sim.Failf(c.name, cStateNames[f.st], "line %v: installed twice", line)
	}
	vi := c.arr.victimAt(line)
	v := &c.arr.frames[vi]
	var vic copyRec
	if v.valid() {
		vl, vpst := v.tag, v.pst
		d, vst := c.drop(v, ceEvict)
		vic = copyRec{line: vl, st: vst, pst: vpst, data: d, ok: true}
	}
	v.tag, v.st, v.pst, v.data = line, st, pst, data
	c.pkg.index.add(line, c.idx, vi)
	c.arr.touch(v)
	if vic.ok {
		c.pkg.placeVictim(&vic, id)
	}
	return v
}
