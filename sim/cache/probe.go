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
	l := s.l1(core)
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
	l := s.l1(core)
	if _, lat, ok := l.Hit(&acc); ok {
		return lat, SrcL1
	}
	_, lat := s.Access(core, &acc)
	return lat, l.lastSrc
}

// EvictL1 replaces the line holding a from core's L1, as a conflict miss
// would (dirty data goes to the L2).
func (s *System) EvictL1(core int, a mem.Addr) {
	l := s.l1(core)
	line := a.Line()
	if f := l.arr.lookup(line); f != nil {
		l.step(f, l1Evict, l.cl.find(line))
	}
}

// EvictL2 replaces the line holding a from the L2 of core's cluster (and
// so from its L1s), as a conflict miss would: with an L3 the line becomes
// an L3 victim; without, it leaves the chip (writeback if it was the last
// dirty copy). Call Settle afterwards to let a writeback finish.
func (s *System) EvictL2(core int, a mem.Addr) {
	c := s.l1(core).cl
	line := a.Line()
	f := c.find(line)
	if f == nil {
		return
	}
	pst := f.pst
	d, st := c.drop(f, ceEvict)
	c.pkg.placeVictim(&copyRec{line: line, st: st, pst: pst, data: d, ok: true}, 0)
}

// Stats is every counter of the memory system.
type Stats struct {
	L1       []L1Stats      // by core index (zero for cores without an L1 here)
	L2       []ClusterStats // by cluster, in config order
	Packages []PackageStats // in config order
	Homes    map[mem.NodeID]HomeStats
}

// Stats returns a snapshot of every counter.
func (s *System) Stats() Stats {
	st := Stats{Homes: map[mem.NodeID]HomeStats{}}
	for _, l := range s.l1s {
		if l == nil {
			st.L1 = append(st.L1, L1Stats{})
			continue
		}
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

// ProbeSpec describes a load-to-use probe from one core.
type ProbeSpec struct {
	Reader int // the core whose loads are measured
	// Fresh returns a line-aligned address homed at node home that no
	// earlier call returned and nothing has touched.
	Fresh func(home mem.NodeID) mem.Addr
}

// ProbeResult is load-to-use latency by where the data is. Zero means the
// machine has no such place (no L3, no other core on the package).
type ProbeResult struct {
	L1, L2, L3 sim.Time
	Package    sim.Time                // dirty in another core's L1/L2 on the reader's package
	Cache      map[mem.NodeID]sim.Time // dirty in a core of that node, line homed at the reader's node
	Memory     map[mem.NodeID]sim.Time // uncached line homed at that node
}

// Probe measures the reader's load-to-use latency from every level and
// every node, with real accesses to warm lines up (the way `mksim probe`
// reports the HotOS table). It runs the engine and must be called on an
// otherwise idle machine, from outside the engine.
func (s *System) Probe(spec ProbeSpec) (ProbeResult, error) {
	res := ProbeResult{Cache: map[mem.NodeID]sim.Time{}, Memory: map[mem.NodeID]sim.Time{}}
	r := spec.Reader
	self := s.NodeOf(r)
	measure := func(what string, a mem.Addr, want Source) (sim.Time, error) {
		s.Settle()
		lat, src := s.MeasureLoad(r, a)
		s.Settle()
		if src != want {
			return lat, fmt.Errorf("probe %s: load of %v served by %v, want %v", what, a, src, want)
		}
		return lat, nil
	}
	var err error
	warm := func(core int, op mem.Op, a mem.Addr) {
		acc := mem.Access{Op: op, Addr: a, Value: 1}
		s.Access(core, &acc)
	}
	a := spec.Fresh(self)
	warm(r, mem.OpLoad, a)
	if res.L1, err = measure("L1", a, SrcL1); err != nil {
		return res, err
	}
	a = spec.Fresh(self)
	warm(r, mem.OpLoad, a)
	s.EvictL1(r, a)
	if res.L2, err = measure("L2", a, SrcL2); err != nil {
		return res, err
	}
	if s.l1(r).cl.pkg.l3 != nil {
		a = spec.Fresh(self)
		warm(r, mem.OpLoad, a)
		s.EvictL2(r, a)
		if res.L3, err = measure("L3", a, SrcL3); err != nil {
			return res, err
		}
	}
	for _, core := range s.Cores() {
		if s.NodeOf(core) == self && s.l1s[core].cl != s.l1s[r].cl {
			a = spec.Fresh(self)
			warm(core, mem.OpStore, a)
			if res.Package, err = measure("package", a, SrcPackage); err != nil {
				return res, err
			}
			break
		}
	}
	for _, p := range s.pkgs {
		if p.node == self {
			continue
		}
		a = spec.Fresh(self)
		warm(p.clusters[0].l1s[0].core, mem.OpStore, a)
		if res.Cache[p.node], err = measure(fmt.Sprintf("cache at node %d", p.node), a, SrcRemote); err != nil {
			return res, err
		}
	}
	for i := range s.nodes {
		if h := s.nodes[i].home; h != nil {
			if res.Memory[h.node], err = measure(fmt.Sprintf("memory at node %d", h.node), spec.Fresh(h.node), SrcRemote); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}
