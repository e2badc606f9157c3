package cache

import (
	"fmt"

	"mksim/sim"
	"mksim/sim/mem"
)

// These helpers let a caller (tests, `mksim probe`) put lines into known
// states with real accesses and measure load-to-use latencies. They run the
// engine themselves, so they must be called from outside the engine (never
// from an event), on a machine with nothing else in flight.

type syncDone struct {
	ok  bool
	res uint64
}

func (d *syncDone) Complete(r uint64) { d.ok, d.res = true, r }

// Access performs a on core's L1 and runs the engine until it completes.
// It returns the access's result and its latency: for an L1 hit the hit
// latency (no simulated time passes), otherwise the simulated time from
// issue to completion.
func (s *System) Access(core int, a *mem.Access) (uint64, sim.Time) {
	l := s.l1s[core]
	if res, lat, ok := l.Hit(a); ok {
		return res, lat
	}
	d := &syncDone{}
	start := s.e.Now()
	l.Issue(a, d)
	s.e.RunWhile(func() bool { return !d.ok })
	if !d.ok {
		sim.Failf(l.name, "access", "%v never completed (engine idle or stopped at %v)\n%s", a, s.e.Now(), s.DumpInFlight())
	}
	return d.res, s.e.Now() - start
}

// Settle runs the engine until the memory system is quiet (writebacks,
// prefetches and the Done messages that trail every transaction). The
// engine must have no other periodic work.
func (s *System) Settle() { s.e.RunUntilIdle() }

// MeasureLoad returns the load-to-use latency of a load of a by core, and
// where its data came from.
func (s *System) MeasureLoad(core int, a mem.Addr) (sim.Time, Source) {
	acc := mem.Access{Op: mem.OpLoad, Addr: a}
	l := s.l1s[core]
	if _, lat, ok := l.Hit(&acc); ok {
		return lat, SrcL1
	}
	_, lat := s.Access(core, &acc)
	return lat, l.lastSrc
}

// EvictL1 replaces the line holding a from core's L1, as a conflict miss
// would (dirty data goes to the L2).
func (s *System) EvictL1(core int, a mem.Addr) {
	l := s.l1s[core]
	line := a.Line()
	if f := l.arr.lookup(line); f != nil {
		l.step(f, l1Evict, l.cl.arr.lookup(line))
	}
}

// EvictL2 replaces the line holding a from the L2 of core's cluster (and
// so from its L1s), as a conflict miss would: with an L3 the line becomes
// an L3 victim; without, it leaves the chip (writeback if it was the last
// dirty copy). Call Settle afterwards to let a writeback finish.
func (s *System) EvictL2(core int, a mem.Addr) {
	c := s.l1s[core].cl
	line := a.Line()
	f := c.arr.lookup(line)
	if f == nil {
		return
	}
	pst := f.pst
	d, st := c.drop(f, ceEvict)
	c.pkg.placeVictim(&copyRec{line: line, st: st, pst: pst, data: d, ok: true}, 0)
}

// Stats is every counter of the memory system.
type Stats struct {
	L1       []L1Stats      // by core
	L2       []ClusterStats // by cluster, in config order
	Packages []PackageStats // in config order
	Homes    map[mem.NodeID]HomeStats
}

// Stats returns a snapshot of every counter.
func (s *System) Stats() Stats {
	st := Stats{Homes: map[mem.NodeID]HomeStats{}}
	for _, l := range s.l1s {
		st.L1 = append(st.L1, l.stats)
	}
	for _, p := range s.pkgs {
		for _, c := range p.clusters {
			st.L2 = append(st.L2, c.stats)
		}
		st.Packages = append(st.Packages, p.stats)
	}
	for i := range s.nodes {
		if h := s.nodes[i].home; h != nil {
			st.Homes[h.node] = h.stats
		}
	}
	return st
}

// String summarises the counters.
func (st Stats) String() string {
	var l1h, l1m, l2h, l2m uint64
	for _, l := range st.L1 {
		l1h += l.Hits
		l1m += l.Misses
	}
	for _, c := range st.L2 {
		l2h += c.Hits
		l2m += c.Misses
	}
	return fmt.Sprintf("L1 %d hits %d misses, L2 %d hits %d misses", l1h, l1m, l2h, l2m)
}
