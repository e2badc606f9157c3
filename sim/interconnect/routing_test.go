package interconnect

import (
	"fmt"
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

func TestGruyereRoutes(t *testing.T) {
	_, n, _ := build(t, gruyere())
	wantHops := []int{0, 1, 1, 2, 2, 3, 3, 3}
	for d, want := range wantHops {
		if got := n.Hops(0, mem.NodeID(d)); got != want {
			t.Errorf("hops 0->%d = %d, want %d", d, got, want)
		}
	}
	// Diameter 3, and every route is a shortest one in both directions.
	for s := 0; s < 8; s++ {
		for d := 0; d < 8; d++ {
			if h1, h2 := n.Hops(mem.NodeID(s), mem.NodeID(d)), n.Hops(mem.NodeID(d), mem.NodeID(s)); h1 != h2 || h1 > 3 {
				t.Errorf("hops %d->%d = %d, back %d", s, d, h1, h2)
			}
		}
	}
	// Ties go to the lowest next hop: 0->3 via 1 (not 2), 0->5 via 1 and 3
	// (not 2 and 3), 7->0 via 4 (not 5); 0->6 and 0->7 have one shortest
	// route each (there is no 4-5 link).
	for _, tc := range []struct {
		s, d mem.NodeID
		path string
	}{
		{0, 3, "[0 1 3]"},
		{0, 4, "[0 2 4]"},
		{0, 5, "[0 1 3 5]"},
		{0, 6, "[0 2 4 6]"},
		{0, 7, "[0 2 4 7]"},
		{7, 0, "[7 4 2 0]"},
		{4, 5, "[4 6 5]"},
		{3, 3, "[3]"},
	} {
		if got := fmt.Sprint(n.Path(tc.s, tc.d)); got != tc.path {
			t.Errorf("path %d->%d = %s, want %s", tc.s, tc.d, got, tc.path)
		}
	}
	if n.NextHop(0, 7) != 2 || n.NextHop(2, 7) != 4 {
		t.Errorf("next hops 0->7 %d, 2->7 %d", n.NextHop(0, 7), n.NextHop(2, 7))
	}
	// Building twice gives the same table.
	_, n2, _ := build(t, gruyere())
	if fmt.Sprint(n.Routes()) != fmt.Sprint(n2.Routes()) {
		t.Error("routing table not deterministic")
	}
}

func TestLatencyMetric(t *testing.T) {
	// A square 0-1-2-3-0 where link 0-1 is a slow cable: by hops 0->2 has
	// two equal routes and takes 0-1-2; by latency it avoids the cable.
	cfg := DefaultConfig(4)
	for _, l := range [][2]mem.NodeID{{0, 1}, {1, 2}, {2, 3}, {3, 0}} {
		cfg.Links = append(cfg.Links, HTLink(l[0], l[1]))
	}
	cfg.Links[0].Latency = 100 * sim.Nanosecond
	_, n, _ := build(t, cfg)
	if p := fmt.Sprint(n.Path(0, 2)); p != "[0 1 2]" {
		t.Errorf("by hops: %s", p)
	}
	cfg.Metric = MetricLatency
	_, n, _ = build(t, cfg)
	if p := fmt.Sprint(n.Path(0, 2)); p != "[0 3 2]" {
		t.Errorf("by latency: %s", p)
	}
	if p := fmt.Sprint(n.Path(0, 1)); p != "[0 3 2 1]" {
		t.Errorf("by latency 0->1: %s", p)
	}
}

// TestMisrouting reproduces the Gruyère firmware bug: node 0's table sends
// traffic for its direct neighbour 2 the long way, 0->1->3->2.
func TestMisrouting(t *testing.T) {
	measure := func(cfg Config) (sim.Time, *Report) {
		e, n, s := build(t, cfg)
		for i := 0; i < 10; i++ {
			send(n, 0, 2, mem.ClassData, uint64(i), 1)
			e.RunUntilIdle()
		}
		// Every message was sent into an idle network; its latency is the
		// arrival minus the time of its Send, which RunUntilIdle makes the
		// previous arrival.
		prev := sim.Time(0)
		var lat sim.Time
		for _, a := range s[2].got {
			lat += a.at - prev
			prev = a.at
		}
		return lat / 10, n.Snapshot()
	}
	good, rg := measure(gruyere())

	bad := gruyere()
	bad.Routes = noRoutes(8)
	bad.Routes[0][2] = 1 // firmware: 0 reaches 2 through the daughterboard
	bad.Routes[1][2] = 3 // and 1 must not send it back
	badLat, rb := measure(bad)

	hop := 18*sim.Nanosecond + DefaultLinkLatency
	if good != hop {
		t.Errorf("direct latency %v, want %v", good, hop)
	}
	if want := 3*hop + 2*DefaultRouterLatency; badLat != want {
		t.Errorf("detour latency %v, want %v", badLat, want)
	}
	if badLat <= good {
		t.Errorf("misrouting did not raise latency: %v vs %v", badLat, good)
	}
	if rg.Link(0, 2).TotalMsgs() != 10 || rg.Link(0, 1).TotalMsgs() != 0 {
		t.Errorf("good routes:\n%v", rg)
	}
	if rb.Link(0, 2).TotalMsgs() != 0 {
		t.Errorf("direct link used by misrouted traffic:\n%v", rb)
	}
	for _, d := range [][2]mem.NodeID{{0, 1}, {1, 3}, {3, 2}} {
		if c := rb.Link(d[0], d[1]); c.TotalMsgs() != 10 || c.Bytes[mem.ClassData] != 720 || c.Ops[0].ID != 1 {
			t.Errorf("detour link %v: %v", d, c)
		}
	}
}

// TestMisroutingContention: the detour shares links with other traffic, so
// misrouted messages also queue behind it.
func TestMisroutingContention(t *testing.T) {
	bad := gruyere()
	bad.Routes = noRoutes(8)
	bad.Routes[0][2] = 1
	bad.Routes[1][2] = 3
	e, n, s := build(t, bad)
	for k := 0; k < 4; k++ {
		send(n, 1, 3, mem.ClassData, uint64(k), 0) // competing traffic on 1->3
	}
	e.RunUntil(DefaultLinkLatency)
	send(n, 0, 2, mem.ClassData, 9, 0)
	e.RunUntilIdle()
	lat := s[2].got[0].at - DefaultLinkLatency
	if unloaded := n.UnloadedLatency(0, 2, mem.ClassData); lat <= unloaded {
		t.Errorf("latency %v, want more than unloaded %v", lat, unloaded)
	}
	if n.Snapshot().Link(1, 3).QueueDelay == 0 {
		t.Error("no queueing on the shared detour link")
	}
}
