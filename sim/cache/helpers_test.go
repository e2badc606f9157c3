package cache

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// fakeNet is a deterministic mem.Network for tests: a fixed latency per hop
// from a hop matrix, plus optional pseudo-random jitter that reorders
// messages between the same pair of nodes (the protocol must not depend on
// point-to-point order). Messages are delivered from events.
type fakeNet struct {
	e      *sim.Engine
	hops   [][]int
	perHop sim.Time
	jitter sim.Time
	rng    *rand.Rand
	recv   mem.Receiver
	slots  []*mem.Msg
	free   []uint64
	sent   [mem.NumClasses]uint64
	bytes  uint64
}

func newFakeNet(e *sim.Engine, hops [][]int, perHop, jitter sim.Time) *fakeNet {
	return &fakeNet{e: e, hops: hops, perHop: perHop, jitter: jitter, rng: e.Rand("fakenet")}
}

func (n *fakeNet) Send(m *mem.Msg) {
	d := n.perHop * sim.Time(n.hops[m.Src][m.Dst])
	if n.jitter > 0 {
		d += sim.Time(n.rng.Int64N(int64(n.jitter)))
	}
	n.sent[m.Class]++
	n.bytes += uint64(m.Bytes())
	var slot uint64
	if k := len(n.free); k > 0 {
		slot = n.free[k-1]
		n.free = n.free[:k-1]
		n.slots[slot] = m
	} else {
		slot = uint64(len(n.slots))
		n.slots = append(n.slots, m)
	}
	n.e.After(d, n, slot)
}

func (n *fakeNet) Handle(slot uint64) {
	m := n.slots[slot]
	n.slots[slot] = nil
	n.free = append(n.free, slot)
	n.recv.Receive(m)
}

func (n *fakeNet) messages() uint64 {
	var t uint64
	for _, c := range n.sent {
		t += c
	}
	return t
}

// ringHops is the hop matrix of n nodes in a ring.
func ringHops(n int) [][]int {
	h := make([][]int, n)
	for i := range h {
		h[i] = make([]int, n)
		for j := range h[i] {
			d := (i - j + n) % n
			h[i][j] = min(d, n-d)
		}
	}
	return h
}

// graphHops is the all-pairs hop matrix of an undirected graph.
func graphHops(n int, edges [][2]int) [][]int {
	h := make([][]int, n)
	for i := range h {
		h[i] = make([]int, n)
		for j := range h[i] {
			if i != j {
				h[i][j] = 1 << 20
			}
		}
	}
	for _, e := range edges {
		h[e[0]][e[1]], h[e[1]][e[0]] = 1, 1
	}
	for k := 0; k < n; k++ {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				h[i][j] = min(h[i][j], h[i][k]+h[k][j])
			}
		}
	}
	return h
}

// tconf describes a test machine.
type tconf struct {
	scheme  Scheme
	nodes   int  // packages
	cores   int  // cores per package
	cluster int  // cores per L2 (0: 1)
	l3      bool // L3 victim cache per package
	mesi    bool
	hub     bool // one extra memory-only node homes all memory (FSB)
	big     bool // realistic cache sizes instead of tiny ones
	jitter  sim.Time
	mshrs   int      // package MSHRs (0: 2 tiny / 8 big)
	bcast   bool     // the network implements Broadcaster and MsgPool
	hold    sim.Time // Package.FillHold (0: the default; negative: none)
	lines   int      // random tester lines (0: 6 + nodes)
	local   bool     // Config.LocalOnChip
}

func (c tconf) String() string {
	s := fmt.Sprintf("%v/%dx%d", c.scheme, c.nodes, c.cores)
	if c.cluster > 1 {
		s += fmt.Sprintf("/L2x%d", c.cluster)
	}
	if c.l3 {
		s += "/L3"
	}
	if c.mesi {
		s += "/MESI"
	}
	if c.hub {
		s += "/hub"
	}
	if c.big {
		s += "/big"
	}
	if c.mshrs > 0 {
		s += fmt.Sprintf("/mshr%d", c.mshrs)
	}
	if c.bcast {
		s += "/bcast"
	}
	if c.hold != 0 {
		s += fmt.Sprintf("/hold%v", c.hold)
	}
	if c.lines != 0 {
		s += fmt.Sprintf("/lines%d", c.lines)
	}
	if c.local {
		s += "/local"
	}
	return s
}

const memPerNode = 1 << 20

func (c tconf) config() (Config, *mem.HomeMap) {
	lv := func(size, ways int, lat sim.Time, mshrs int) Level {
		return Level{Size: size, Ways: ways, Latency: lat, MSHRs: mshrs}
	}
	l1 := lv(256, 2, 1*sim.Nanosecond, 2)
	l2 := lv(512, 2, 5*sim.Nanosecond, 2)
	l3 := lv(1024, 4, 10*sim.Nanosecond, 0)
	pm := 2
	if c.big {
		l1 = lv(64<<10, 2, 1*sim.Nanosecond, 4)
		l2 = lv(512<<10, 16, 6500*sim.Picosecond, 8)
		l3 = lv(2<<20, 32, 25*sim.Nanosecond, 0)
		pm = 8
	}
	if c.mshrs > 0 {
		pm = c.mshrs
	}
	cfg := Config{Scheme: c.scheme, MESI: c.mesi, LocalOnChip: c.local}
	per := max(c.cluster, 1)
	core := 0
	for n := 0; n < c.nodes; n++ {
		p := Package{Node: mem.NodeID(n), MSHRs: pm, ToPackage: 2 * sim.Nanosecond, FromPackage: 2 * sim.Nanosecond,
			SiblingProbe: 20 * sim.Nanosecond, RequestOut: 5 * sim.Nanosecond, ProbeResponse: 10 * sim.Nanosecond,
			FillHold: c.hold}
		if c.l3 {
			l := l3
			p.L3 = &l
		}
		for k := 0; k < c.cores; k += per {
			cl := Cluster{L1: l1, L2: l2}
			for j := k; j < k+per && j < c.cores; j++ {
				cl.Cores = append(cl.Cores, core)
				core++
			}
			p.Clusters = append(p.Clusters, cl)
		}
		cfg.Packages = append(cfg.Packages, p)
	}
	var rs []mem.Range
	if c.hub {
		cfg.Homes = []Home{{Node: mem.NodeID(c.nodes), Latency: 5 * sim.Nanosecond, DRAM: 40 * sim.Nanosecond}}
		rs = []mem.Range{{Base: 0, Size: uint64(c.nodes) * memPerNode, Home: mem.NodeID(c.nodes)}}
	} else {
		for n := 0; n < c.nodes; n++ {
			cfg.Homes = append(cfg.Homes, Home{Node: mem.NodeID(n), Latency: 5 * sim.Nanosecond, DRAM: 40 * sim.Nanosecond})
			rs = append(rs, mem.Range{Base: mem.Addr(n * memPerNode), Size: memPerNode, Home: mem.NodeID(n)})
		}
	}
	hm, err := mem.NewHomeMap(rs)
	if err != nil {
		panic(err)
	}
	return cfg, hm
}

func (c tconf) hops() [][]int {
	if !c.hub {
		return ringHops(c.nodes)
	}
	n := c.nodes + 1
	h := make([][]int, n)
	for i := range h {
		h[i] = make([]int, n)
		for j := range h[i] {
			if i != j {
				h[i][j] = 1
			}
		}
	}
	return h
}

func (c tconf) build(t testing.TB, seed uint64) (*sim.Engine, *System, *fakeNet) {
	t.Helper()
	return c.buildWith(t, seed, nil)
}

// buildWith is build with the configuration edited by edit (if not nil)
// first.
func (c tconf) buildWith(t testing.TB, seed uint64, edit func(*Config)) (*sim.Engine, *System, *fakeNet) {
	t.Helper()
	e := sim.New(seed)
	cfg, hm := c.config()
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(e, cfg, mem.NewMemory(), hm)
	if err != nil {
		t.Fatal(err)
	}
	n := newFakeNet(e, c.hops(), 15*sim.Nanosecond, c.jitter)
	n.recv = s
	if c.bcast {
		s.SetNetwork(&poolNet{fakeNet: n})
	} else {
		s.SetNetwork(n)
	}
	return e, s, n
}

// poolNet adds Broadcast and a message pool to fakeNet, checking that
// freed messages are not freed twice.
type poolNet struct {
	*fakeNet
	free  []*mem.Msg
	freed map[*mem.Msg]bool
}

func (n *poolNet) NewMsg() *mem.Msg {
	if k := len(n.free); k > 0 {
		m := n.free[k-1]
		n.free = n.free[:k-1]
		delete(n.freed, m)
		m.Header = mem.Header{}
		return m
	}
	return new(mem.Msg)
}

func (n *poolNet) Free(m *mem.Msg) {
	if n.freed == nil {
		n.freed = map[*mem.Msg]bool{}
	}
	if n.freed[m] {
		panic(fmt.Sprintf("message %v freed twice", m))
	}
	n.freed[m] = true
	*m = mem.Msg{Header: mem.Header{Kind: 0xff}} // poison
	n.free = append(n.free, m)
}

func (n *poolNet) Broadcast(m *mem.Msg, dsts []mem.NodeID) {
	for i, d := range dsts {
		c := m
		if i < len(dsts)-1 {
			c = n.NewMsg()
			*c = *m
		}
		c.Dst = d
		n.Send(c)
	}
}
