package interconnect

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// The network takes shortcuts that must not change what it does: the idle
// fast path (a message finding its channel idle starts without the queue
// and the kick list), kicking a channel on a freed slot only when trying
// it could do something, and, at a delivery, kicking the channel it came
// on only once Receive sends (lateKick). With noFast set it takes none of
// them. These tests
// run the same random traffic both ways and require identical runs: every
// event (time, handler, argument), every delivery, and the report.

// echo is a receiver that records what it gets and, at random, answers
// from inside Receive: a unicast reply, or a broadcast to a few nodes, as
// the cache protocols do (so sends and broadcasts happen while a freed
// slot's channel sits on the kick list). Now and then it sends from
// another node, which may queue a message on the channel the delivery
// came on.
type echo struct {
	e    *sim.Engine
	n    *Network
	r    *rand.Rand
	id   mem.NodeID
	log  *strings.Builder
	left *int
}

func (x *echo) Receive(m *mem.Msg) {
	fmt.Fprintf(x.log, "recv %d %v\n", x.e.Now(), m)
	x.n.Free(m)
	if *x.left <= 0 {
		return
	}
	nodes := x.n.Nodes()
	src := x.id
	if x.r.IntN(2) == 0 {
		src = mem.NodeID(x.r.IntN(nodes))
	}
	switch k := x.r.IntN(8); {
	case k < 3:
		*x.left--
		mm := x.n.NewMsg()
		mm.Src, mm.Dst = src, mem.NodeID(x.r.IntN(nodes))
		mm.Class, mm.Txn = mem.Class(x.r.IntN(int(mem.NumClasses))), uint64(*x.left)
		x.n.Send(mm)
	case k < 5:
		*x.left--
		mm := x.n.NewMsg()
		mm.Src, mm.Class, mm.Txn = src, mem.ClassProbe, uint64(*x.left)
		var dsts []mem.NodeID
		for d := 0; d < nodes; d++ {
			if x.r.IntN(2) == 0 {
				dsts = append(dsts, mem.NodeID(d))
			}
		}
		x.n.Broadcast(mm, dsts)
	}
}

// eventLog records every event the engine runs.
type eventLog struct{ b *strings.Builder }

func (l eventLog) EventStart(now sim.Time, h sim.Handler, arg uint64) {
	fmt.Fprintf(l.b, "ev %d %s %d\n", now, sim.NameOf(h), arg)
}
func (l eventLog) EventEnd(sim.Time, sim.Handler, uint64) {}

// injector sends or broadcasts at random times on a coarse grid, so that
// many events share a time.
type injector struct {
	e    *sim.Engine
	n    *Network
	r    *rand.Rand
	left *int
	gaps int // the gap to the next message is 0..gaps-1 times 500 ps
}

func (g *injector) Handle(uint64) {
	if *g.left <= 0 {
		return
	}
	*g.left--
	nodes := g.n.Nodes()
	m := g.n.NewMsg()
	m.Src = mem.NodeID(g.r.IntN(nodes))
	m.Class, m.Txn, m.ID = mem.Class(g.r.IntN(int(mem.NumClasses))), uint64(*g.left), mem.OpID(g.r.IntN(4))
	if g.r.IntN(4) == 0 {
		a := g.r.IntN(nodes)
		b := (a + 1 + g.r.IntN(nodes-1)) % nodes
		g.n.Broadcast(m, []mem.NodeID{mem.NodeID(a), mem.NodeID(b)}[:1+g.r.IntN(2)])
	} else {
		m.Dst = mem.NodeID(g.r.IntN(nodes))
		g.n.Send(m)
	}
	g.e.After(sim.Time(g.r.IntN(g.gaps))*500*sim.Picosecond, g, 0)
}

func runTraffic(t *testing.T, cfg Config, seed uint64, gaps int, noFast bool) string {
	t.Helper()
	var b strings.Builder
	e := sim.New(seed)
	cfg.CheckOwnership = true
	n, err := New(e, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.noFast = noFast
	e.AddHook(eventLog{&b})
	left := 3000
	for i := 0; i < cfg.Nodes; i++ {
		n.Attach(mem.NodeID(i), &echo{e: e, n: n, r: rand.New(rand.NewPCG(seed, uint64(i))), id: mem.NodeID(i), log: &b, left: &left})
	}
	for i := 0; i < 3; i++ {
		e.After(0, &injector{e: e, n: n, r: rand.New(rand.NewPCG(seed, uint64(100+i))), left: &left, gaps: gaps}, 0)
	}
	e.RunUntil(100 * sim.Millisecond)
	b.WriteString(n.Snapshot().String())
	for _, d := range n.Deadlocks() {
		b.WriteString(d.String())
	}
	return b.String()
}

// shortcutShapes are the networks the shortcut tests (fast paths, starting
// ahead) run traffic on: links with default and tight credits, a line, a
// ring with one credit, and a bus.
func shortcutShapes() []struct {
	name string
	cfg  Config
} {
	bus := DefaultConfig(4)
	bus.Buses = []BusConfig{FSBBus(0, 1, 2, 3)}
	tight := gruyere()
	tight.Credits = 2
	return []struct {
		name string
		cfg  Config
	}{
		{"gruyere", gruyere()},
		{"gruyere-2-credits", tight},
		{"line", line(5)},
		{"ring-1-credit", clockwise(4, 1)},
		{"bus", bus},
	}
}

func TestFastPathsChangeNothing(t *testing.T) {
	for _, tc := range shortcutShapes() {
		for seed := uint64(1); seed <= 6; seed++ {
			gaps := []int{2, 8, 32}[seed%3] // heavy to light load
			fast := runTraffic(t, tc.cfg, seed, gaps, false)
			slow := runTraffic(t, tc.cfg, seed, gaps, true)
			if fast != slow {
				fl, sl := strings.Split(fast, "\n"), strings.Split(slow, "\n")
				for i := range min(len(fl), len(sl)) {
					if fl[i] != sl[i] {
						t.Fatalf("%s seed %d: runs differ at line %d:\nfast: %s\nslow: %s", tc.name, seed, i, fl[i], sl[i])
					}
				}
				t.Fatalf("%s seed %d: runs differ in length: %d vs %d lines", tc.name, seed, len(fl), len(sl))
			}
			if !strings.Contains(fast, "recv") {
				t.Fatalf("%s seed %d: nothing delivered", tc.name, seed)
			}
		}
	}
}
