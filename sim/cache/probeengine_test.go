package cache

import (
	"slices"
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// Tests of the per-node probe engine (probeengine.go): one probe at a time
// per node, Package.ProbeOccupancy each from the network and
// Package.SiblingOccupancy each on chip (the same here unless a test says
// otherwise).

// buildOcc builds c's machine (as tconf.build) with package n's
// ProbeOccupancy set to occ(n).
func buildOcc(t testing.TB, c tconf, occ func(n int) sim.Time, seed uint64) (*sim.Engine, *System) {
	e, s, _ := buildOccCounted(t, c, occ, seed)
	return e, s
}

// deferCounter sits between the network and the system and counts the
// network probes the receiving package's engine deferred (queued), and
// the deepest queue seen.
type deferCounter struct {
	s        *System
	probes   int
	deferred int
	maxDepth int
}

func (d *deferCounter) Receive(m *mem.Msg) {
	kind, dst := m.Kind, m.Dst // m may be freed (and reused) by Receive
	d.s.Receive(m)
	switch kind {
	case KPrbS, KPrbM, KFwdS, KFwdM:
	default:
		return
	}
	d.probes++
	p := d.s.nodes[dst].pkg
	if depth := len(p.probeQ) - p.probeHead; depth > 0 && p.probeQ[len(p.probeQ)-1] == m {
		d.deferred++
		d.maxDepth = max(d.maxDepth, depth)
	}
}

// buildOccCounted is buildOcc, also returning the deferCounter it puts in
// front of the system.
func buildOccCounted(t testing.TB, c tconf, occ func(n int) sim.Time, seed uint64) (*sim.Engine, *System, *deferCounter) {
	return buildOccSplit(t, c, occ, 0, seed)
}

// buildOccSplit is buildOccCounted with the sibling occupancy of every
// engine that has one set to sib instead (0: the same as its network
// probes').
func buildOccSplit(t testing.TB, c tconf, occ func(n int) sim.Time, sib sim.Time, seed uint64) (*sim.Engine, *System, *deferCounter) {
	t.Helper()
	e, s, n := c.buildWith(t, seed, func(cfg *Config) {
		for i := range cfg.Packages {
			o := occ(int(cfg.Packages[i].Node))
			so := o
			if o > 0 && sib > 0 {
				so = sib
			}
			cfg.Packages[i].ProbeOccupancy, cfg.Packages[i].SiblingOccupancy = o, so
		}
	})
	dc := &deferCounter{s: s}
	n.recv = dc
	return e, s, dc
}

// occOp is one access of a probe-engine scenario: core does op on addr.
type occOp struct {
	core int
	op   mem.Op
	addr mem.Addr
}

// occScenario warms lines up (each warm store makes the line dirty in that
// core's caches), then issues every op at the same engine time and returns
// each op's latency and the probes each package took in.
type occScenario struct {
	c    tconf
	warm []occOp // stores, done one by one before the measured ops
	ops  []occOp // issued together
	// engines are the nodes whose probe engines have the occupancy (the
	// others have none); nil: every node's.
	engines []int
	// sibling, if not 0, is those engines' sibling occupancy (their
	// network probes' is the occupancy run is given).
	sibling sim.Time
}

type occResult struct {
	lat      []sim.Time
	res      []uint64
	probesIn []uint64 // per package, during the measured ops
}

func (sc occScenario) run(t *testing.T, occ sim.Time) occResult {
	t.Helper()
	e, s, _ := buildOccSplit(t, sc.c, func(n int) sim.Time {
		if sc.engines == nil || slices.Contains(sc.engines, n) {
			return occ
		}
		return 0
	}, sc.sibling, 1)
	for i, w := range sc.warm {
		store(s, w.core, w.addr, uint64(100+i))
		s.Settle()
	}
	before := s.Stats()
	// Well past the warm-up: its fill holds and the probe engines are
	// idle.
	start := e.Now() + sim.Microsecond
	ops := make([]*timedOp, len(sc.ops))
	for i, o := range sc.ops {
		ops[i] = &timedOp{s: s, core: o.core, a: mem.Access{Op: o.op, Addr: o.addr, Value: uint64(200 + i)}}
		ops[i].schedule(start)
	}
	s.Settle()
	var r occResult
	for i, o := range ops {
		if !o.done {
			t.Fatalf("occupancy %v: op %d (%+v) did not complete\n%s", occ, i, sc.ops[i], s.DumpInFlight())
		}
		if o.hit {
			t.Fatalf("occupancy %v: op %d (%+v) hit in the L1; the scenario measures nothing", occ, i, sc.ops[i])
		}
		r.lat = append(r.lat, o.at-start)
		r.res = append(r.res, o.res)
	}
	after := s.Stats()
	for i := range after.Packages {
		r.probesIn = append(r.probesIn, after.Packages[i].ProbesIn-before.Packages[i].ProbesIn)
	}
	for _, o := range append(append([]occOp(nil), sc.warm...), sc.ops...) {
		if err := s.CheckLine(o.addr.Line()); err != nil {
			t.Fatalf("occupancy %v: %v", occ, err)
		}
	}
	return r
}

func absTime(d sim.Time) sim.Time {
	if d < 0 {
		return -d
	}
	return d
}

const probeOcc = 40 * sim.Nanosecond

// hetConf is a small HT broadcast machine: four packages in a ring, two
// cores each (private L2s), an L3, realistic sizes. Node n's memory is
// [n*memPerNode, (n+1)*memPerNode); core k is on node k/2.
var hetConf = tconf{scheme: Broadcast, nodes: 4, cores: 2, l3: true, big: true}

// TestProbeEngineUncontended: a lone transfer costs the same with and
// without the probe engine's occupancy: a probe that finds the engine free
// starts at once.
func TestProbeEngineUncontended(t *testing.T) {
	for _, sc := range []struct {
		name string
		occScenario
	}{
		// Off chip: line homed at node 0, dirty at node 2 (core 4); core 2
		// (node 1) reads it, then writes it.
		{"remote dirty read", occScenario{c: hetConf,
			warm: []occOp{{4, mem.OpStore, 0x1000}},
			ops:  []occOp{{2, mem.OpLoad, 0x1000}}}},
		{"remote dirty write", occScenario{c: hetConf,
			warm: []occOp{{4, mem.OpStore, 0x1000}},
			ops:  []occOp{{2, mem.OpStore, 0x1000}}}},
		// From memory: every node is probed and none has it.
		{"memory read", occScenario{c: hetConf,
			ops: []occOp{{2, mem.OpLoad, 2*memPerNode + 0x1000}}}},
		// On chip: core 1 reads and writes a line dirty in core 0's L2.
		{"sibling read", occScenario{c: hetConf,
			warm: []occOp{{0, mem.OpStore, 0x1000}},
			ops:  []occOp{{1, mem.OpLoad, 0x1000}}}},
		{"sibling write", occScenario{c: hetConf,
			warm: []occOp{{0, mem.OpStore, 0x1000}},
			ops:  []occOp{{1, mem.OpStore, 0x1000}}}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			off := sc.run(t, 0)
			on := sc.run(t, probeOcc)
			t.Logf("latency %v without the engine's occupancy, %v with %v; probes in %v", off.lat[0], on.lat[0], probeOcc, on.probesIn)
			if on.lat[0] != off.lat[0] {
				t.Errorf("uncontended latency %v with occupancy %v, %v without", on.lat[0], probeOcc, off.lat[0])
			}
			if on.res[0] != off.res[0] {
				t.Errorf("result %d with occupancy, %d without", on.res[0], off.res[0])
			}
		})
	}
}

// TestProbeEngineSerialises: two transactions issued at the same time, for
// different lines, whose probes meet at one node's engine complete about
// ProbeOccupancy further apart than without it: the engine serialises
// probes whatever their line.
// The scenarios of the serialisation tests.
//
// Off chip: lines A (0x1000) and B (0x2000) are homed at node 0 and dirty
// at node 2; cores 2 (node 1) and 6 (node 3), each one hop from the home
// and from node 2, miss on A and B at the same time. The home broadcasts
// both probes at once, so they reach node 2's engine (and node 0's)
// together. With the occupancy on node 2's engine alone, the owner's
// engine is what serialises them.
//
// On chip: a package of four cores (private L2s, shared L3); A and B are
// dirty in cores 2 and 3; cores 0 and 1 read (or write) them at the same
// time. Both are served by sibling probes, which take the package's
// engine.
var (
	dirtyAt2    = []occOp{{4, mem.OpStore, 0x1000}, {5, mem.OpStore, 0x2000}}
	reads       = []occOp{{2, mem.OpLoad, 0x1000}, {6, mem.OpLoad, 0x2000}}
	writes      = []occOp{{2, mem.OpStore, 0x1000}, {6, mem.OpStore, 0x2000}}
	onChip      = tconf{scheme: Broadcast, nodes: 2, cores: 4, l3: true, big: true}
	dirtyOnChip = []occOp{{2, mem.OpStore, 0x1000}, {3, mem.OpStore, 0x2000}}
)

func TestProbeEngineSerialises(t *testing.T) {
	for _, sc := range []struct {
		name string
		occScenario
	}{
		{"remote reads/owner engine", occScenario{c: hetConf, warm: dirtyAt2, ops: reads, engines: []int{2}}},
		{"remote reads/every engine", occScenario{c: hetConf, warm: dirtyAt2, ops: reads}},
		{"remote writes/owner engine", occScenario{c: hetConf, warm: dirtyAt2, ops: writes, engines: []int{2}}},
		{"remote writes/every engine", occScenario{c: hetConf, warm: dirtyAt2, ops: writes}},
		// One owner core holding both lines: the same.
		{"remote reads/one owner core", occScenario{c: hetConf,
			warm: []occOp{{4, mem.OpStore, 0x1000}, {4, mem.OpStore, 0x2000}}, ops: reads, engines: []int{2}}},
		// A directory forwards each request to the owner alone.
		{"directory reads/owner engine", occScenario{c: tconf{scheme: Directory, nodes: 4, cores: 2, l3: true, big: true},
			warm: dirtyAt2, ops: reads, engines: []int{2}}},
		{"sibling reads", occScenario{c: onChip, warm: dirtyOnChip,
			ops: []occOp{{0, mem.OpLoad, 0x1000}, {1, mem.OpLoad, 0x2000}}, engines: []int{0}}},
		{"sibling writes", occScenario{c: onChip, warm: dirtyOnChip,
			ops: []occOp{{0, mem.OpStore, 0x1000}, {1, mem.OpStore, 0x2000}}, engines: []int{0}}},
		{"sibling read and write", occScenario{c: onChip, warm: dirtyOnChip,
			ops: []occOp{{0, mem.OpLoad, 0x1000}, {1, mem.OpStore, 0x2000}}, engines: []int{0}}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			off := sc.run(t, 0)
			on := sc.run(t, probeOcc)
			gapOff := absTime(off.lat[0] - off.lat[1])
			gapOn := absTime(on.lat[0] - on.lat[1])
			t.Logf("latencies %v without the occupancy (gap %v); %v with %v (gap %v); probes in %v",
				off.lat, gapOff, on.lat, probeOcc, gapOn, on.probesIn)
			if d := gapOn - gapOff; absTime(d-probeOcc) > probeOcc/4 {
				t.Errorf("the two transactions complete %v further apart with occupancy %v than without; want about %v", d, probeOcc, probeOcc)
			}
			// The first to take the engine is not slowed down.
			if first, firstOff := min(on.lat[0], on.lat[1]), min(off.lat[0], off.lat[1]); first != firstOff {
				t.Errorf("the first transaction took %v with the occupancy, %v without", first, firstOff)
			}
			for i := range on.res {
				if on.res[i] != off.res[i] {
					t.Errorf("op %d returned %d with the occupancy, %d without", i, on.res[i], off.res[i])
				}
			}
		})
	}
}

// TestProbeEngineTwoOccupancies: network probes and sibling probes keep the
// engine for their own occupancies (Package.ProbeOccupancy and
// SiblingOccupancy). With a short network occupancy and a long sibling
// one, two remote transfers whose probes meet at the owner's engine
// complete the short one further apart than without the engine, two
// sibling transfers the long one.
func TestProbeEngineTwoOccupancies(t *testing.T) {
	const net, sib = 4 * sim.Nanosecond, 40 * sim.Nanosecond
	for _, sc := range []struct {
		name string
		occScenario
		want sim.Time
	}{
		{"remote reads", occScenario{c: hetConf, warm: dirtyAt2, ops: reads, engines: []int{2}, sibling: sib}, net},
		{"remote writes", occScenario{c: hetConf, warm: dirtyAt2, ops: writes, engines: []int{2}, sibling: sib}, net},
		{"sibling reads", occScenario{c: onChip, warm: dirtyOnChip,
			ops: []occOp{{0, mem.OpLoad, 0x1000}, {1, mem.OpLoad, 0x2000}}, engines: []int{0}, sibling: sib}, sib},
		{"sibling writes", occScenario{c: onChip, warm: dirtyOnChip,
			ops: []occOp{{0, mem.OpStore, 0x1000}, {1, mem.OpStore, 0x2000}}, engines: []int{0}, sibling: sib}, sib},
	} {
		t.Run(sc.name, func(t *testing.T) {
			off := sc.run(t, 0)
			on := sc.run(t, net)
			d := absTime(on.lat[0]-on.lat[1]) - absTime(off.lat[0]-off.lat[1])
			t.Logf("latencies %v without the engine, %v with network probes %v and sibling probes %v: %v further apart",
				off.lat, on.lat, net, sib, d)
			if absTime(d-sc.want) > sc.want/4 {
				t.Errorf("the two transactions complete %v further apart; want about %v", d, sc.want)
			}
		})
	}
}

// TestProbeEngineRandom runs the random coherence tester with long probe
// occupancies, so that most network probes are deferred and queue behind
// each other and behind sibling probes: the protocol must stay correct
// (values, invariants, no stall).
func TestProbeEngineRandom(t *testing.T) {
	const ops = 20_000
	for i, c := range []tconf{
		{scheme: Broadcast, nodes: 4, cores: 3, l3: true, jitter: 7 * sim.Nanosecond},
		{scheme: Broadcast, nodes: 4, cores: 4, cluster: 2, l3: true, bcast: true, jitter: 7 * sim.Nanosecond},
		{scheme: Broadcast, nodes: 2, cores: 3, mesi: true, jitter: 7 * sim.Nanosecond, hold: 40 * sim.Nanosecond, lines: 24},
		{scheme: Directory, nodes: 4, cores: 3, l3: true, jitter: 7 * sim.Nanosecond},
		{scheme: SnoopFilter, nodes: 2, cores: 4, cluster: 2, mesi: true, hub: true, jitter: 7 * sim.Nanosecond},
	} {
		seed := uint64(0x9e37 + i)
		t.Run(c.String(), func(t *testing.T) {
			t.Parallel()
			const occ = 50 * sim.Nanosecond
			t.Logf("seed %d, probe occupancy %v, %d ops", seed, occ, ops)
			_, s, dc := buildOccCounted(t, c, func(int) sim.Time { return occ }, seed)
			nl := c.lines
			if nl == 0 {
				nl = 6 + c.nodes
			}
			rt := NewRandomTester(s, TesterConfig{Seed: seed, Ops: ops, Lines: TesterLines(s, nl)})
			res, err := rt.Run()
			if err != nil {
				t.Fatalf("%v seed %d, occupancy %v: %v", c, seed, occ, err)
			}
			t.Logf("%v; %d network probes, %d deferred by the engine (queue up to %d)", res, dc.probes, dc.deferred, dc.maxDepth)
			if dc.deferred == 0 {
				t.Errorf("no probe was deferred: the run does not exercise the engine's queue")
			}
		})
	}
}
