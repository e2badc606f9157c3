package interconnect

import (
	"fmt"
	"math/bits"

	"mksim/sim"
	"mksim/sim/mem"
)

// Fabric is what the rest of the simulator sees of an interconnect.
type Fabric interface {
	mem.Network
	// Broadcast sends a copy of m to every node in dsts (m.Dst is ignored).
	// Destinations that share a bus with m.Src are reached by one bus
	// transaction: the bus is occupied once, and every one of them receives
	// its own copy at the same time (an FSB snoop seen by all agents). The
	// others are reached by a multicast along their routes: one packet per
	// link of the tree the routes form, replicated where they part, as
	// HyperTransport broadcasts probes (on networks of more than 8 nodes,
	// one message per destination, as if sent with Send). Each
	// receiver owns the copy it is given; m itself becomes one of the
	// copies, or is freed if dsts is empty. dsts is not retained.
	Broadcast(m *mem.Msg, dsts []mem.NodeID)
	// NewMsg returns a message from the pool, its header zeroed (see
	// mem.Msg).
	NewMsg() *mem.Msg
	// Free returns a message its owner is done with to the pool.
	Free(m *mem.Msg)
}

var _ Fabric = (*Network)(nil)

// Network is an interconnect of point-to-point links and buses joining nodes
// 0..N-1, with a router per node. It implements mem.Network.
//
// Message ownership: the sender owns a message until Send (or Broadcast);
// from then on the network owns it; from the moment Receive is called the
// receiver owns it, and keeps owning it after Receive returns. The owner may
// keep it, Send it on (after changing Src/Dst), or Free it. Messages not
// freed are simply garbage collected; freeing them is what makes steady-state
// traffic allocation-free. Never touch a message after Send or Free.
type Network struct {
	// Hot: read or written for every message.
	e          *sim.Engine
	n          int
	hops       []hop // hops[at*n+dst]: the routing table as route reads it
	kicks      []*channel
	draining   bool
	needDetect bool
	lateKick   *channel  // to kick at the next Send or Broadcast (packet.Handle, arriveMulti)
	lateSplit  *packet   // to split after that kick (arriveMulti)
	noFast     bool      // tests: take none of the shortcuts (fastpath_test.go)
	noPrestart bool      // tests: start no queued message ahead (prestart_test.go)
	packets    []*packet // free packets
	msgs       []*mem.Msg
	recv       []mem.Receiver // recv[class*n+node]: who receives (Attach, AttachClass)
	seq        uint64
	owned      map[*mem.Msg]ownState // CheckOwnership only
	retrying   *packet
	st         netStats

	cfg   Config
	chans []*channel // link directions (A->B, B->A, in config order), then buses
	bufs  []*inbuf
	// next[at*n+dst] is the next node and out[at*n+dst] the channel.
	next []mem.NodeID
	out  []*channel

	// What Attach and AttachClass were told; recv is made from them.
	nodeRecv  []mem.Receiver
	classRecv [mem.NumClasses]mem.Receiver

	// Deadlock recovery.
	deadlocks []*Deadlock
	retryQ    []*packet

	scratch  []mem.NodeID
	scratchC []*channel
	winStart sim.Time

	// mcGroups[v<<multicastNodes|set]: how a multicast from node v to the
	// nodes in set leaves v (mcSplit), worked out for every (v, set) by
	// New (mcTable); the table nil on networks too large for multicasts.
	// linksOnly: no buses, so Broadcast may use it from the source too.
	mcGroups  [][]mcGroup
	linksOnly bool
}

// mcGroup is one packet of a multicast leaving a node: for node d, and
// carrying mc, the other destinations its channel routes.
type mcGroup struct {
	d  mem.NodeID
	mc uint8
}

type ownState uint8

const (
	ownInNetwork ownState = iota + 1
	ownFree
)

// hop is one routing table entry as the hot path reads it.
type hop struct {
	c    *channel
	b    *inbuf // c.buf(next)
	next mem.NodeID
}

// packet is the network's envelope around a message in transit. Packets are
// pooled; each is the sim.Handler of its own arrival event.
type packet struct {
	// Read on every hop (arrival, forward, start): the first cache line
	// (packets are 192 bytes, a size class of 64-byte aligned objects;
	// TestPacketLayout). A packet's arrival event finds it cold; the rest
	// of it is read only at its delivery.
	n     *Network
	ch    *channel   // channel queued on or crossing
	nb    *inbuf     // unicast: the buffer at next this hop takes a credit in
	held  *inbuf     // buffer slot held while queued at an intermediate node
	next  mem.NodeID // node at the end of the current hop
	dst   mem.NodeID
	enq   sim.Time // joined the current queue
	id    mem.OpID
	class mem.Class
	bc    bool  // len(bcast) > 0: a bus transaction
	mc    uint8 // multicast: the destinations besides dst this packet carries (bit per node)
	owe   bool  // multicast copy made at a node that took its own: its hop adds the router latency

	m      *mem.Msg
	sent   sim.Time // first Send
	src    mem.NodeID
	seq    uint64
	bcast  []mem.NodeID // bus transaction destinations; empty for unicast
	copies []*mem.Msg   // scratch for broadcast delivery
	_      [48]byte     // to 192 bytes
}

// Event kinds of a packet.
const (
	evArrive uint64 = iota
	evLocal
)

// multicastNodes is the largest network whose broadcasts travel as
// multicasts (packet.mc has a bit per node): coherent HyperTransport's
// limit of 8 nodes. Larger networks send one message per destination.
const multicastNodes = 8

func (p *packet) Name() string { return "interconnect packet" }

func (p *packet) String() string {
	where := "at source"
	if p.held != nil {
		where = fmt.Sprintf("holds %s slot at %d", p.held.ch.name, p.held.node)
	}
	if p.mc != 0 {
		var also []int
		for s := p.mc; s != 0; s &= s - 1 {
			also = append(also, bits.TrailingZeros8(s))
		}
		where += fmt.Sprintf(", multicast, also for nodes %v", also)
	}
	return fmt.Sprintf("%v (#%d, sent %s, %s)", p.m, p.seq, ns(p.sent), where)
}

// Handle runs a packet's arrival at the end of a hop, or its local delivery.
func (p *packet) Handle(kind uint64) {
	n := p.n
	if kind == evArrive {
		c := p.ch
		if p.bc {
			n.deliverBroadcast(p)
			n.drain()
			return
		}
		if p.mc != 0 {
			n.arriveMulti(p)
			n.drain()
			return
		}
		b := p.nb
		b.inflight--
		if p.next != p.dst {
			// Forward: keep the slot until the next hop starts.
			p.held = b
			out := n.forward(p, p.next, true)
			if out.blocked && out.q.n > 1 && b.inflight == 0 {
				n.needDetect = true
			}
			n.drain()
			return
		}
		b.used--
		// The freed slot lets c go on: kick it. With nothing queued
		// on c the kick is only noted (lateKick), and made by the
		// first Send or Broadcast from inside Receive, if any: that
		// puts c where it would have been, at the head of the list
		// (nothing else is kicked before), so a message that Receive
		// queues on c is tried in the same place. If Receive sends
		// nothing, c is never tried: with nothing queued, trying it
		// would have done nothing. (A retry started by this delivery
		// may queue from anywhere: c is then kicked as before.)
		if c.q.n == 0 && p != n.retrying && !n.noFast {
			n.lateKick = c
		} else {
			n.kick(c)
		}
	}
	// Deliver the message (a unicast at its destination, or a local one)
	// and recycle the packet: handOver and release by hand, as this is
	// most messages' last step.
	m := p.m
	r := n.recv[int(p.class)*n.n+int(p.dst)] // n.receiver(m): p has them at hand
	if r == nil {
		panic(n.noReceiver(m))
	}
	n.countDelivery(p.sent)
	if n.owned != nil {
		delete(n.owned, m)
	}
	r.Receive(m)
	if p == n.retrying {
		n.retrying = nil
		n.startRetry()
	}
	n.recycle(p)
	n.lateKick = nil
	n.drain()
}

// New builds a network on engine e. Bad configuration is returned as an
// error.
func New(e *sim.Engine, cfg Config) (*Network, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Credits == 0 {
		cfg.Credits = DefaultCredits
	}
	if cfg.RetryTimeout == 0 {
		cfg.RetryTimeout = DefaultRetryTimeout
	}
	n := &Network{e: e, cfg: cfg, n: cfg.Nodes,
		recv: make([]mem.Receiver, int(mem.NumClasses)*cfg.Nodes), nodeRecv: make([]mem.Receiver, cfg.Nodes)}
	if cfg.CheckOwnership {
		n.owned = make(map[*mem.Msg]ownState)
	}
	newSlots := func() []int32 {
		s := make([]int32, cfg.Nodes)
		for i := range s {
			s[i] = -1
		}
		return s
	}
	credits := func(c int) int {
		if c == 0 {
			return cfg.Credits
		}
		return c
	}
	// The channels, their link buffers and their first queue storage each
	// live in one array, so the state every message touches is dense.
	nch := 2*len(cfg.Links) + len(cfg.Buses)
	store := make([]channel, nch)
	linkBufs := make([]inbuf, 2*len(cfg.Links))
	newChannel := func(c channel) *channel {
		k := len(n.chans)
		store[k] = c
		n.chans = append(n.chans, &store[k])
		return &store[k]
	}
	for _, l := range cfg.Links {
		width, period := l.WidthBits, l.Clock.Period
		if width == 0 {
			width = DefaultWidthBits
		}
		if period == 0 {
			period = DefaultLinkPeriod
		}
		for _, dir := range [2][2]mem.NodeID{{l.A, l.B}, {l.B, l.A}} {
			k := len(n.chans)
			c := newChannel(channel{
				n: n, index: k,
				name: fmt.Sprintf("link %s %d->%d", l.label(), dir[0], dir[1]),
				from: dir[0], to: dir[1],
				latency: l.Latency, period: period, width: width,
				slot: newSlots(),
			})
			linkBufs[k] = inbuf{ch: c, node: dir[1], cap: credits(l.Credits)}
			c.in = linkBufs[k : k+1 : k+1]
			c.slot[dir[1]] = 0
		}
	}
	for i, bc := range cfg.Buses {
		width, period := bc.WidthBits, bc.Clock.Period
		if width == 0 {
			width = DefaultBusWidthBits
		}
		if period == 0 {
			period = DefaultBusPeriod
		}
		c := newChannel(channel{
			n: n, index: len(n.chans), bus: true,
			name:    "bus " + bc.label(i),
			latency: bc.Latency, period: period, width: width,
			arb:  sim.Time(bc.ArbCycles) * period,
			slot: newSlots(),
		})
		for j, id := range bc.Nodes {
			c.in = append(c.in, inbuf{ch: c, node: id, cap: credits(bc.Credits)})
			c.slot[id] = int32(j)
		}
	}
	for _, c := range n.chans {
		for i := range c.in {
			n.bufs = append(n.bufs, &c.in[i])
		}
	}
	qs := make([]*packet, ringInit*nch)
	for i, c := range n.chans {
		for k := range c.occ {
			c.occ[k] = c.serialize(mem.Class(k).Bytes())
		}
		c.q.buf = qs[i*ringInit : (i+1)*ringInit : (i+1)*ringInit]
	}
	if err := n.buildRoutes(); err != nil {
		return nil, err
	}
	n.linksOnly = len(cfg.Buses) == 0
	n.hops = make([]hop, len(n.out))
	for i, c := range n.out {
		if c != nil {
			n.hops[i] = hop{c: c, b: c.buf(n.next[i]), next: n.next[i]}
		}
	}
	if n.n <= multicastNodes {
		n.mcTable()
	}
	return n, nil
}

// Name names the network in panics.
func (n *Network) Name() string { return "interconnect" }

// Nodes is the number of nodes.
func (n *Network) Nodes() int { return n.n }

// Attach registers the receiver of messages for node id.
func (n *Network) Attach(id mem.NodeID, r mem.Receiver) {
	n.checkNode("attach", id)
	n.nodeRecv[id] = r
	n.fillRecv()
}

// AttachClass registers the receiver of every message of class c, at
// whatever node: it takes them rather than the nodes' receivers (sim/machine
// gives the IPIs to the cores this way, the rest to the caches, with no
// dispatch of its own on the way).
func (n *Network) AttachClass(c mem.Class, r mem.Receiver) {
	if c >= mem.NumClasses {
		sim.Failf(n.Name(), "attach", "unknown class %v", c)
	}
	n.classRecv[c] = r
	n.fillRecv()
}

// fillRecv makes the delivery table from what Attach and AttachClass
// were told: one lookup per delivered message.
func (n *Network) fillRecv() {
	for c := range n.classRecv {
		for id, r := range n.nodeRecv {
			if n.classRecv[c] != nil {
				r = n.classRecv[c]
			}
			n.recv[c*n.n+id] = r
		}
	}
}

// receiver returns who receives m.
func (n *Network) receiver(m *mem.Msg) mem.Receiver {
	return n.recv[int(m.Class)*n.n+int(m.Dst)]
}

func (n *Network) checkNode(what string, id mem.NodeID) {
	if uint64(id) >= uint64(n.n) { // inline: negative ids wrap around
		n.badNode(what, id)
	}
}

func (n *Network) badNode(what string, id mem.NodeID) {
	sim.Failf(n.Name(), what, "node %d out of range 0..%d", id, n.n-1)
}

// NewMsg returns a message from the pool with a zeroed header (its data
// is left as it was: see mem.Msg); the caller owns it.
func (n *Network) NewMsg() *mem.Msg {
	m := n.popMsg()
	if n.owned != nil {
		delete(n.owned, m)
	}
	m.Header = mem.Header{}
	return m
}

// popMsg takes a message from the pool (or a new one), not zeroed; its
// ownership record, if any, is the caller's to clear.
func (n *Network) popMsg() *mem.Msg {
	if k := len(n.msgs) - 1; k >= 0 {
		m := n.msgs[k]
		n.msgs = n.msgs[:k]
		return m
	}
	return new(mem.Msg)
}

// copyMsg returns a copy of m from the pool, owned by the network: NewMsg
// without zeroing what the copy overwrites. The ownership checks are
// copyChecked's, so that nothing is kept spilled around their calls.
func (n *Network) copyMsg(m *mem.Msg) *mem.Msg {
	if n.owned != nil {
		return n.copyChecked(m)
	}
	mm := n.popMsg()
	mm.CopyFrom(m)
	return mm
}

// copyChecked is copyMsg with CheckOwnership.
func (n *Network) copyChecked(m *mem.Msg) *mem.Msg {
	mm := n.popMsg()
	delete(n.owned, mm)
	mm.CopyFrom(m)
	n.takeChecked(mm)
	return mm
}

// Free returns a message its owner is done with to the pool. Any message the
// caller owns may be freed, pooled or not.
func (n *Network) Free(m *mem.Msg) {
	if n.owned != nil {
		// Nothing after the call: n and m need not be spilled
		// around it on the common path.
		n.freeChecked(m)
		return
	}
	n.msgs = append(n.msgs, m)
}

// freeChecked is Free with CheckOwnership.
func (n *Network) freeChecked(m *mem.Msg) {
	switch n.owned[m] {
	case ownInNetwork:
		sim.Failf(n.Name(), "free", "free of a message in flight: %v", m)
	case ownFree:
		sim.Failf(n.Name(), "free", "double free: %v", m)
	}
	n.owned[m] = ownFree
	n.msgs = append(n.msgs, m)
}

// take checks and records that the network owns m (CheckOwnership only).
func (n *Network) take(m *mem.Msg) {
	if n.owned != nil {
		n.takeChecked(m)
	}
}

func (n *Network) takeChecked(m *mem.Msg) {
	switch n.owned[m] {
	case ownInNetwork:
		sim.Failf(n.Name(), "send", "message sent twice or while in flight: %v", m)
	case ownFree:
		sim.Failf(n.Name(), "send", "send of a freed message: %v", m)
	}
	n.owned[m] = ownInNetwork
}

// newPacket takes a packet from the pool for m, whose class Send or
// Broadcast checked (split copies a checked message): no check here, so
// that it inlines.
func (n *Network) newPacket(m *mem.Msg) *packet {
	var p *packet
	if k := len(n.packets) - 1; k >= 0 {
		p = n.packets[k]
		n.packets = n.packets[:k]
	} else {
		p = &packet{n: n}
	}
	n.seq++
	p.m, p.src, p.dst = m, m.Src, m.Dst
	p.class, p.id = m.Class, m.ID
	p.sent, p.seq = n.e.Now(), n.seq
	return p
}

// badSend fails on what is wrong with a message sent: its nodes, its
// class.
func (n *Network) badSend(m *mem.Msg) {
	n.checkNode("send", m.Src)
	n.checkNode("send", m.Dst)
	n.badClass(m)
}

func (n *Network) badClass(m *mem.Msg) {
	sim.Failf(n.Name(), "send", "message of unknown class: %v", m)
}

// Send queues m at node m.Src for delivery to m.Dst. A message to its own
// node is delivered after Config.LocalLatency from a fresh event, never
// synchronously.
func (n *Network) Send(m *mem.Msg) {
	// checkNode twice and the class, in one test (the failures apart).
	if uint64(m.Src) >= uint64(n.n) || uint64(m.Dst) >= uint64(n.n) || m.Class >= mem.NumClasses {
		n.badSend(m)
	}
	n.take(m)
	if n.lateKick != nil {
		n.kickLate()
	}
	p := n.newPacket(m)
	if m.Src == m.Dst {
		n.e.Post(n.e.Now()+n.cfg.LocalLatency, p, evLocal)
		return
	}
	n.forward(p, m.Src, true)
	n.drain()
}

// forward is route for a packet whose caller drains right after (Send, a
// packet's arrival at an intermediate node, a multicast's packets). If no
// channel is waiting to be tried and p's channel is idle with nothing
// queued and room downstream, p starts at once: exactly what that drain
// would do first, without the trip through the queue and the kick list.
// alone: the caller schedules nothing else before that drain (Send, an
// arrival, split: between its packets it only copies the message;
// multicast once its local copy's event, if any, is scheduled); then, if
// p's channel is busy with nothing queued and no wake-up pending, the try
// that the drain would make first is made at once (startQueued: p starts
// ahead of time, or the channel's wake-up is scheduled), without the kick
// list. (A wake-up may be pending with nothing queued: its head was
// started at the wake-up's time by an event before it.)
func (n *Network) forward(p *packet, at mem.NodeID, alone bool) *channel {
	h := &n.hops[int(at)*n.n+int(p.dst)]
	c := h.c
	p.next, p.nb = h.next, h.b
	now := n.e.Now()
	if h.b.nrel > 0 {
		h.b.settle(now)
	}
	// (With nothing queued, c is not blocked: only a head blocks.)
	if c.q.n == 0 && len(n.kicks) == 0 && !n.draining && !n.noFast {
		if now >= c.busyUntil {
			if !h.b.full() {
				p.ch, p.enq = c, now
				if c.st.maxQueue == 0 { // max(maxQueue, 1): as if queued for no time
					c.st.maxQueue = 1
				}
				c.start(p, now)
				return c
			}
		} else if alone && !c.wake {
			// startQueued with p as the head, without the queue
			// (h.b, p's buffer, is settled).
			c.prunePre(now)
			if c.canStartAhead(p) {
				p.ch, p.enq = c, now
				c.st.maxQueue = max(c.st.maxQueue, 1+int(c.pre.n)) // queued until its start
				c.startAhead(p)
			} else {
				n.queue(c, p, now)
				c.wakeUp()
			}
			return c
		}
	}
	n.queue(c, p, now) // enqueue, by hand
	if c.q.n == 1 {
		n.kick(c)
	}
	return c
}

// kickLate makes the kick packet.Handle or arriveMulti left for later,
// then the split arriveMulti left for later, if any.
func (n *Network) kickLate() {
	n.kick(n.lateKick)
	n.lateKick = nil
	if p := n.lateSplit; p != nil {
		n.lateSplit = nil
		v := p.next
		n.split(p, v, (p.mc|1<<(uint(p.dst)&7))&^(1<<(uint(v)&7)), true)
	}
}

// route queues p at node at on the channel its router picks for p.dst.
func (n *Network) route(p *packet, at mem.NodeID) *channel {
	i := int(at)*n.n + int(p.dst)
	h := &n.hops[i]
	c := h.c
	p.next, p.nb = h.next, h.b
	n.enqueue(c, p)
	return c
}

// enqueue queues p on c and kicks c if p is its head.
func (n *Network) enqueue(c *channel, p *packet) {
	n.queue(c, p, n.e.Now())
	if c.q.n == 1 {
		n.kick(c)
	}
}

// queue puts p at the end of c's queue at now.
func (n *Network) queue(c *channel, p *packet, now sim.Time) {
	p.ch, p.enq = c, now
	c.q.push(p)
	if c.q.n+int(c.pre.n) > c.st.maxQueue { // (c.pre may hold started messages)
		c.st.maxQueue = max(c.st.maxQueue, c.queueLen(now))
	}
}

// Broadcast: see Fabric.
func (n *Network) Broadcast(m *mem.Msg, dsts []mem.NodeID) {
	n.checkNode("broadcast", m.Src)
	n.take(m)
	if n.lateKick != nil {
		n.kickLate()
	}
	if len(dsts) == 0 {
		if n.owned != nil {
			delete(n.owned, m)
		}
		n.Free(m)
		return
	}
	if m.Class >= mem.NumClasses {
		n.badClass(m)
	}
	src := m.Src
	if n.linksOnly && n.mcGroups != nil {
		if set, ok := n.ascending(dsts); ok {
			n.multicast(m, set)
			return
		}
	}
	// Find the destinations a bus reaches in one hop from src.
	n.scratch = append(n.scratch[:0], dsts...)
	n.scratchC = n.scratchC[:0]
	for _, d := range dsts {
		n.checkNode("broadcast", d)
		var c *channel
		if d != src {
			i := int(src)*n.n + int(d)
			if h := &n.hops[i]; h.c.bus && h.next == d {
				c = h.c
			}
		}
		n.scratchC = append(n.scratchC, c)
	}
	cp := msgCopies{n: n, m: m}
	for i, d := range n.scratch {
		if d < 0 {
			continue // already in a bus transaction
		}
		c := n.scratchC[i]
		p := n.newPacket(cp.to(d))
		switch {
		case d == src:
			n.e.Post(n.e.Now()+n.cfg.LocalLatency, p, evLocal)
		case c == nil:
			if n.n <= multicastNodes {
				p.mc = n.gather(src, i)
			}
			n.route(p, src)
		default:
			// One transaction for every destination on this bus.
			for j := i; j < len(n.scratch); j++ {
				if dj := n.scratch[j]; dj >= 0 && n.scratchC[j] == c {
					for _, prev := range p.bcast {
						if prev == dj {
							sim.Failf(n.Name(), "broadcast", "node %d listed twice in %v", dj, dsts)
						}
					}
					p.bcast = append(p.bcast, dj)
					n.scratch[j] = -1
				}
			}
			p.bc = true
			p.next = d
			n.enqueue(c, p)
		}
	}
	n.drain()
}

// ascending returns dsts as a set if they are distinct nodes of the
// network in increasing order (as the caches list them), so that the
// multicast groups, ordered by their lowest node, go in the order Broadcast
// takes dsts.
func (n *Network) ascending(dsts []mem.NodeID) (uint8, bool) {
	var set uint8
	prev := mem.NodeID(-1)
	for _, d := range dsts {
		if d <= prev || int(d) >= n.n {
			return 0, false
		}
		set |= 1 << (uint(d) & 7) // (d < n.n <= 8: no test for a wider shift)
		prev = d
	}
	return set, true
}

// multicast is Broadcast on a network of links only, to the nodes in set
// (given in increasing order): the general loop's packets, in its order, with
// the groups gather would form read from mcSplit, each started at once
// where the drain that follows would start it first (forward). m.Src's own
// copy, if it is in set, is delivered locally.
func (n *Network) multicast(m *mem.Msg, set uint8) {
	src := m.Src
	self := uint8(1) << (uint(src) & 7)
	local := set&self != 0
	cp := msgCopies{n: n, m: m}
	for _, g := range n.mcSplit(src, set&^self) {
		if local && g.d > src {
			local = false
			n.e.Post(n.e.Now()+n.cfg.LocalLatency, n.newPacket(cp.to(src)), evLocal)
		}
		p := n.newPacket(cp.to(g.d))
		p.mc = g.mc
		n.forward(p, src, !local)
	}
	if local {
		n.e.Post(n.e.Now()+n.cfg.LocalLatency, n.newPacket(cp.to(src)), evLocal)
	}
	n.drain()
}

// msgCopies hands out a broadcast's message for one destination after
// another: the message itself the first time, a pooled copy after that.
type msgCopies struct {
	n    *Network
	m    *mem.Msg
	used bool
}

// to returns the message (or a copy) addressed to d.
func (c *msgCopies) to(d mem.NodeID) *mem.Msg {
	mm := c.m
	if c.used {
		mm = c.n.copyMsg(c.m)
	}
	c.used = true
	mm.Dst = d
	return mm
}

// mcSplit says how a multicast from node v to the nodes in set (v not in
// it) leaves v: one packet per channel the routes from v take, for the
// lowest node routed by it and carrying the others, in the order of those
// lowest nodes. Routes are fixed, so the answers are worked out once, by
// New: a lookup that inlines (a table filled on demand would not).
func (n *Network) mcSplit(v mem.NodeID, set uint8) []mcGroup {
	return n.mcGroups[int(v)<<multicastNodes|int(set)]
}

// mcTable fills mcGroups: mcSplit's answer for every node v and every set
// of the other nodes (8 x 128 on gruyere).
func (n *Network) mcTable() {
	n.mcGroups = make([][]mcGroup, n.n<<multicastNodes)
	for v := range n.n {
		for set := 1; set < 1<<n.n; set++ {
			if set&(1<<v) == 0 {
				n.mcGroups[v<<multicastNodes|set] = n.mcBuild(mem.NodeID(v), uint8(set))
			}
		}
	}
}

// mcBuild works out mcSplit's answer.
func (n *Network) mcBuild(v mem.NodeID, set uint8) []mcGroup {
	row := n.hops[int(v)*n.n : int(v+1)*n.n]
	var gs []mcGroup
	for s := set; s != 0; {
		d := bits.TrailingZeros8(s)
		c := row[d].c
		var grp uint8
		for t := s; t != 0; t &= t - 1 {
			if dj := bits.TrailingZeros8(t); row[dj].c == c {
				grp |= 1 << uint(dj)
			}
		}
		s &^= grp
		gs = append(gs, mcGroup{d: mem.NodeID(d), mc: grp &^ (1 << uint(d))})
	}
	return gs
}

// gather takes out of n.scratch the destinations after the i-th that are
// not on a bus with src and whose route from src leaves by the same
// channel as the i-th's, and returns them as a multicast mask: they travel
// in one packet as far as their routes agree (HyperTransport's broadcast
// routing, the BcRoute field of each node's routing table, sends a
// broadcast over each link once).
func (n *Network) gather(src mem.NodeID, i int) uint8 {
	d := n.scratch[i]
	row := n.hops[int(src)*n.n : int(src+1)*n.n]
	c := row[d].c
	var mc uint8
	for j := i + 1; j < len(n.scratch); j++ {
		dj := n.scratch[j]
		if dj < 0 || dj == src || n.scratchC[j] != nil || row[dj].c != c {
			continue
		}
		if dj == d || mc&(1<<uint(dj)) != 0 {
			sim.Failf(n.Name(), "broadcast", "node %d listed twice", dj)
		}
		mc |= 1 << uint(dj)
		n.scratch[j] = -1
	}
	return mc
}

// arriveMulti is a multicast packet's arrival at the end of a hop, at
// node v = p.next. The packet leaves the input buffer at once (a
// broadcast is replicated into fresh packets at each node, which start
// from v without holding a slot here); v takes a copy if it is one of the
// destinations, and the others go on in one packet per channel their
// routes take from v. Where v only forwards, the arrival includes the
// router's latency, as a forwarded unicast's does; where it also takes a
// copy, that copy is delivered now and the onward packets carry the
// router's latency into their next hop (packet.owe): they arrive where
// they would had they left the router after it, and the channel is
// occupied that much earlier.
//
// The freed slot kicks c, the channel p came by, and the onward packets
// are queued behind it on the kick list, before v's copy is handed over,
// so that the drain after it starts them in that order, then what
// Receive sent. With nothing queued on c, trying it first does nothing,
// and the kick and the split are only noted (lateKick, lateSplit), as in
// packet.Handle: the first Send or Broadcast from inside Receive makes
// them, in that order, before its own message (kickLate); if Receive sends
// nothing, the onward packets go after it, and start at once where the
// drain would start them first (forward). Receive has its own copy, so
// p's message is not touched meanwhile.
func (n *Network) arriveMulti(p *packet) {
	c, b, v := p.ch, p.nb, p.next
	b.inflight--
	b.used--
	// (&7: nodes are below 8 where packets are multicasts; no test for a
	// wider shift.)
	rest := p.mc | 1<<(uint(p.dst)&7)
	local := rest&(1<<(uint(v)&7)) != 0
	rest &^= 1 << (uint(v) & 7)
	if c.q.n == 0 && p != n.retrying && !n.noFast {
		if !local {
			n.split(p, v, rest, false)
			return
		}
		lm := n.copyMsg(p.m)
		lm.Dst = v
		n.lateKick, n.lateSplit = c, p
		n.handOver(lm, p.sent)
		if n.lateSplit != nil { // Receive sent nothing
			n.lateKick, n.lateSplit = nil, nil
			n.split(p, v, rest, true)
		}
		return
	}
	n.kick(c)
	retry := p == n.retrying
	if retry {
		n.retrying = nil
	}
	sent := p.sent
	var lm *mem.Msg
	if local {
		lm = n.copyMsg(p.m) // before the onward packets' receivers can touch p.m
		lm.Dst = v
	}
	n.split(p, v, rest, local)
	if local {
		n.handOver(lm, sent)
	}
	if retry {
		n.startRetry()
	}
}

// split sends p's message on from node v to every node in set (v not in
// it): one packet per channel out of v, to the lowest node routed by it,
// carrying the others in mc. p itself becomes the first packet. owe: v
// took a copy, and the packets carry the router's latency.
func (n *Network) split(p *packet, v mem.NodeID, set uint8, owe bool) {
	m, sent := p.m, p.sent
	gs := n.mcSplit(v, set)
	for i, q := 0, p; i < len(gs); i++ {
		g := gs[i]
		m.Dst = g.d
		// (q.m is m already: p's, or newPacket's; q.held is nil:
		// p's was cleared by its start, a new packet's is.)
		q.dst, q.mc, q.owe, q.src, q.sent = g.d, g.mc, owe, v, sent
		var next *mem.Msg
		if i+1 < len(gs) {
			next = n.copyMsg(m) // before q's receivers can touch m
		}
		n.forward(q, v, true)
		if next == nil {
			break
		}
		m, q = next, n.newPacket(next)
	}
}

// noReceiver is the failure of a delivery to nobody. Its callers panic
// in place: a call the compiler cannot see never returns would keep the
// receiver and the message spilled on the common path. Not inlined: its
// Sprintf's arguments would enlarge the callers' frames.
//
//go:noinline
func (n *Network) noReceiver(m *mem.Msg) *sim.InvariantError {
	return &sim.InvariantError{Component: n.Name(), State: "deliver",
		Msg: fmt.Sprintf("no receiver attached at node %d for %v", m.Dst, m)}
}

// deliverBroadcast ends a bus transaction: every destination gets its own
// copy at the same time, in the order the destinations were given.
func (n *Network) deliverBroadcast(p *packet) {
	c := p.ch
	for _, d := range p.bcast {
		b := c.buf(d)
		b.inflight--
		b.used--
	}
	n.kick(c)
	// Make every copy before any receiver can touch the original.
	copies := p.copies[:0]
	for i, d := range p.bcast {
		mm := p.m
		if i > 0 {
			mm = n.copyMsg(p.m)
		}
		mm.Dst = d
		copies = append(copies, mm)
	}
	for _, mm := range copies {
		n.handOver(mm, p.sent)
	}
	clear(copies)
	p.copies = copies[:0]
	n.release(p)
}

// handOver passes ownership of m to its destination's receiver.
func (n *Network) handOver(m *mem.Msg, sent sim.Time) {
	r := n.receiver(m)
	if r == nil {
		panic(n.noReceiver(m))
	}
	n.countDelivery(sent)
	if n.owned != nil {
		delete(n.owned, m)
	}
	r.Receive(m)
}

// countDelivery counts a delivery, now, of a message first sent at sent.
func (n *Network) countDelivery(sent sim.Time) {
	lat := n.e.Now() - sent
	n.st.delivered++
	n.st.latency += lat
	if lat > n.st.maxLatency {
		n.st.maxLatency = lat
	}
}

// recycle returns a delivered unicast or local packet to the pool. Every
// pooled packet has held == nil, mc == 0, owe == false, bc == false and no
// bus destinations, as such a packet has at its delivery (start cleared
// held and owe; the last packet of a multicast branch has no mc; bus
// transactions go through release): newPacket leaves those alone, and
// sets or leaves for forward, route and enqueue to set everything else.
// (Clearing the pointers too cost write barrier checks on most
// messages' last step.)
func (n *Network) recycle(p *packet) {
	n.packets = append(n.packets, p)
}

// release recycles a delivered bus transaction.
func (n *Network) release(p *packet) {
	if p == n.retrying {
		n.retrying = nil
		n.startRetry()
	}
	p.bcast, p.bc = p.bcast[:0], false
	n.recycle(p)
}
