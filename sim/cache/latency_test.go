package cache

import (
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// gruyere is the 8x4-core AMD machine of the paper: Fig. 2's HT graph,
// 4 cores per package with private L1 and L2, a shared 2 MB L3 victim
// cache, 2.0 GHz cores. The on-chip latencies below are one way to compose
// the HotOS table (see doc.go); hop is the interconnect's per-hop latency.
func gruyere(scheme Scheme) (Config, *mem.HomeMap, [][]int, sim.Time) {
	cyc := func(n int64) sim.Time { return sim.Time(n) * 500 * sim.Picosecond }
	l3 := Level{Size: 2 << 20, Ways: 32, Latency: cyc(50)}
	cfg := Config{Scheme: scheme}
	var rs []mem.Range
	for n := 0; n < 8; n++ {
		p := Package{Node: mem.NodeID(n), L3: &l3, MSHRs: 8,
			ToPackage: cyc(5), FromPackage: cyc(5), SiblingProbe: cyc(105),
			RequestOut: cyc(50), ProbeResponse: cyc(35)}
		for c := 0; c < 4; c++ {
			p.Clusters = append(p.Clusters, Cluster{Cores: []int{n*4 + c},
				L1: Level{Size: 64 << 10, Ways: 2, Latency: cyc(2), MSHRs: 4},
				L2: Level{Size: 512 << 10, Ways: 16, Latency: cyc(13), MSHRs: 8}})
		}
		cfg.Packages = append(cfg.Packages, p)
		cfg.Homes = append(cfg.Homes, Home{Node: mem.NodeID(n), Latency: cyc(10), DRAM: cyc(120)})
		rs = append(rs, mem.Range{Base: mem.Addr(n * memPerNode), Size: memPerNode, Home: mem.NodeID(n)})
	}
	hm, err := mem.NewHomeMap(rs)
	if err != nil {
		panic(err)
	}
	edges := [][2]int{{0, 2}, {2, 4}, {4, 6}, {1, 3}, {3, 5}, {5, 7}, {0, 1}, {2, 3}, {6, 7}, {4, 7}, {5, 6}}
	return cfg, hm, graphHops(8, edges), cyc(35)
}

// TestGruyereLatencies checks that the latency composition reproduces the
// HotOS load-to-use table for the 8x4-core AMD (2 GHz cycles): L1 2, L2 15,
// L3 75, another core's cache on the package 130, a dirty line one hop
// away 190, two hops 260. It uses the probe helpers the way `mksim probe`
// does: real accesses to warm lines up, then one measured load.
func TestGruyereLatencies(t *testing.T) {
	for _, sch := range []Scheme{Broadcast, Directory} {
		t.Run(sch.String(), func(t *testing.T) {
			e := sim.New(1)
			cfg, hm, hops, hop := gruyere(sch)
			s, err := New(e, cfg, mem.NewMemory(), hm)
			if err != nil {
				t.Fatal(err)
			}
			n := newFakeNet(e, hops, hop, 0)
			n.recv = s
			s.SetNetwork(n)
			cycles := func(d sim.Time) int64 { return int64(d / (500 * sim.Picosecond)) }
			next := mem.Addr(0)
			res, err := s.Probe(ProbeSpec{Reader: 0, Fresh: func(home mem.NodeID) mem.Addr {
				next += mem.LineSize
				return mem.Addr(int(home)*memPerNode) + next
			}})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []struct {
				name      string
				got, want int64
			}{
				{"L1", cycles(res.L1), 2},
				{"L2", cycles(res.L2), 15},
				{"L3", cycles(res.L3), 75},
				{"c2c-package", cycles(res.Package), 130},
				{"c2c-1hop (node 2)", cycles(res.Cache[2]), 190},
				{"c2c-2hop (node 4)", cycles(res.Cache[4]), 260},
			} {
				if r.got != r.want {
					t.Errorf("%s: %d cycles, want %d", r.name, r.got, r.want)
				}
			}
			// Memory and farther caches, for information: the broadcast
			// waits for every probe response, so even local memory pays for
			// the farthest node.
			for n := mem.NodeID(0); n < 8; n++ {
				c := int64(0)
				if n != 0 {
					c = cycles(res.Cache[n])
				}
				t.Logf("%v: node %d (%d hops): memory %d cycles, dirty line %d cycles", sch, n, hops[0][n], cycles(res.Memory[n]), c)
			}
		})
	}
}
