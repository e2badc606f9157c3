package interconnect

import (
	"strings"
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// clockwise is n nodes in a cycle whose routing tables send everything clockwise.
func clockwise(n, credits int) Config {
	cfg := DefaultConfig(n)
	cfg.Credits = credits
	cfg.Routes = noRoutes(n)
	for i := 0; i < n; i++ {
		cfg.Links = append(cfg.Links, HTLink(mem.NodeID(i), mem.NodeID((i+1)%n)))
		for d := 0; d < n; d++ {
			if d != i {
				cfg.Routes[i][d] = mem.NodeID((i + 1) % n)
			}
		}
	}
	return cfg
}

func TestDeadlockRing(t *testing.T) {
	const nodes, per = 4, 2
	cfg := clockwise(nodes, 1)
	var reports []string
	cfg.OnDeadlock = func(d *Deadlock) { reports = append(reports, d.String()) }
	e, n, s := build(t, cfg)
	for i := 0; i < nodes; i++ {
		for k := 0; k < per; k++ {
			send(n, mem.NodeID(i), mem.NodeID((i+2)%nodes), mem.ClassData, uint64(10*i+k), 0)
		}
	}
	e.RunUntil(sim.Millisecond)
	// Detected, reported, and nothing delivered yet.
	if len(reports) != 1 || len(n.Deadlocks()) != 1 {
		t.Fatalf("deadlock reports: %q", reports)
	}
	d := n.Deadlocks()[0]
	t.Logf("%v", d)
	if len(d.Channels) != nodes || len(d.Stuck) != nodes*per || d.RetryAt != d.At+DefaultRetryTimeout {
		t.Errorf("report: %v", d)
	}
	for _, want := range []string{"deadlock 1", "link 0-1 0->1", "txn 0 ", "holds link"} {
		if !strings.Contains(reports[0], want) {
			t.Errorf("report lacks %q:\n%s", want, reports[0])
		}
	}
	for i := range s {
		if len(s[i].got) != 0 {
			t.Fatalf("node %d received %d before the timeout", i, len(s[i].got))
		}
	}
	// The cycle holds until the timeout, then every message arrives.
	e.RunUntilIdle()
	total := 0
	for i := range s {
		total += len(s[i].got)
		for _, a := range s[i].got {
			if a.at < DefaultRetryTimeout {
				t.Errorf("%v delivered at %v, before the 10ms timeout", &a.m, a.at)
			}
			if a.m.Dst != mem.NodeID(i) {
				t.Errorf("%v delivered to %d", &a.m, i)
			}
		}
	}
	if total != nodes*per {
		t.Fatalf("delivered %d of %d", total, nodes*per)
	}
	r := n.Snapshot()
	if r.Deadlocks != 1 || r.Drops != nodes*per || r.Retries != nodes*per || d.Dropped != nodes*per {
		t.Errorf("deadlocks %d drops %d retries %d dropped %d", r.Deadlocks, r.Drops, r.Retries, d.Dropped)
	}
	if !strings.Contains(r.String(), "deadlocks 1") {
		t.Errorf("report:\n%v", r)
	}
	t.Logf("\n%v", r)
	// Buffers are all released.
	for _, b := range n.bufs {
		if b.used != 0 || b.inflight != 0 {
			t.Errorf("%s at %d: used %d inflight %d", b.ch.name, b.node, b.used, b.inflight)
		}
	}
}

func TestDeadlockTimeoutConfigurable(t *testing.T) {
	cfg := clockwise(3, 1)
	cfg.RetryTimeout = 50 * sim.Microsecond
	e, n, s := build(t, cfg)
	for i := 0; i < 3; i++ {
		for k := 0; k < 2; k++ {
			send(n, mem.NodeID(i), mem.NodeID((i+2)%3), mem.ClassData, uint64(10*i+k), 0)
		}
	}
	e.RunUntilIdle()
	total := 0
	var last sim.Time
	for i := range s {
		total += len(s[i].got)
		for _, a := range s[i].got {
			last = max(last, a.at)
		}
	}
	if total != 6 || len(n.Deadlocks()) == 0 || last < 50*sim.Microsecond || last > 60*sim.Microsecond {
		t.Errorf("delivered %d, deadlocks %d, last at %v", total, len(n.Deadlocks()), last)
	}
}

// Small buffers with traffic that cannot cycle (a line) block but never
// deadlock.
func TestNoFalseDeadlock(t *testing.T) {
	cfg := line(4)
	cfg.Credits = 1
	cfg.OnDeadlock = func(d *Deadlock) { t.Errorf("false deadlock: %v", d) }
	e, n, s := build(t, cfg)
	r := e.Rand("traffic")
	sent := 0
	for k := 0; k < 200; k++ {
		src := mem.NodeID(r.IntN(4))
		dst := mem.NodeID(r.IntN(4))
		send(n, src, dst, mem.Class(r.IntN(int(mem.NumClasses))), uint64(k), 0)
		sent++
		if r.IntN(4) == 0 {
			e.RunUntil(e.Now() + sim.Time(r.IntN(20))*sim.Nanosecond)
		}
	}
	e.RunUntilIdle()
	got := 0
	for i := range s {
		got += len(s[i].got)
	}
	if got != sent {
		t.Errorf("delivered %d of %d", got, sent)
	}
	rep := n.Snapshot()
	var stall sim.Time
	for _, c := range rep.Channels {
		stall += c.Stall
	}
	if stall == 0 {
		t.Error("one-credit buffers never stalled: test does not exercise flow control")
	}
}

// Random traffic on a clockwise ring with tiny buffers deadlocks again and
// again; every message still arrives exactly once.
func TestDeadlockStress(t *testing.T) {
	cfg := clockwise(5, 2)
	cfg.RetryTimeout = 10 * sim.Microsecond
	e, n, s := build(t, cfg)
	seen := make(map[uint64]bool)
	for i := range s {
		s[i].onReceive = func(m *mem.Msg) {
			if seen[m.Txn] {
				t.Errorf("%v delivered twice", m)
			}
			seen[m.Txn] = true
		}
	}
	const msgs = 3000
	g := &traffic{e: e, n: n, r: e.Rand("traffic"), left: msgs, maxGap: 10 * sim.Nanosecond, ops: 3}
	e.Schedule(0, g, 0)
	e.RunUntilIdle()
	if len(seen) != msgs {
		t.Errorf("delivered %d of %d", len(seen), msgs)
	}
	if len(n.Deadlocks()) < 2 {
		t.Errorf("%d deadlocks: test does not exercise repeated recovery", len(n.Deadlocks()))
	}
	for _, b := range n.bufs {
		if b.used != 0 || b.inflight != 0 {
			t.Errorf("%s at %d: used %d inflight %d", b.ch.name, b.node, b.used, b.inflight)
		}
	}
	rep := n.Snapshot()
	t.Logf("%d deadlocks, %d drops, %d retries, sim time %s", rep.Deadlocks, rep.Drops, rep.Retries, ns(e.Now()))
}

// A bus with one-credit buffers whose members forward to each other.
func TestBusBackpressure(t *testing.T) {
	cfg := DefaultConfig(3)
	b := FSBBus(0, 1, 2)
	b.Credits = 1
	cfg.Buses = []BusConfig{b}
	e, n, s := build(t, cfg)
	for k := 0; k < 10; k++ {
		send(n, mem.NodeID(k%2), 2, mem.ClassData, uint64(k), 0)
		m := n.NewMsg()
		m.Src, m.Class, m.Txn = 0, mem.ClassProbe, uint64(100+k)
		n.Broadcast(m, []mem.NodeID{1, 2})
	}
	e.RunUntilIdle()
	if len(s[2].got) != 20 || len(s[1].got) != 10 {
		t.Errorf("node 2 got %d, node 1 got %d", len(s[2].got), len(s[1].got))
	}
	if len(n.Deadlocks()) != 0 {
		t.Errorf("deadlocks %v", n.Deadlocks())
	}
}

// A clockwise ring whose 0->1 hop is a bus: bus transactions (unicast and
// broadcast) take part in the cycle and are retried like any message.
func TestDeadlockThroughBus(t *testing.T) {
	cfg := DefaultConfig(3)
	cfg.Credits = 1
	cfg.Buses = []BusConfig{FSBBus(0, 1)}
	cfg.Links = []LinkConfig{HTLink(1, 2), HTLink(2, 0)}
	cfg.Routes = [][]mem.NodeID{{NoRoute, 1, 1}, {2, NoRoute, 2}, {0, 0, NoRoute}}
	e, n, s := build(t, cfg)
	for i := 0; i < 3; i++ {
		send(n, mem.NodeID(i), mem.NodeID((i+2)%3), mem.ClassData, uint64(10*i), 0)
		if i == 0 {
			m := n.NewMsg()
			m.Src, m.Class, m.Txn = 0, mem.ClassProbe, 99
			n.Broadcast(m, []mem.NodeID{1})
		}
		send(n, mem.NodeID(i), mem.NodeID((i+2)%3), mem.ClassData, uint64(10*i+1), 0)
	}
	e.RunUntilIdle()
	if len(n.Deadlocks()) == 0 {
		t.Fatal("no deadlock")
	}
	d := n.Deadlocks()[0]
	if !strings.Contains(d.String(), "bus fsb") || !strings.Contains(d.String(), "[probe]") {
		t.Errorf("deadlock does not involve the bus broadcast:\n%v", d)
	}
	total := 0
	for i := range s {
		total += len(s[i].got)
	}
	if total != 7 || len(s[1].got) != 3 {
		t.Errorf("delivered %d (node 1: %d), want 7 (3)", total, len(s[1].got))
	}
	t.Logf("%v", d)
}

// A multicast caught in a deadlock: the ring of TestDeadlockRing, plus a
// probe from node 0 to every other node, queued behind the stuck data on
// 0->1 (every route from 0 goes clockwise, so it leaves as one packet).
// After the recovery every message reaches each of its destinations once.
func TestDeadlockMulticast(t *testing.T) {
	const nodes, per = 4, 2
	e, n, s := build(t, clockwise(nodes, 1))
	for i := 0; i < nodes; i++ {
		for k := 0; k < per; k++ {
			send(n, mem.NodeID(i), mem.NodeID((i+2)%nodes), mem.ClassData, uint64(10*i+k), 0)
		}
	}
	m := n.NewMsg()
	m.Src, m.Class, m.Txn = 0, mem.ClassProbe, 99
	n.Broadcast(m, []mem.NodeID{1, 2, 3})
	e.RunUntilIdle()
	if len(n.Deadlocks()) == 0 {
		t.Fatal("no deadlock: the test wants the multicast caught in one")
	}
	// The report names the multicast: it leaves 0 for 1, carrying 2 and 3.
	if rep := n.Deadlocks()[0].String(); !strings.Contains(rep, "multicast, also for nodes [2 3]") {
		t.Errorf("report does not show the multicast:\n%s", rep)
	}
	got := map[[2]uint64]int{}
	for i := range s {
		for _, a := range s[i].got {
			if a.m.Dst != mem.NodeID(i) {
				t.Errorf("%v delivered to %d", &a.m, i)
			}
			got[[2]uint64{a.m.Txn, uint64(i)}]++
		}
	}
	want := map[[2]uint64]int{{99, 1}: 1, {99, 2}: 1, {99, 3}: 1}
	for i := 0; i < nodes; i++ {
		for k := 0; k < per; k++ {
			want[[2]uint64{uint64(10*i + k), uint64((i + 2) % nodes)}] = 1
		}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("txn %d at node %d delivered %d times, want %d", k[0], k[1], got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	r := n.Snapshot()
	t.Logf("deadlocks %d drops %d retries %d", r.Deadlocks, r.Drops, r.Retries)
	if r.Drops == 0 || r.Link(0, 1).TotalMsgs() < 1 {
		t.Errorf("drops %d, 0->1 carried %d", r.Drops, r.Link(0, 1).TotalMsgs())
	}
}
