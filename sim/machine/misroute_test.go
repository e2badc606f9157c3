package machine

import (
	"fmt"
	"testing"

	"mksim/arch"
	"mksim/sim/interconnect"
	"mksim/sim/mem"
	"mksim/topologies"
)

// coreOnNode is the lowest-numbered coherent core at node n.
func coreOnNode(t testing.TB, s *topologies.Spec, n topologies.NodeID) arch.CoreID {
	t.Helper()
	for _, c := range s.Cores {
		if c.Node == n && s.CoreTypes[c.Type].Coherent {
			return arch.CoreID(c.ID)
		}
	}
	t.Fatalf("%s: no coherent core at node %d", s.Name, n)
	return -1
}

// timedLoad is the load-to-use time of one load on c, less the cost of
// reading the TSC (as experiments' probe measures it).
func timedLoad(c arch.Core, a arch.Addr) arch.Cycles {
	o0 := c.Now()
	overhead := c.Now() - o0
	t0 := c.Now()
	c.Load(a)
	return c.Now() - t0 - overhead
}

// settle runs the engine until nothing is in flight (the Done messages and
// writebacks that trail a transaction), between programs.
func settle(m *Machine) { m.Engine().RunUntilIdle() }

// dirtyTransfer makes a line homed at the reader's node dirty in writer's
// cache with a real program, then times reader's load of it with another.
// It returns the load-to-use time in the reader's cycles and the
// interconnect counters of the read alone (from the load's issue until
// every trailing message is delivered).
func dirtyTransfer(t *testing.T, m *Machine, writer, reader arch.CoreID) (arch.Cycles, *interconnect.Report) {
	t.Helper()
	a, err := m.Allocator().Alloc(m.Info(reader).Node, arch.CacheLineSize, arch.CacheLineSize)
	if err != nil {
		t.Fatal(err)
	}
	m.Start(writer, func(c arch.Core) { c.Store(a, 42); c.Fence() })
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	settle(m)
	m.Network().Reset()
	var lat arch.Cycles
	var got uint64
	m.Start(reader, func(c arch.Core) {
		lat = timedLoad(c, a)
		got = c.Load(a)
	})
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	settle(m)
	if got != 42 {
		t.Fatalf("core %d read %d from the line core %d wrote 42 to", reader, got, writer)
	}
	return lat, m.Network().Snapshot()
}

// dirLinks is the link directions a route crosses, as (from, to) pairs.
func dirLinks(path []topologies.NodeID) [][2]mem.NodeID {
	var out [][2]mem.NodeID
	for i := 0; i+1 < len(path); i++ {
		out = append(out, [2]mem.NodeID{mem.NodeID(path[i]), mem.NodeID(path[i+1])})
	}
	return out
}

func linkMsgs(t *testing.T, r *interconnect.Report, d [2]mem.NodeID, class mem.Class) uint64 {
	t.Helper()
	c := r.Link(d[0], d[1])
	if c == nil {
		t.Fatalf("no link %d->%d in the report", d[0], d[1])
	}
	return c.Msgs[class]
}

func linkTotal(t *testing.T, r *interconnect.Report, a, b mem.NodeID) uint64 {
	t.Helper()
	var n uint64
	for _, d := range [][2]mem.NodeID{{a, b}, {b, a}} {
		c := r.Link(d[0], d[1])
		if c == nil {
			t.Fatalf("no link %d->%d in the report", d[0], d[1])
		}
		n += c.TotalMsgs()
	}
	return n
}

// TestMisrouting measures, on gruyere and on gruyere-misrouted, the
// load-to-use time of a line dirty in a core at node 5 as read by a core
// at node 4, and the reverse. The misprogrammed tables send 4 <-> 5
// traffic over both slow cables (4-2-3-5) instead of two daughtercard
// hops: the load must get slower, and the link counters must show the
// owner's data on the detour (the 2-4 and 3-5 cables and 2-3) in the
// misrouted machine and on the direct route in the correct one.
func TestMisrouting(t *testing.T) {
	type result struct {
		lat  arch.Cycles
		rep  *interconnect.Report
		spec *topologies.Spec
	}
	measure := func(name string, wn, rn topologies.NodeID) result {
		t.Logf("seed 1")
		m := build(t, name, 1)
		w, r := coreOnNode(t, m.Spec(), wn), coreOnNode(t, m.Spec(), rn)
		lat, rep := dirtyTransfer(t, m, w, r)
		return result{lat, rep, m.Spec()}
	}
	for _, dir := range [][2]topologies.NodeID{{5, 4}, {4, 5}} {
		owner, reader := dir[0], dir[1]
		t.Run(fmt.Sprintf("dirty-at-%d-read-at-%d", owner, reader), func(t *testing.T) {
			good := measure("gruyere", owner, reader)
			bad := measure("gruyere-misrouted", owner, reader)
			goodPath := good.spec.Route(owner, reader)
			badPath := bad.spec.Route(owner, reader)
			t.Logf("gruyere: %d cycles, data route %v; gruyere-misrouted: %d cycles, data route %v",
				good.lat, goodPath, bad.lat, badPath)
			if len(goodPath) != 3 {
				t.Fatalf("gruyere routes %d -> %d over %v, want two daughtercard hops", owner, reader, goodPath)
			}
			if len(badPath) != 4 || badPath[1] != owner-2 || badPath[2] != reader-2 {
				t.Fatalf("gruyere-misrouted routes %d -> %d over %v, want the detour over both cables (%d %d %d %d)", owner, reader, badPath, owner, owner-2, reader-2, reader)
			}
			if bad.lat <= good.lat {
				t.Errorf("misrouted load took %d cycles, correct %d: the detour must cost more", bad.lat, good.lat)
			}

			// The owner's data crosses exactly its route.
			for _, d := range dirLinks(goodPath) {
				if n := linkMsgs(t, good.rep, d, mem.ClassData); n == 0 {
					t.Errorf("gruyere: no data on %d->%d, which the correct route crosses", d[0], d[1])
				}
				if n := linkMsgs(t, bad.rep, d, mem.ClassData); n != 0 {
					t.Errorf("gruyere-misrouted: %d data messages on %d->%d, the direct route it must not use", n, d[0], d[1])
				}
			}
			for _, d := range dirLinks(badPath) {
				if n := linkMsgs(t, bad.rep, d, mem.ClassData); n == 0 {
					t.Errorf("gruyere-misrouted: no data on %d->%d, which the detour crosses", d[0], d[1])
				}
				if n := linkMsgs(t, good.rep, d, mem.ClassData); n != 0 {
					t.Errorf("gruyere: %d data messages on detour link %d->%d", n, d[0], d[1])
				}
			}
			// Of the two cables, the one at the owner's node carries
			// nothing at all for this read on the correct machine (the
			// reader's broadcast probes to nodes 0-3 leave the
			// daughtercard over the cable at the reader's node); on the
			// misrouted one it carries the probe to the owner and the
			// owner's data.
			cable := map[topologies.NodeID][2]mem.NodeID{4: {2, 4}, 5: {3, 5}}
			quiet := cable[owner]
			if n := linkTotal(t, good.rep, quiet[0], quiet[1]); n != 0 {
				t.Errorf("gruyere: %d messages on the %d-%d cable", n, quiet[0], quiet[1])
			}
			if n := linkTotal(t, bad.rep, quiet[0], quiet[1]); n < 2 {
				t.Errorf("gruyere-misrouted: %d messages on the %d-%d cable, want the probe and the data", n, quiet[0], quiet[1])
			}
			// The reader's cable and 2-3 carry probes to the motherboard
			// in both machines, and the detour on top in the misrouted one.
			for _, l := range [][2]mem.NodeID{cable[reader], {2, 3}} {
				g, b := linkTotal(t, good.rep, l[0], l[1]), linkTotal(t, bad.rep, l[0], l[1])
				t.Logf("link %d-%d: %d messages correct, %d misrouted", l[0], l[1], g, b)
				if b <= g {
					t.Errorf("link %d-%d: %d messages misrouted, not above the %d of the correct machine", l[0], l[1], b, g)
				}
			}
		})
	}
}
