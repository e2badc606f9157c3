package cache

import (
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// pingPong has two cores on different nodes write one line in turn: every
// store is a coherent transfer of the line between the nodes.
type pingPong struct {
	s     *System
	cores [2]int
	a     mem.Access
	turn  int
	left  int
	moves int
}

func (p *pingPong) Handle(uint64) { p.next() }

func (p *pingPong) next() {
	for p.left > 0 {
		p.left--
		p.turn ^= 1
		p.a = mem.Access{Op: mem.OpStore, Addr: p.a.Addr, Value: uint64(p.left)}
		port := p.s.Port(p.cores[p.turn])
		if _, _, ok := port.Hit(&p.a); ok {
			continue
		}
		p.moves++
		port.Issue(&p.a, p)
		return
	}
}

func (p *pingPong) Complete(uint64) { p.next() }

// BenchmarkCoherentMiss measures coherent line transfers per host second:
// two requesters on different nodes write one line in turn (2 and 8 nodes,
// broadcast and directory, fake network).
func BenchmarkCoherentMiss(b *testing.B) {
	for _, c := range []tconf{
		{scheme: Broadcast, nodes: 2, cores: 2, l3: true, big: true},
		{scheme: Broadcast, nodes: 8, cores: 4, l3: true, big: true},
		{scheme: Directory, nodes: 8, cores: 4, l3: true, big: true},
		{scheme: SnoopFilter, nodes: 4, cores: 2, cluster: 2, mesi: true, hub: true, big: true},
	} {
		b.Run(c.String(), func(b *testing.B) {
			e, s, n := c.build(b, 1)
			far := s.NumCores() - 1
			p := &pingPong{s: s, cores: [2]int{0, far}, a: mem.Access{Addr: memPerNode + 64}, left: b.N}
			b.ReportAllocs()
			b.ResetTimer()
			e.After(0, p, 0)
			e.RunUntilIdle()
			b.StopTimer()
			if p.moves < b.N-1 {
				b.Fatalf("only %d of %d stores missed", p.moves, b.N)
			}
			b.ReportMetric(float64(p.moves)/b.Elapsed().Seconds(), "transfers/s")
			b.ReportMetric(float64(n.messages())/float64(p.moves), "msgs/transfer")
			b.ReportMetric(float64(e.Stats().Events)/float64(p.moves), "events/transfer")
		})
	}
}

// BenchmarkRandomTraffic measures memory operations per host second with
// 32 requesters (8 packages of 4 cores, gruyere-like caches) doing about
// 90 % L1 hits: private working sets plus a few lines shared by all.
func BenchmarkRandomTraffic(b *testing.B) {
	for _, c := range []tconf{
		{scheme: Broadcast, nodes: 8, cores: 4, l3: true, big: true},
		{scheme: Directory, nodes: 8, cores: 4, l3: true, big: true},
	} {
		b.Run(c.String(), func(b *testing.B) {
			e, s, _ := c.build(b, 1)
			n := &TrafficCounts{Left: b.N}
			var shared []mem.Addr
			for i := 0; i < 64; i++ {
				shared = append(shared, mem.Addr((i%c.nodes)*memPerNode+512<<10+i*mem.LineSize))
			}
			for core := 0; core < s.NumCores(); core++ {
				tc := &TrafficRequester{E: e, Core: core, Port: s.Port(core), Rng: e.Rand("traffic" + string(rune('A'+core))),
					Shared: shared, Counts: n}
				base := int(s.NodeOf(core))*memPerNode + (core%c.cores)*64<<10
				for i := 0; i < 256; i++ {
					tc.Private = append(tc.Private, mem.Addr(base+i*mem.LineSize))
				}
				e.After(sim.Time(core), tc, 0)
			}
			b.ReportAllocs()
			b.ResetTimer()
			e.RunUntilIdle()
			b.StopTimer()
			b.ReportMetric(float64(n.Ops)/b.Elapsed().Seconds(), "ops/s")
			b.ReportMetric(100*float64(n.Hits)/float64(max(n.Ops, 1)), "%hits")
		})
	}
}

// BenchmarkL1Hit measures the Hit fast path: loads and stores to lines the
// L1 holds (64 KB, 2-way, 32 lines in use).
func BenchmarkL1Hit(b *testing.B) {
	c := tconf{scheme: Broadcast, nodes: 2, cores: 1, l3: true, big: true}
	_, s, _ := c.build(b, 1)
	var addrs [32]mem.Addr
	for i := range addrs {
		addrs[i] = mem.Addr(i * mem.LineSize)
		store(s, 0, addrs[i], 1)
	}
	s.Settle()
	port := s.Port(0)
	var a mem.Access
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a = mem.Access{Op: mem.OpLoad, Addr: addrs[i&31] + mem.Addr(i&7)*8}
		if i&3 == 0 {
			a.Op, a.Value = mem.OpStore, uint64(i)
		}
		if _, _, ok := port.Hit(&a); !ok {
			b.Fatal("miss")
		}
	}
}
