package interconnect

import (
	"fmt"
	"strings"
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

func TestSerialization(t *testing.T) {
	ns := sim.Nanosecond
	for _, tc := range []struct {
		width  int
		period sim.Time
		class  mem.Class
		cycles int
	}{
		{16, 500, mem.ClassData, 36}, // 72 B on a 16-bit link
		{16, 500, mem.ClassProbe, 4}, // 8 B
		{16, 500, mem.ClassRequest, 4},
		{16, 500, mem.ClassResponse, 4},
		{16, 500, mem.ClassIPI, 4},
		{8, 1000, mem.ClassData, 72},
		{32, 500, mem.ClassData, 18},
		{12, 500, mem.ClassProbe, 6}, // 64 bits / 12 rounds up
		{64, 750, mem.ClassData, 9},
	} {
		t.Run(fmt.Sprintf("w%d-%v-%v", tc.width, tc.period, tc.class), func(t *testing.T) {
			cfg := DefaultConfig(2)
			l := HTLink(0, 1)
			l.WidthBits, l.Clock.Period, l.Latency = tc.width, tc.period, 7*ns
			cfg.Links = []LinkConfig{l}
			e, n, s := build(t, cfg)
			ser := sim.Time(tc.cycles) * tc.period
			if got := n.chans[0].serialize(tc.class.Bytes()); got != ser {
				t.Fatalf("serialize(%d B) = %v, want %v", tc.class.Bytes(), got, ser)
			}
			send(n, 0, 1, tc.class, 1, 0)
			e.RunUntilIdle()
			want := ser + 7*ns
			if len(s[1].got) != 1 || s[1].got[0].at != want {
				t.Fatalf("arrivals %+v, want one at %v", s[1].got, want)
			}
			if got := n.UnloadedLatency(0, 1, tc.class); got != want {
				t.Errorf("UnloadedLatency = %v, want %v", got, want)
			}
			r := n.Snapshot()
			if c := r.Link(0, 1); c.Busy != ser || c.Msgs[tc.class] != 1 || c.Bytes[tc.class] != uint64(tc.class.Bytes()) {
				t.Errorf("counters %v", c)
			}
		})
	}
}

func TestHTDefaults(t *testing.T) {
	cfg := DefaultConfig(2)
	cfg.Links = []LinkConfig{{A: 0, B: 1}} // zero width and clock take HT defaults
	_, n, _ := build(t, cfg)
	if got := n.chans[0].serialize(72); got != 18*sim.Nanosecond {
		t.Errorf("72 B on default link: %v, want 18ns", got)
	}
	// 4 GB/s per direction: 4000 bytes in one microsecond.
	if got := n.chans[0].serialize(4000); got != sim.Microsecond {
		t.Errorf("4000 B: %v, want 1us", got)
	}
}

func TestFIFOContention(t *testing.T) {
	for _, tc := range []struct {
		first, second mem.Class
	}{
		{mem.ClassData, mem.ClassData},
		{mem.ClassData, mem.ClassProbe},
		{mem.ClassProbe, mem.ClassData},
	} {
		t.Run(fmt.Sprintf("%v-%v", tc.first, tc.second), func(t *testing.T) {
			e, n, s := build(t, line(2))
			c := n.chans[0]
			lat := c.latency
			s1, s2 := c.serialize(tc.first.Bytes()), c.serialize(tc.second.Bytes())
			send(n, 0, 1, tc.first, 1, 0)
			send(n, 0, 1, tc.second, 2, 0)
			e.RunUntilIdle()
			got := s[1].got
			if len(got) != 2 || got[0].m.Txn != 1 || got[1].m.Txn != 2 {
				t.Fatalf("arrivals %+v", got)
			}
			if got[0].at != s1+lat {
				t.Errorf("first at %v, want %v", got[0].at, s1+lat)
			}
			// The second waits exactly the first's serialization time.
			if got[1].at != s1+s2+lat {
				t.Errorf("second at %v, want %v", got[1].at, s1+s2+lat)
			}
			r := n.Snapshot().Link(0, 1)
			// The first starts at once; only the second ever waits.
			if r.QueueDelay != s1 || r.MaxQueue != 1 || r.Busy != s1+s2 {
				t.Errorf("counters: %v", r)
			}
		})
	}
}

func TestOppositeDirectionsIndependent(t *testing.T) {
	e, n, s := build(t, line(2))
	send(n, 0, 1, mem.ClassData, 1, 0)
	send(n, 1, 0, mem.ClassData, 2, 0)
	e.RunUntilIdle()
	want := 18*sim.Nanosecond + DefaultLinkLatency
	if s[0].got[0].at != want || s[1].got[0].at != want {
		t.Errorf("arrivals %v and %v, want both %v", s[0].got[0].at, s[1].got[0].at, want)
	}
}

func TestMultiHop(t *testing.T) {
	e, n, s := build(t, line(4))
	send(n, 0, 3, mem.ClassData, 1, 0)
	e.RunUntilIdle()
	hop := 18*sim.Nanosecond + DefaultLinkLatency
	want := 3*hop + 2*DefaultRouterLatency // store-and-forward, router at 1 and 2
	if len(s[3].got) != 1 || s[3].got[0].at != want {
		t.Fatalf("arrivals %+v, want one at %v", s[3].got, want)
	}
	if got := n.UnloadedLatency(0, 3, mem.ClassData); got != want {
		t.Errorf("UnloadedLatency %v, want %v", got, want)
	}
	r := n.Snapshot()
	for _, d := range [][2]mem.NodeID{{0, 1}, {1, 2}, {2, 3}} {
		if c := r.Link(d[0], d[1]); c.TotalMsgs() != 1 {
			t.Errorf("%v: %v", d, c)
		}
	}
	if r.Delivered != 1 || r.MaxLatency != want {
		t.Errorf("delivered %d max %v", r.Delivered, r.MaxLatency)
	}
}

func TestSelfDelivery(t *testing.T) {
	for _, local := range []sim.Time{0, 3 * sim.Nanosecond} {
		cfg := line(2)
		cfg.LocalLatency = local
		e, n, s := build(t, cfg)
		e.RunUntil(100 * sim.Nanosecond)
		send(n, 1, 1, mem.ClassRequest, 1, 0)
		if len(s[1].got) != 0 {
			t.Fatal("self message delivered synchronously")
		}
		e.RunUntilIdle()
		if len(s[1].got) != 1 || s[1].got[0].at != 100*sim.Nanosecond+local {
			t.Fatalf("self delivery %+v, want at %v", s[1].got, 100*sim.Nanosecond+local)
		}
		if r := n.Snapshot(); r.Link(0, 1).TotalMsgs()+r.Link(1, 0).TotalMsgs() != 0 {
			t.Error("self message used a link")
		}
	}
}

func TestDeliveryNeverSynchronous(t *testing.T) {
	cfg := line(2)
	cfg.Links[0].Latency = 0
	cfg.Links[0].WidthBits = 1 << 20 // serialization rounds up to one cycle, never zero
	e, n, s := build(t, cfg)
	send(n, 0, 1, mem.ClassProbe, 1, 0)
	if len(s[1].got) != 0 {
		t.Fatal("delivered inside Send")
	}
	e.RunUntilIdle()
	if len(s[1].got) != 1 {
		t.Fatal("not delivered")
	}
}

// A receiver may forward the message it was given (ownership passes).
func TestForwardOnReceive(t *testing.T) {
	e, n, s := build(t, line(3))
	s[1].onReceive = nil
	fwd := &forwarder{n: n, to: 2}
	n.Attach(1, fwd)
	send(n, 0, 1, mem.ClassRequest, 7, 0)
	e.RunUntilIdle()
	if len(s[2].got) != 1 || s[2].got[0].m.Txn != 7 || s[2].got[0].m.Src != 1 {
		t.Fatalf("forwarded %+v", s[2].got)
	}
}

type forwarder struct {
	n  *Network
	to mem.NodeID
}

func (f *forwarder) Receive(m *mem.Msg) {
	m.Src, m.Dst = m.Dst, f.to
	f.n.Send(m)
}

func TestOwnershipChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(n *Network)
		want string
	}{
		{"double send", func(n *Network) {
			m := n.NewMsg()
			m.Src, m.Dst = 0, 1
			n.Send(m)
			n.Send(m)
		}, "sent twice"},
		{"free in flight", func(n *Network) {
			m := n.NewMsg()
			m.Src, m.Dst = 0, 1
			n.Send(m)
			n.Free(m)
		}, "in flight"},
		{"double free", func(n *Network) {
			m := n.NewMsg()
			n.Free(m)
			n.Free(m)
		}, "double free"},
		{"send freed", func(n *Network) {
			m := n.NewMsg()
			n.Free(m)
			n.Send(m)
		}, "freed"},
		{"no receiver", func(n *Network) {
			n.Attach(1, nil)
			send(n, 0, 1, mem.ClassProbe, 1, 0)
			n.e.RunUntilIdle()
		}, "no receiver"},
		{"bad node", func(n *Network) { send(n, 0, 9, mem.ClassProbe, 1, 0) }, "out of range"},
		{"bad class", func(n *Network) { send(n, 0, 1, mem.NumClasses, 1, 0) }, "unknown class"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, n, _ := build(t, line(2))
			defer func() {
				r := recover()
				ie, ok := r.(*sim.InvariantError)
				if !ok || !strings.Contains(ie.Error(), tc.want) {
					t.Fatalf("panic %v, want an InvariantError mentioning %q", r, tc.want)
				}
			}()
			tc.do(n)
		})
	}
}

func TestBus(t *testing.T) {
	cfg := DefaultConfig(3)
	b := FSBBus(0, 1, 2)
	cfg.Buses = []BusConfig{b}
	e, n, s := build(t, cfg)
	c := n.chans[0]
	arb := sim.Time(DefaultBusArbCycles) * DefaultBusPeriod
	ser := c.serialize(mem.ClassData.Bytes())
	if ser != arb+9*DefaultBusPeriod {
		t.Fatalf("bus data transaction %v, want %v", ser, arb+9*DefaultBusPeriod)
	}
	// Two senders at once: one medium, so the second waits for the first.
	send(n, 0, 2, mem.ClassData, 1, 0)
	send(n, 1, 2, mem.ClassData, 2, 0)
	e.RunUntilIdle()
	got := s[2].got
	if len(got) != 2 || got[0].at != ser+b.Latency || got[1].at != 2*ser+b.Latency {
		t.Fatalf("arrivals %+v, want at %v and %v", got, ser+b.Latency, 2*ser+b.Latency)
	}
	if n.Hops(0, 2) != 1 {
		t.Errorf("hops over a bus: %d", n.Hops(0, 2))
	}
	r := n.Snapshot()
	bs := r.Channel("bus fsb")
	if bs == nil || bs.TotalMsgs() != 2 || bs.QueueDelay != ser || !bs.Bus {
		t.Errorf("bus counters %v", bs)
	}
}

func TestBusBroadcast(t *testing.T) {
	cfg := DefaultConfig(4)
	cfg.Buses = []BusConfig{FSBBus(0, 1, 2, 3)}
	e, n, s := build(t, cfg)
	ser := n.chans[0].serialize(mem.ClassProbe.Bytes())
	lat := cfg.Buses[0].Latency
	m := n.NewMsg()
	m.Src, m.Class, m.Txn, m.Line = 0, mem.ClassProbe, 5, 0x1c0
	n.Broadcast(m, []mem.NodeID{3, 1, 2, 0})
	e.RunUntilIdle()
	for i := 0; i < 4; i++ {
		want := ser + lat
		if i == 0 {
			want = 0 // its own copy, locally
		}
		if len(s[i].got) != 1 {
			t.Fatalf("node %d got %d copies", i, len(s[i].got))
		}
		a := s[i].got[0]
		if a.at != want || a.m.Dst != mem.NodeID(i) || a.m.Txn != 5 || a.m.Line != 0x1c0 {
			t.Errorf("node %d: %+v, want at %v", i, a, want)
		}
	}
	r := n.Snapshot()
	if bs := r.Channel("bus fsb"); bs.TotalMsgs() != 1 || bs.Busy != ser {
		t.Errorf("a broadcast is one bus transaction: %v", bs)
	}
	if r.Delivered != 4 {
		t.Errorf("delivered %d", r.Delivered)
	}
	// Every copy was freed by its sink; nothing leaked or double-freed. The
	// local copy was freed at time 0 and reused for a bus copy, so the
	// four deliveries used three messages.
	if len(n.msgs) != 3 {
		t.Errorf("pool holds %d messages, want 3", len(n.msgs))
	}
}

func TestLinkBroadcast(t *testing.T) {
	e, n, s := build(t, gruyere())
	m := n.NewMsg()
	m.Src, m.Class, m.Txn = 0, mem.ClassProbe, 9
	n.Broadcast(m, []mem.NodeID{1, 2, 3, 4, 5, 6, 7})
	e.RunUntilIdle()
	// The nodes the routes from 0 pass through, which forward the
	// packet as well as take their copy (the test wants some of each).
	forwards := map[mem.NodeID]bool{}
	for d := mem.NodeID(1); d < 8; d++ {
		p := n.Path(0, d)
		for _, v := range p[1 : len(p)-1] {
			forwards[v] = true
		}
	}
	if len(forwards) == 0 || len(forwards) == 7 {
		t.Fatalf("forwarding nodes %v: the test wants leaves and branches", forwards)
	}
	for i := mem.NodeID(1); i < 8; i++ {
		if len(s[i].got) != 1 || s[i].got[0].m.Dst != i || s[i].got[0].m.Txn != 9 {
			t.Errorf("node %d: %+v", i, s[i].got)
			continue
		}
		// One packet per link, so nothing queues: every node has its
		// copy at the unloaded latency of its route, those that also
		// forward it included (the router's latency is paid by the
		// onward packets, not by the copy a node takes).
		want := n.UnloadedLatency(0, i, mem.ClassProbe)
		if got := s[i].got[0].at; got != want {
			t.Errorf("node %d (forwards: %v) at %v, want %v", i, forwards[i], got, want)
		}
	}
	r := n.Snapshot()
	// A multicast along the routes from 0 crosses each link of their
	// tree once: seven links for seven nodes, one packet on each.
	total := 0
	for _, c := range r.Channels {
		if k := c.TotalMsgs(); k > 1 {
			t.Errorf("%s carried %d packets, want at most 1", c.Name, k)
		} else {
			total += int(k)
		}
	}
	if total != 7 || r.Delivered != 7 {
		t.Errorf("%d packets over links, %d delivered; want 7 and 7", total, r.Delivered)
	}
}

func TestBusAndLinks(t *testing.T) {
	// Two FSBs joined by a link between hubs 2 and 5: 0,1,2 on one bus,
	// 3,4,5 on the other.
	cfg := DefaultConfig(6)
	b1, b2 := FSBBus(0, 1, 2), FSBBus(3, 4, 5)
	b1.Name, b2.Name = "fsb0", "fsb1"
	cfg.Buses = []BusConfig{b1, b2}
	cfg.Links = []LinkConfig{HTLink(2, 5)}
	e, n, s := build(t, cfg)
	if p := n.Path(0, 4); fmt.Sprint(p) != "[0 2 5 4]" {
		t.Fatalf("path 0->4 %v", p)
	}
	send(n, 0, 4, mem.ClassData, 1, 0)
	e.RunUntilIdle()
	want := n.UnloadedLatency(0, 4, mem.ClassData)
	if len(s[4].got) != 1 || s[4].got[0].at != want {
		t.Fatalf("arrivals %+v, want at %v", s[4].got, want)
	}
	r := n.Snapshot()
	if r.Channel("bus fsb0").TotalMsgs() != 1 || r.Channel("bus fsb1").TotalMsgs() != 1 || r.Link(2, 5).TotalMsgs() != 1 {
		t.Errorf("report:\n%v", r)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(c *Config)
		want string
	}{
		{"no nodes", func(c *Config) { c.Nodes = 0 }, "0 nodes"},
		{"node range", func(c *Config) { c.Links[0].B = 8 }, "out of range"},
		{"self link", func(c *Config) { c.Links[0].B = c.Links[0].A }, "itself"},
		{"negative latency", func(c *Config) { c.Links[0].Latency = -1 }, "negative"},
		{"disconnected", func(c *Config) { c.Nodes = 9 }, "cannot reach"},
		{"small bus", func(c *Config) { c.Buses = []BusConfig{FSBBus(1)} }, "at least 2"},
		{"dup bus member", func(c *Config) { c.Buses = []BusConfig{FSBBus(1, 2, 1)} }, "twice"},
		{"table shape", func(c *Config) { c.Routes = make([][]mem.NodeID, 3) }, "rows"},
		{"not a neighbour", func(c *Config) {
			c.Routes = noRoutes(8)
			c.Routes[0][7] = 7
		}, "not a neighbour"},
		{"to itself", func(c *Config) {
			c.Routes = noRoutes(8)
			c.Routes[0][7] = 0
		}, "routes to itself"},
		{"loop", func(c *Config) {
			c.Routes = noRoutes(8)
			c.Routes[0][2] = 1 // 1 sends 2-bound traffic back via 0
		}, "routing loop from 0 to 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := gruyere()
			tc.mod(&cfg)
			_, err := New(sim.New(1), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func noRoutes(n int) [][]mem.NodeID {
	t := make([][]mem.NodeID, n)
	for i := range t {
		t[i] = make([]mem.NodeID, n)
		for j := range t[i] {
			t[i][j] = NoRoute
		}
	}
	return t
}

func TestSnapshotReset(t *testing.T) {
	e, n, _ := build(t, line(3))
	send(n, 0, 2, mem.ClassData, 1, 3)
	e.RunUntilIdle()
	r1 := n.Snapshot()
	if r1.Link(0, 1).TotalMsgs() != 1 || len(r1.Ops) != 1 || r1.Ops[0] != (OpStats{3, 2, 144}) {
		t.Fatalf("snapshot:\n%v", r1)
	}
	n.Reset()
	e.RunUntil(e.Now() + sim.Microsecond)
	r2 := n.Snapshot()
	if r2.Link(0, 1).TotalMsgs() != 0 || len(r2.Ops) != 0 || r2.Delivered != 0 || r2.From == 0 {
		t.Fatalf("after reset:\n%v", r2)
	}
	// The earlier snapshot is a copy, untouched by Reset.
	if r1.Link(0, 1).TotalMsgs() != 1 {
		t.Error("Reset changed an earlier snapshot")
	}
}

func TestOpAttribution(t *testing.T) {
	e, n, _ := build(t, line(2))
	for i, op := range []mem.OpID{5, 0, 5, 70000, 3, 70000, 5} {
		send(n, 0, 1, mem.ClassProbe, uint64(i), op)
	}
	e.RunUntilIdle()
	r := n.Snapshot()
	got := fmt.Sprint(r.Ops)
	want := "[op 0: 1 msgs 8 B op 3: 1 msgs 8 B op 5: 3 msgs 24 B op 70000: 2 msgs 16 B]"
	if got != want {
		t.Errorf("ops %s, want %s", got, want)
	}
	if fmt.Sprint(r.Link(0, 1).Ops) != want {
		t.Errorf("link ops %v", r.Link(0, 1).Ops)
	}
}
