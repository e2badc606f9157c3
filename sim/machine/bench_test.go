package machine

import (
	"math/rand/v2"
	"testing"

	"mksim/arch"
	"mksim/sim"
	"mksim/sim/cache"
	"mksim/sim/mem"
	"mksim/topologies"
)

// Benchmarks of the hot paths on the real gruyere machine (8 packages × 4
// cores, HT broadcast, the real interconnect), each printing its figure
// with ReportMetric. Targets (host figures on this project's reference
// machine): CoherentMiss ≥ 300,000 transfers/s, RandomTraffic ≥ 2 M ops/s,
// L1HitLoads ≥ 30 M loads/s, LinePingPong ≥ 200,000 incr/s.

// newMachine builds a shipped machine for a benchmark or test.
func newMachine(tb testing.TB, name string, seed uint64) *Machine {
	tb.Helper()
	spec, err := topologies.Open(name)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := New(spec, Options{Seed: seed})
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	tb.Cleanup(m.Close)
	return m
}

// portPingPong has two requesters write one line in turn, directly on
// their L1 ports: every store is a coherent transfer between the packages
// (request, broadcast probes, responses, data over the real links).
type portPingPong struct {
	m     *Machine
	ports [2]mem.Port
	a     mem.Access
	addr  mem.Addr
	turn  int
	left  int
	moves int
}

func (p *portPingPong) Handle(uint64) { p.next() }

func (p *portPingPong) Complete(uint64) { p.next() }

func (p *portPingPong) next() {
	for p.left > 0 {
		p.left--
		p.turn ^= 1
		p.a = mem.Access{Op: mem.OpStore, Addr: p.addr, Value: uint64(p.left)}
		port := p.ports[p.turn]
		if _, _, ok := port.Hit(&p.a); ok {
			continue
		}
		p.moves++
		port.Issue(&p.a, p)
		return
	}
}

// BenchmarkCoherentMiss measures coherent line transfers per host second
// on gruyere: two requesters on different packages (1 and 3 hops apart)
// write one line in turn. It drives the cache ports directly (like
// sim/cache's benchmark, but over the machine's real interconnect and
// caches), without cores: the figure is the memory system's own speed.
func BenchmarkCoherentMiss(b *testing.B) {
	for _, bc := range []struct {
		name string
		node topologies.NodeID
	}{{"1hop", 1}, {"3hop", 7}} {
		b.Run(bc.name, func(b *testing.B) {
			m := newMachine(b, "gruyere", 1)
			far := coreOnNode(b, m.Spec(), bc.node)
			if h := m.Spec().Hops(0, bc.node); bc.name[0] != byte('0'+h) {
				b.Fatalf("node %d is %d hops from node 0", bc.node, h)
			}
			a := m.Allocator().MustAlloc(0, arch.CacheLineSize, arch.CacheLineSize)
			s := m.Caches()
			p := &portPingPong{m: m, ports: [2]mem.Port{s.Port(0), s.Port(int(far))}, addr: mem.Addr(a), left: b.N}
			e := m.Engine()
			ev0 := e.Stats().Events
			m.Network().Reset()
			b.ReportAllocs()
			b.ResetTimer()
			e.After(0, p, 0)
			e.RunUntilIdle()
			b.StopTimer()
			if p.moves < b.N-1 {
				b.Fatalf("only %d of %d stores missed", p.moves, b.N)
			}
			var msgs uint64
			for _, ch := range m.Network().Snapshot().Channels {
				msgs += ch.TotalMsgs()
			}
			b.ReportMetric(float64(p.moves)/b.Elapsed().Seconds(), "transfers/s")
			b.ReportMetric(float64(msgs)/float64(max(p.moves, 1)), "linkmsgs/transfer")
			b.ReportMetric(float64(e.Stats().Events-ev0)/float64(max(p.moves, 1)), "events/transfer")
		})
	}
}

// BenchmarkRandomTraffic measures memory operations per host second with
// 32 requesters, one per gruyere core, on the cache ports: each works on
// 256 private lines homed at its own node (16 KiB, L1-resident after the
// first touch) and, 11 % of the time, on 64 lines spread over every node
// and shared by all; 25 % of operations are stores. About 90 % are L1 hits.
func BenchmarkRandomTraffic(b *testing.B) {
	m := newMachine(b, "gruyere", 1)
	s := m.Caches()
	e := m.Engine()
	alloc := m.Allocator()
	spec := m.Spec()
	var shared []mem.Addr
	for i := 0; i < 64; i++ {
		shared = append(shared, mem.Addr(alloc.MustAlloc(arch.NodeID(i%len(spec.Nodes)), arch.CacheLineSize, arch.CacheLineSize)))
	}
	n := &cache.TrafficCounts{Left: b.N}
	for _, core := range s.Cores() {
		r := &cache.TrafficRequester{E: e, Core: core, Port: s.Port(core), Rng: rand.New(rand.NewPCG(1, uint64(core))),
			Shared: shared, Counts: n}
		base := mem.Addr(alloc.MustAlloc(m.Info(arch.CoreID(core)).Node, 256*arch.CacheLineSize, 4096))
		for i := 0; i < 256; i++ {
			r.Private = append(r.Private, base+mem.Addr(i*mem.LineSize))
		}
		e.After(sim.Time(core), r, 0)
	}
	ev0 := e.Stats().Events
	b.ReportAllocs()
	b.ResetTimer()
	e.RunUntilIdle()
	b.StopTimer()
	if n.Ops != b.N {
		b.Fatalf("%d operations, want %d", n.Ops, b.N)
	}
	b.ReportMetric(float64(n.Ops)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(100*float64(n.Hits)/float64(max(n.Ops, 1)), "%hits")
	b.ReportMetric(float64(e.Stats().Events-ev0)/float64(max(n.Ops, 1)), "events/op")
}

// BenchmarkL1HitLoads: one real core of gruyere loops over 4 KiB of
// L1-resident data (warmed by an earlier run). The figure is simulated
// loads per host second.
func BenchmarkL1HitLoads(b *testing.B) {
	m := newMachine(b, "gruyere", 1)
	base := m.Allocator().MustAlloc(0, 4096, 4096)
	m.Start(0, func(c arch.Core) {
		for a := base; a < base+4096; a += arch.CacheLineSize {
			c.Load(a)
		}
	})
	if err := m.Run(); err != nil {
		b.Fatal(err)
	}
	st0 := m.CoreStats(0)
	ev0 := m.Engine().Stats().Events
	n := b.N
	var sum uint64
	m.Start(0, func(c arch.Core) {
		for i := 0; i < n; i++ {
			sum += c.Load(base + arch.Addr(i&511)*8)
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	if err := m.Run(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	st := m.CoreStats(0)
	if loads := st.Loads - st0.Loads; loads != uint64(n) {
		b.Fatalf("%d loads counted, want %d", loads, n)
	}
	if miss := st.LoadMisses - st0.LoadMisses; miss != 0 {
		b.Fatalf("%d of the loads missed the L1", miss)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds()/1e6, "Mloads/s")
	b.ReportMetric(float64(m.Engine().Stats().Events-ev0)/float64(n), "events/load")
}

// BenchmarkLinePingPong: two real cores on different gruyere packages (1
// and 3 hops apart) increment one shared counter with FetchAdd, doing 200
// instructions of other work between increments, out of phase, so the line
// moves on (nearly) every increment. The figure is increments per host
// second.
func BenchmarkLinePingPong(b *testing.B) {
	for _, bc := range []struct {
		name string
		node topologies.NodeID
	}{{"1hop", 1}, {"3hop", 7}} {
		b.Run(bc.name, func(b *testing.B) {
			m := newMachine(b, "gruyere", 1)
			other := coreOnNode(b, m.Spec(), bc.node)
			ctr := m.Allocator().MustAlloc(0, arch.CacheLineSize, arch.CacheLineSize)
			const work = 200
			per := b.N/2 + 1
			prog := func(c arch.Core) {
				if c.ID() != 0 {
					c.Compute(work/2 + 30)
				}
				for i := 0; i < per; i++ {
					c.FetchAdd(ctr, 1)
					c.Compute(work)
				}
			}
			m.Start(0, prog)
			m.Start(other, prog)
			ev0 := m.Engine().Stats().Events
			b.ReportAllocs()
			b.ResetTimer()
			if err := m.Run(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			var got uint64
			m.Start(0, func(c arch.Core) { got = c.Load(ctr) })
			if err := m.Run(); err != nil {
				b.Fatal(err)
			}
			if got != uint64(2*per) {
				b.Fatalf("counter %d, want %d", got, 2*per)
			}
			misses := m.CoreStats(0).AtomicMisses + m.CoreStats(other).AtomicMisses
			b.ReportMetric(float64(2*per)/b.Elapsed().Seconds(), "incr/s")
			b.ReportMetric(float64(misses)/float64(2*per), "misses/incr")
			b.ReportMetric(float64(m.Engine().Stats().Events-ev0)/float64(2*per), "events/incr")
		})
	}
}
