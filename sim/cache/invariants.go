package cache

import (
	"fmt"

	"mksim/sim"
	"mksim/sim/mem"
)

// checkLine panics, naming the line and dumping its state everywhere, if
// an invariant is broken. It is called after every transition when built
// with -tags invariants.
func (s *System) checkLine(line mem.LineAddr) {
	if err := s.CheckLine(line); err != nil {
		sim.Failf("cache", "invariant", "%v\n%s", err, s.DumpLine(line))
	}
}

// pview is what the checker sees of one package for one line.
type pview struct {
	p        *pkg
	st       uint8
	busy     bool
	frames   frefs
	readable []mem.Data
	dirty    bool // holds data newer than memory
	owner    bool // responsible for the line (E, M, O and their transients)
}

// CheckLine checks the coherence invariants of one line across the whole
// system: per-chip copy states agree with the package state, L1s are
// included in their L2, one writer or many readers, at most one owner,
// every readable copy holds the same data, memory holds it when nobody
// owns it, and the directory agrees with the caches.
func (s *System) CheckLine(line mem.LineAddr) error {
	views := make([]pview, 0, len(s.pkgs))
	for _, p := range s.pkgs {
		v := pview{p: p}
		p.frames(line, &v.frames)
		if err := p.checkIndex(line); err != nil {
			return err
		}
		for i, t := range p.live {
			if p.lines[i] != t.line || t.slot != i {
				return fmt.Errorf("%s: live transaction %d for %v (slot %d) filed as %v", p.name, i, t.line, t.slot, p.lines[i])
			}
		}
		if t := p.txn(line); t != nil {
			v.st, v.busy = t.st, true
			if t.line != line {
				return fmt.Errorf("%s: transaction for %v filed under %v", p.name, t.line, line)
			}
		} else if v.frames.n > 0 {
			v.st = v.frames.fs[0].f.pst
			for i := 1; i < v.frames.n; i++ {
				if ps := v.frames.fs[i].f.pst; ps != v.st {
					return fmt.Errorf("%s: copies disagree on the package state (%s and %s)", p.name, pStateNames[v.st], pStateNames[ps])
				}
			}
			if v.st == pI || transientP(v.st) {
				return fmt.Errorf("%s: copies on chip in package state %s with no transaction", p.name, pStateNames[v.st])
			}
		}
		if err := s.checkChip(&v, line); err != nil {
			return fmt.Errorf("%s (state %s): %w", p.name, pStateNames[v.st], err)
		}
		views = append(views, v)
	}
	// One writer or many readers; at most one owner.
	owners, writers, readers := 0, 0, 0
	var ref *mem.Data
	anyDirty := false
	for i := range views {
		v := &views[i]
		if v.owner {
			owners++
		}
		if v.st == pE || v.st == pM || v.st == pEX || v.st == pMX {
			writers++
		}
		if len(v.readable) > 0 {
			readers++
		}
		anyDirty = anyDirty || v.dirty
		for j := range v.readable {
			if ref == nil {
				ref = &v.readable[j]
			} else if *ref != v.readable[j] {
				return fmt.Errorf("readable copies differ: %v has %x, another has %x", v.p.name, v.readable[j], *ref)
			}
		}
	}
	if owners > 1 {
		return fmt.Errorf("%d packages own the line", owners)
	}
	if writers > 1 || (writers == 1 && readers > 1) {
		return fmt.Errorf("%d packages may write and %d hold copies", writers, readers)
	}
	h := s.nodes[s.homeOf(line)].home
	hl := h.record(line)
	busy := hl != nil && (hl.st == hBusy || hl.st == hBusyWB || hl.st == hBS || hl.st == hBM)
	if busy {
		return nil
	}
	if !anyDirty && ref != nil {
		if m := s.memory.ReadLine(line); m != *ref {
			return fmt.Errorf("no dirty copy, yet memory holds %x and the caches %x", m, *ref)
		}
	}
	if !h.dir {
		return nil
	}
	owner, sharers, hst := mem.NodeID(-1), uint64(0), hI
	if hl != nil {
		owner, sharers, hst = hl.owner, hl.sharers, hl.st
	}
	switch hst {
	case hI:
		if owner >= 0 || sharers != 0 {
			return fmt.Errorf("directory I with owner %d sharers %#x", owner, sharers)
		}
	case hS:
		if owner >= 0 || sharers == 0 {
			return fmt.Errorf("directory S with owner %d sharers %#x", owner, sharers)
		}
	case hX:
		if owner < 0 || sharers != 0 {
			return fmt.Errorf("directory X with owner %d sharers %#x", owner, sharers)
		}
	case hO:
		if owner < 0 || sharers == 0 {
			return fmt.Errorf("directory O with owner %d sharers %#x", owner, sharers)
		}
	}
	for i := range views {
		v := &views[i]
		n := v.p.node
		switch v.st {
		case pE, pM, pO, pOM:
			if owner != n {
				return fmt.Errorf("%s is %s but the directory's owner is %d", v.p.name, pStateNames[v.st], owner)
			}
		case pS, pSM:
			if sharers&bit(n) == 0 && owner != n {
				return fmt.Errorf("%s is %s but not in the directory (sharers %#x)", v.p.name, pStateNames[v.st], sharers)
			}
		}
		if owner == n {
			switch v.st {
			case pE, pM, pO, pOM, pMI, pOI, pEI:
			default:
				return fmt.Errorf("the directory's owner %s is in state %s", v.p.name, pStateNames[v.st])
			}
		}
	}
	return nil
}

// allowed copy states per package state, as bit sets over copy states.
var chipStates = func() [numPStates]uint8 {
	var a [numPStates]uint8
	b := func(ss ...uint8) uint8 {
		m := uint8(0)
		for _, s := range ss {
			m |= 1 << s
		}
		return m
	}
	a[pS] = b(cS)
	a[pE] = b(cS, cE, cM)
	a[pO] = b(cS, cO)
	a[pM] = b(cS, cO, cM)
	a[pISd] = b(cS)
	a[pSM] = b(cS)
	a[pOM] = b(cS, cO)
	a[pSX], a[pEX], a[pOX], a[pMX] = a[pS], a[pE], a[pO], a[pM]
	return a
}()

func (s *System) checkChip(v *pview, line mem.LineAddr) error {
	p := v.p
	excl, own := 0, 0
	for i := 0; i < v.frames.n; i++ {
		r := v.frames.fs[i]
		st := r.f.st
		if chipStates[v.st]&(1<<st) == 0 {
			return fmt.Errorf("a copy in %s", cStateNames[st])
		}
		switch st {
		case cE, cM:
			excl++
		case cO:
			own++
		}
		if st == cO || st == cM {
			v.dirty = true
		}
		if r.c == nil {
			v.readable = append(v.readable, r.f.data)
			continue
		}
		data := r.f.data
		l1s := 0
		for k, l := range r.c.l1s {
			g := l.arr.lookup(line)
			if g == nil {
				continue
			}
			l1s++
			switch g.st {
			case l1M:
				data = g.data
				v.dirty = true
				fallthrough
			case l1E:
				if st != cE && st != cM {
					return fmt.Errorf("%s holds %s over an L2 copy in %s", l.name, l1StateNames[g.st], cStateNames[st])
				}
				if r.f.l1w&l1wBit(k) == 0 {
					return fmt.Errorf("%s holds %s but its L2 frame's l1w (%#x) lacks its bit: pull would miss it", l.name, l1StateNames[g.st], r.f.l1w)
				}
			}
			if g.st != l1M && g.data != r.f.data {
				return fmt.Errorf("%s holds clean data %x different from its L2's %x", l.name, g.data, r.f.data)
			}
		}
		for _, l := range r.c.l1s {
			if g := l.arr.lookup(line); g != nil && (g.st == l1E || g.st == l1M) && l1s > 1 {
				return fmt.Errorf("%s holds %s while another L1 of its cluster has the line", l.name, l1StateNames[g.st])
			}
		}
		v.readable = append(v.readable, data)
	}
	// L1 copies with no L2 copy (inclusion).
	for _, c := range p.clusters {
		if c.arr.lookup(line) != nil {
			continue
		}
		for _, l := range c.l1s {
			if g := l.arr.lookup(line); g != nil {
				return fmt.Errorf("%s holds the line in %s but its L2 does not", l.name, l1StateNames[g.st])
			}
		}
	}
	if excl > 0 && v.frames.n > 1 {
		return fmt.Errorf("an exclusive copy and %d others on chip", v.frames.n-1)
	}
	if own > 1 {
		return fmt.Errorf("%d owned copies on chip", own)
	}
	switch v.st {
	case pI, pIS, pIM, pIMD, pMI, pOI, pEI, pII, pIX:
		if v.frames.n > 0 {
			return fmt.Errorf("%d copies on chip", v.frames.n)
		}
	case pO, pOM, pOX:
		t := p.txn(line)
		if own != 1 && !(t != nil && t.hasVic && t.vicDirty) {
			return fmt.Errorf("package owns the line but no copy is O")
		}
	case pMX:
		if t := p.txn(line); v.frames.n == 0 && t.hasVic && t.vicDirty {
			break
		}
		fallthrough
	case pM:
		if own+excl != 1 {
			return fmt.Errorf("package has the line M but %d copies are O/E/M", own+excl)
		}
	}
	switch v.st {
	case pE, pM, pO, pOM, pEX, pMX, pOX:
		v.owner = true
	case pMI, pOI, pEI:
		// A directory home acknowledges a Put as it accepts it: until the
		// PutAck arrives the package holds a buffer it no longer owns.
		v.owner = !s.cfg.Scheme.directory()
	}
	if t := p.txn(line); t != nil && t.hasVic && t.vicDirty {
		v.dirty = true
	}
	switch v.st {
	case pMI, pOI, pOM:
		v.dirty = true
	}
	return nil
}

// checkIndex checks the package's line index against a tag scan of every
// array: frames trusts the index.
func (p *pkg) checkIndex(line mem.LineAddr) error {
	check := func(name string, a *array, k int) error {
		var want *frame
		if a != nil {
			want = a.lookup(line)
		}
		var got *frame
		if i := p.index.frame(line, k); i != 0 {
			if a == nil || int(i) > len(a.frames) {
				return fmt.Errorf("%s: line index names frame %d of a missing array %s", p.name, i-1, name)
			}
			got = &a.frames[i-1]
		}
		if got != want {
			return fmt.Errorf("%s: line index disagrees with a scan of %s (index %p, scan %p)", p.name, name, got, want)
		}
		return nil
	}
	for _, c := range p.clusters {
		if err := check(c.name, &c.arr, c.idx); err != nil {
			return err
		}
	}
	return check(p.l3name, p.l3, p.l3Array())
}
