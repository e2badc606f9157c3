package interconnect

import (
	"math/rand/v2"
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// arrival is one delivered message as a test saw it.
type arrival struct {
	at sim.Time
	m  mem.Msg
}

// sink records and frees everything delivered to its node.
type sink struct {
	e   *sim.Engine
	net *Network
	got []arrival
	// onReceive, if set, is called before the message is freed.
	onReceive func(m *mem.Msg)
}

func (s *sink) Receive(m *mem.Msg) {
	s.got = append(s.got, arrival{s.e.Now(), *m})
	if s.onReceive != nil {
		s.onReceive(m)
	}
	s.net.Free(m)
}

// build makes a network with a sink on every node, ownership checks on.
func build(t testing.TB, cfg Config) (*sim.Engine, *Network, []*sink) {
	t.Helper()
	cfg.CheckOwnership = true
	e := sim.New(1)
	n, err := New(e, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sinks := make([]*sink, cfg.Nodes)
	for i := range sinks {
		sinks[i] = &sink{e: e, net: n}
		n.Attach(mem.NodeID(i), sinks[i])
	}
	return e, n, sinks
}

func send(n *Network, src, dst mem.NodeID, c mem.Class, txn uint64, op mem.OpID) {
	m := n.NewMsg()
	m.Src, m.Dst, m.Class, m.Txn, m.ID = src, dst, c, txn, op
	n.Send(m)
}

// gruyereLinks is the 8-node Gruyère HT graph (paper Fig. 2).
var gruyereLinks = [][2]mem.NodeID{
	{0, 2}, {2, 4}, {4, 6}, {1, 3}, {3, 5}, {5, 7}, {0, 1}, {2, 3}, {6, 7}, {4, 7}, {5, 6},
}

func gruyere() Config {
	cfg := DefaultConfig(8)
	for _, l := range gruyereLinks {
		cfg.Links = append(cfg.Links, HTLink(l[0], l[1]))
	}
	return cfg
}

// line is n nodes in a row joined by HT links.
func line(nodes int) Config {
	cfg := DefaultConfig(nodes)
	for i := 0; i+1 < nodes; i++ {
		cfg.Links = append(cfg.Links, HTLink(mem.NodeID(i), mem.NodeID(i+1)))
	}
	return cfg
}

// traffic sends random messages between random nodes at random intervals.
type traffic struct {
	e      *sim.Engine
	n      *Network
	r      *rand.Rand
	left   int
	maxGap sim.Time
	ops    int
	txn    uint64
}

func (g *traffic) Handle(uint64) {
	if g.left == 0 {
		return
	}
	g.left--
	nodes := g.n.Nodes()
	m := g.n.NewMsg()
	m.Src = mem.NodeID(g.r.IntN(nodes))
	m.Dst = mem.NodeID(g.r.IntN(nodes))
	m.Class = mem.Class(g.r.IntN(int(mem.NumClasses)))
	m.ID = mem.OpID(g.r.IntN(g.ops))
	m.Txn = g.txn
	g.txn++
	g.n.Send(m)
	g.e.After(sim.Time(g.r.Int64N(int64(g.maxGap))), g, 0)
}
