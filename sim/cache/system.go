package cache

import (
	"fmt"
	"math/bits"
	"sort"

	"mksim/sim"
	"mksim/sim/mem"
)

// Broadcaster is implemented by networks that can deliver one message to
// several nodes at once (an FSB snoop seen by every agent in one bus
// transaction). When the network has it, home probes use it.
type Broadcaster interface {
	Broadcast(m *mem.Msg, dsts []mem.NodeID)
}

// MsgPool is implemented by networks that pool messages. When the network
// has it, the caches take messages from it and free the ones they receive;
// otherwise they keep a pool of their own. Either way, a message received
// belongs to the caches from the moment Receive is called.
type MsgPool interface {
	NewMsg() *mem.Msg
	Free(m *mem.Msg)
}

// System is the memory hierarchy of one machine: every core's L1, the L2s,
// the packages' L3s and on-chip controllers, and the homes (memory
// controllers with their directories). It sends and receives coherence
// messages through a mem.Network and implements mem.Receiver for all its
// nodes.
type System struct {
	e      *sim.Engine
	cfg    Config
	net    mem.Network
	bcast  Broadcaster
	pool   MsgPool
	memory *mem.Memory
	homes  *mem.HomeMap
	tabs   *tableSet

	pkgs        []*pkg
	nodes       []nodeUnit // indexed by NodeID
	l1s         []*L1      // indexed by core
	reqs        []*req     // every L1 MSHR, by global index
	caching     []mem.NodeID
	cachingMask uint64
	scratch     []mem.NodeID

	txnSeq  uint64
	msgFree []*mem.Msg
}

type nodeUnit struct {
	s    *System
	id   mem.NodeID
	pkg  *pkg
	home *home
}

// Receive delivers a message to this node's package or home controller
// (anything odd goes through System.Receive, which names the problem).
func (n *nodeUnit) Receive(m *mem.Msg) {
	if m.Dst == n.id {
		if toHome(m.Kind) {
			if n.home != nil {
				n.home.receive(m)
				return
			}
		} else if n.pkg != nil {
			n.pkg.receive(m)
			return
		}
	}
	n.s.Receive(m)
}

// New builds the caches and controllers described by cfg over physical
// memory m, whose lines are homed as homes says. Wire it to a network with
// SetNetwork before running, and attach the System (or Receiver(node)) as
// the network's receiver for every node in Nodes().
func New(e *sim.Engine, cfg Config, m *mem.Memory, homes *mem.HomeMap) (*System, error) {
	ncores, err := cfg.validate(homes)
	if err != nil {
		return nil, fmt.Errorf("cache config: %w", err)
	}
	s := &System{e: e, cfg: cfg, memory: m, homes: homes, tabs: newTableSet(cfg.Scheme, cfg.MESI)}
	maxNode := mem.NodeID(0)
	for _, p := range cfg.Packages {
		maxNode = max(maxNode, p.Node)
	}
	for _, h := range cfg.Homes {
		maxNode = max(maxNode, h.Node)
	}
	s.nodes = make([]nodeUnit, maxNode+1)
	for i := range s.nodes {
		s.nodes[i] = nodeUnit{s: s, id: mem.NodeID(i)}
	}
	s.l1s = make([]*L1, ncores)
	for i := range cfg.Packages {
		p := newPkg(s, &cfg.Packages[i])
		s.pkgs = append(s.pkgs, p)
		s.nodes[p.node].pkg = p
		s.caching = append(s.caching, p.node)
	}
	sort.Slice(s.caching, func(i, j int) bool { return s.caching[i] < s.caching[j] })
	for _, c := range s.caching {
		s.cachingMask |= bit(c)
	}
	for i := range cfg.Homes {
		h := newHome(s, &cfg.Homes[i])
		s.nodes[h.node].home = h
	}
	return s, nil
}

// SetNetwork connects the caches to the interconnect. If the network also
// implements Broadcaster or MsgPool, those are used.
func (s *System) SetNetwork(n mem.Network) {
	s.net = n
	s.bcast, _ = n.(Broadcaster)
	s.pool, _ = n.(MsgPool)
}

// Engine is the engine the system runs on.
func (s *System) Engine() *sim.Engine { return s.e }

// Config returns the configuration the system was built from.
func (s *System) Config() Config { return s.cfg }

// Memory is the physical memory behind the homes.
func (s *System) Memory() *mem.Memory { return s.memory }

// NumCores is one more than the highest core index with an L1 here.
func (s *System) NumCores() int { return len(s.l1s) }

// Cores lists the cores that have an L1 here, in index order.
func (s *System) Cores() []int {
	var cs []int
	for i, l := range s.l1s {
		if l != nil {
			cs = append(cs, i)
		}
	}
	return cs
}

// Port is core's view of its L1 data cache. It panics for a core the
// configuration does not list.
func (s *System) Port(core int) mem.Port { return s.l1(core) }

// L1 returns core's L1 (for counters and the probe helpers).
func (s *System) L1(core int) *L1 { return s.l1(core) }

func (s *System) l1(core int) *L1 {
	if core < 0 || core >= len(s.l1s) || s.l1s[core] == nil {
		sim.Failf("cache", "port", "core %d has no L1 in this memory system", core)
	}
	return s.l1s[core]
}

// Nodes lists every node the system has a controller at (packages, homes).
func (s *System) Nodes() []mem.NodeID {
	var ns []mem.NodeID
	for i := range s.nodes {
		if s.nodes[i].pkg != nil || s.nodes[i].home != nil {
			ns = append(ns, mem.NodeID(i))
		}
	}
	return ns
}

// NodeOf returns the node (package) core belongs to.
func (s *System) NodeOf(core int) mem.NodeID { return s.l1(core).cl.pkg.node }

// Receiver returns the receiver to attach to the network for node n.
func (s *System) Receiver(n mem.NodeID) mem.Receiver { return &s.nodes[n] }

// Receive dispatches a message to the package or home controller at
// m.Dst. The system owns m from now on.
func (s *System) Receive(m *mem.Msg) {
	if int(m.Dst) < 0 || int(m.Dst) >= len(s.nodes) {
		sim.Failf("cache", "receive", "message %v for unknown node %d", m, m.Dst)
	}
	n := &s.nodes[m.Dst]
	if toHome(m.Kind) {
		if n.home == nil {
			sim.Failf("cache", "receive", "message %v for node %d, which has no home", m, m.Dst)
		}
		n.home.receive(m)
		return
	}
	if n.pkg == nil {
		sim.Failf("cache", "receive", "message %v for node %d, which has no package", m, m.Dst)
	}
	n.pkg.receive(m)
}

func (s *System) homeOf(l mem.LineAddr) mem.NodeID { return s.homes.Home(l.Addr(0)) }

func (s *System) newMsg() *mem.Msg {
	if s.pool != nil {
		return s.pool.NewMsg()
	}
	if n := len(s.msgFree); n > 0 {
		m := s.msgFree[n-1]
		s.msgFree = s.msgFree[:n-1]
		m.Header = mem.Header{}
		return m
	}
	return new(mem.Msg)
}

func (s *System) freeMsg(m *mem.Msg) {
	if s.pool != nil {
		s.pool.Free(m)
		return
	}
	s.msgFree = append(s.msgFree, m)
}

func (s *System) send(m *mem.Msg) {
	if s.net == nil {
		s.noNetwork(m)
	}
	s.net.Send(m)
}

// noNetwork is send's failure (delayLine.Handle's too, which writes send
// out: it does not inline).
//
//go:noinline
func (s *System) noNetwork(m *mem.Msg) {
	sim.Failf("cache", "send", "no network: call SetNetwork before running (message %v)", m)
}

// sendMany sends a copy of m to every node of dsts (m itself is one copy).
func (s *System) sendMany(m *mem.Msg, dsts []mem.NodeID) {
	if len(dsts) == 0 {
		s.freeMsg(m)
		return
	}
	if s.bcast != nil {
		s.bcast.Broadcast(m, dsts)
		return
	}
	for i, d := range dsts {
		c := m
		if i < len(dsts)-1 {
			c = s.newMsg()
			c.CopyFrom(m)
		}
		c.Dst = d
		s.send(c)
	}
}

// delayLine sends messages a fixed delay after they are pushed. One delay
// per line keeps it a FIFO: one event per message, no allocation.
type delayLine struct {
	s    *System
	d    sim.Time
	q    dlQueue
	name string
}

type dlEntry struct {
	m    *mem.Msg
	dsts uint64 // non-zero: a copy to each node in the mask
}

// push sends m after the line's delay: to m.Dst, or, if dsts is not zero,
// a copy to every node in the mask.
func (dl *delayLine) push(m *mem.Msg, dsts uint64) {
	if dl.d == 0 {
		dl.out(dlEntry{m, dsts})
		return
	}
	dl.q.push(dlEntry{m, dsts})
	// Post: the ID, never cancelled, is not worth making.
	e := dl.s.e
	e.Post(e.Now()+dl.d, dl, 0)
}

func (dl *delayLine) out(en dlEntry) {
	if en.dsts == 0 {
		dl.s.send(en.m)
		return
	}
	ns := dl.s.scratch[:0]
	for mask := en.dsts; mask != 0; mask &= mask - 1 {
		ns = append(ns, mem.NodeID(bits.TrailingZeros64(mask)))
	}
	dl.s.scratch = ns
	dl.s.sendMany(en.m, ns)
}

// Handle sends the oldest queued message. The common case, the entry in
// the ring with none waiting beyond it and a unicast, is written out here
// (pop and out cost more in calls than in work).
func (dl *delayLine) Handle(uint64) {
	q := &dl.q
	if q.n == 0 || q.moreHead < len(q.more) || q.ring[q.hd].dsts != 0 {
		dl.out(q.pop())
		return
	}
	// The slot keeps its entry (a pooled message, which nothing frees):
	// the next push overwrites it.
	m := q.ring[q.hd].m
	q.hd = (q.hd + 1) & (dlInline - 1)
	q.n--
	s := dl.s
	if s.net == nil {
		s.noNetwork(m)
	}
	s.net.Send(m)
}

// Name names the delay line in panics and traces.
func (dl *delayLine) Name() string { return dl.name }

func (dl *delayLine) pending() int { return dl.q.len() }

// dlInline is how many entries a dlQueue holds in place (a power of two).
const dlInline = 4

// dlQueue is a FIFO whose oldest dlInline entries sit in the struct (a
// ring), beside the delay line that pops them: the line's event then finds
// its entry in the host cache line it already touched, where a slice's
// backing array is one more miss. Few lines ever hold more than one or two
// messages (a package answers probes no faster than its probe engine takes
// them); newer entries beyond the ring wait in more, in order.
type dlQueue struct {
	ring     [dlInline]dlEntry
	hd, n    int // ring[hd] is the oldest of n
	more     []dlEntry
	moreHead int
}

func (q *dlQueue) len() int { return q.n + len(q.more) - q.moreHead }

func (q *dlQueue) push(e dlEntry) {
	if q.n < dlInline && q.moreHead == len(q.more) {
		q.ring[(q.hd+q.n)&(dlInline-1)] = e
		q.n++
		return
	}
	q.more = append(q.more, e)
}

// pop removes and returns the oldest entry; the queue must not be empty.
func (q *dlQueue) pop() dlEntry {
	if q.n == 0 {
		sim.Failf("cache.delayLine", "pop", "empty queue")
	}
	e := q.ring[q.hd]
	q.ring[q.hd] = dlEntry{}
	q.hd = (q.hd + 1) & (dlInline - 1)
	q.n--
	if q.moreHead < len(q.more) {
		// The oldest waiting entry moves into the ring, behind the rest.
		q.ring[(q.hd+q.n)&(dlInline-1)] = q.more[q.moreHead]
		q.more[q.moreHead] = dlEntry{}
		q.moreHead++
		q.n++
		if q.moreHead == len(q.more) {
			q.more, q.moreHead = q.more[:0], 0
		}
	}
	return e
}

func bit(n mem.NodeID) uint64 { return 1 << uint(n) }
