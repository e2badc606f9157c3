package cache

import (
	"testing"

	"mksim/sim/mem"
)

func load(s *System, core int, a mem.Addr) uint64 {
	acc := mem.Access{Op: mem.OpLoad, Addr: a}
	v, _ := s.Access(core, &acc)
	return v
}

func store(s *System, core int, a mem.Addr, v uint64) {
	acc := mem.Access{Op: mem.OpStore, Addr: a, Value: v}
	s.Access(core, &acc)
}

func fetchAdd(s *System, core int, a mem.Addr, d uint64) uint64 {
	acc := mem.Access{Op: mem.OpFetchAdd, Addr: a, Value: d}
	v, _ := s.Access(core, &acc)
	return v
}

func allSchemes() []tconf {
	return []tconf{
		{scheme: Broadcast, nodes: 2, cores: 2, l3: true},
		{scheme: Broadcast, nodes: 2, cores: 2},
		{scheme: Broadcast, nodes: 2, cores: 2, mesi: true},
		{scheme: Directory, nodes: 2, cores: 2, l3: true},
		{scheme: Directory, nodes: 2, cores: 2, mesi: true},
		{scheme: SnoopFilter, nodes: 2, cores: 2, cluster: 2, mesi: true, hub: true},
	}
}

// TestBasicSharing walks a line through read sharing, writes from every
// core and atomics, checking values and invariants at every step.
func TestBasicSharing(t *testing.T) {
	for _, c := range allSchemes() {
		t.Run(c.String(), func(t *testing.T) {
			_, s, _ := c.build(t, 1)
			a := mem.Addr(memPerNode + 8) // homed at node 1 (or the hub)
			check := func() {
				t.Helper()
				s.Settle()
				if err := s.CheckLine(a.Line()); err != nil {
					t.Fatalf("%v\n%s", err, s.DumpLine(a.Line()))
				}
			}
			if v := load(s, 0, a); v != 0 {
				t.Fatalf("fresh load = %d", v)
			}
			check()
			for core := 0; core < s.NumCores(); core++ {
				store(s, core, a, uint64(100+core))
				check()
				for other := 0; other < s.NumCores(); other++ {
					if v := load(s, other, a); v != uint64(100+core) {
						t.Fatalf("core %d reads %d after core %d stored %d\n%s", other, v, core, 100+core, s.DumpLine(a.Line()))
					}
					check()
				}
			}
			total := uint64(0)
			for i := 0; i < 3; i++ {
				for core := 0; core < s.NumCores(); core++ {
					fetchAdd(s, core, a+8, 1)
					total++
					check()
				}
			}
			for core := 0; core < s.NumCores(); core++ {
				if v := load(s, core, a+8); v != total {
					t.Fatalf("core %d reads counter %d, want %d", core, v, total)
				}
			}
			// Flush everything and read back from memory.
			for core := 0; core < s.NumCores(); core++ {
				acc := mem.Access{Op: mem.OpFlush, Addr: a}
				s.Access(core, &acc)
				check()
			}
			if v := load(s, s.NumCores()-1, a+8); v != total {
				t.Fatalf("after flushes counter reads %d, want %d", v, total)
			}
			check()
		})
	}
}
