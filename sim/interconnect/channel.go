package interconnect

import (
	"mksim/sim"
	"mksim/sim/mem"
)

// channel is one transmitter: a link direction (one sender, one receiver) or
// a bus (every member sends and receives). It owns the FIFO of messages
// waiting for it, the input buffers at its receiving end(s) and its counters.
type channel struct {
	// Hot: read or written for every message, in the first three cache
	// lines of the struct.
	q         ring
	busyUntil sim.Time // end of the current serialization
	wake      bool     // a Handle event is pending at busyUntil
	blocked   bool     // head waits for an input-buffer credit
	kicked    bool     // on the network's kick list
	stuck     bool     // part of a detected deadlock not yet recovered
	n         *Network
	latency   sim.Time
	occ       [mem.NumClasses]sim.Time // serialize(class bytes), precomputed; fixed
	st        chanStats                // counted for every message: beside the hot fields

	index   int
	name    string // "link 0-2 0->2", "bus fsb"
	bus     bool
	from    mem.NodeID // link only
	to      mem.NodeID // link only
	period  sim.Time
	width   int
	arb     sim.Time // bus arbitration, held per transaction
	weight  int64    // routing weight under the configured metric
	stuckAt sim.Time
	cand    bool // scratch for deadlock detection

	blockedAt sim.Time // when blocked became true

	// Messages started ahead of time (startQueued) whose start may still
	// be in the future, oldest first; pruned lazily (prunePre). Only the
	// counters need them: see queueLen, Snapshot and Reset.
	pre preRing

	in   []inbuf // link: one (at to); bus: one per member, in member order
	slot []int32 // node -> index into in; -1 if the node does not receive here
}

// inbuf is the finite input buffer at the receiving end of a channel. A
// message occupies a slot from the start of its transmission until it
// leaves the node: at once on arrival at its destination, or when it starts
// its next hop.
type inbuf struct {
	ch       *channel
	node     mem.NodeID
	cap      int
	used     int // in flight + held
	inflight int // transmitted, not yet arrived
	stuckOcc int // scratch for deadlock detection

	// Slots messages started ahead of time (channel.startQueued) hold
	// until their starts at rels[:nrel]: counted in used until a look at
	// the buffer from then on (settle). relKick: an event at kickAt, the
	// earliest of them when it was scheduled, will try ch, which waits
	// for a slot.
	rels    [relMax]sim.Time
	kickAt  sim.Time
	nrel    uint8
	relKick bool
}

// relMax is how many deferred releases a buffer holds at most.
const relMax = 4

func (b *inbuf) full() bool { return b.used >= b.cap }

// settle frees the slots whose release time has come.
func (b *inbuf) settle(now sim.Time) {
	for i := 0; i < int(b.nrel); {
		if b.rels[i] <= now {
			b.used--
			b.nrel--
			b.rels[i] = b.rels[b.nrel]
			continue
		}
		i++
	}
	if b.relKick && b.kickAt <= now {
		b.relKick = false
	}
}

// firstRel is the earliest deferred release; b.nrel > 0.
func (b *inbuf) firstRel() sim.Time {
	t := b.rels[0]
	for _, x := range b.rels[1:b.nrel] {
		t = min(t, x)
	}
	return t
}

func (c *channel) Name() string { return "interconnect " + c.name }

func (c *channel) String() string { return c.name }

// buf returns the input buffer a message for node d lands in.
func (c *channel) buf(d mem.NodeID) *inbuf {
	i := c.slot[d]
	if i < 0 {
		sim.Failf(c.Name(), "route", "node %d does not receive on %s", d, c.name)
	}
	return &c.in[i]
}

// serialize is the time a message of the given size holds the channel.
func (c *channel) serialize(bytes int) sim.Time {
	flits := (bytes*8 + c.width - 1) / c.width
	return c.arb + sim.Time(flits)*c.period
}

// Event kinds of a channel.
const (
	evWake    uint64 = iota // the end of a serialization (wake)
	evRelease               // a slot c's head waits for is released (inbuf.relKick)
)

// Handle is the end of a serialization with messages waiting: the channel
// is free again. (With none waiting no event is scheduled; the next message
// finds the channel free by comparing busyUntil with now.) Or it is the
// release of a slot c's head waits for, held by a message started ahead
// of time (startQueued), as its start would have released it.
func (c *channel) Handle(kind uint64) {
	n := c.n
	if kind == evRelease {
		n.kick(c)
		n.drain()
		return
	}
	c.wake = false
	if len(n.kicks) == 0 && !n.draining && !n.noFast {
		// The drain of a kick list holding only c, without the list:
		// try c, then drain what that kicked.
		n.draining = true
		c.try()
		n.draining = false
		n.drain()
		return
	}
	n.kick(c)
	n.drain()
}

// credit reports whether every buffer the message needs has a free slot,
// and whether a full one has nothing in flight (a deadlock candidate).
func (c *channel) credit(p *packet) (ok, settled bool) {
	if len(p.bcast) == 0 {
		b := p.nb
		return !b.full(), b.inflight == 0
	}
	ok = true
	for _, d := range p.bcast {
		if b := c.buf(d); b.full() {
			ok = false
			settled = settled || b.inflight == 0
		}
	}
	return ok, settled
}

// try starts transmitting the head of the queue if the channel is free and
// the receiving buffer(s) have room.
func (c *channel) try() {
	if c.q.n == 0 {
		return
	}
	n := c.n
	now := n.e.Now()
	if now < c.busyUntil {
		if !c.wake {
			c.startQueued()
		}
		return
	}
	p := c.q.front()
	var ok, settled bool
	if !p.bc { // credit's unicast case, inline
		b := p.nb
		if b.nrel > 0 {
			b.settle(now)
		}
		ok, settled = !b.full(), b.inflight == 0
		if !ok && b.nrel > 0 && !b.relKick {
			// A slot is released later by a start made ahead of
			// time: try again then, as that start would have
			// kicked c.
			b.relKick, b.kickAt = true, b.firstRel()
			n.e.Post(b.kickAt, c, evRelease)
		}
	} else if ok, settled = c.credit(p); ok {
		c.takeBcast(p) // (nothing between here and start looks at buffers)
	}
	if !ok {
		if !c.blocked {
			c.blocked, c.blockedAt = true, now
			if settled {
				n.needDetect = true
			}
		}
		return
	}
	if c.blocked {
		c.st.stall += now - c.blockedAt
		c.blocked = false
	}
	c.q.pop()
	c.start(p, now)
	if c.q.n > 0 && !c.wake {
		c.startQueued()
	}
}

// start transmits p, just taken from the queue's head (or, on the fast
// path, never queued), at now (for startQueued, a time to come: when c
// frees): the channel is free and the buffer(s) p lands in have room,
// a bus broadcast's credits already taken (takeBcast).
func (c *channel) start(p *packet, now sim.Time) {
	n := c.n
	c.stuck = false

	cl := p.class // (read once: one bounds check for occ and msgs)
	// c.st.count, by hand, first: the sparse path's call is then the
	// only call before the end (a bus broadcast's credits are take's,
	// a kick's growth is kickPost's), so only that rare path spills.
	if d := c.st.ops.dense; uint64(p.id) < uint64(len(d)) {
		// opCounter.add, by hand (stats.go: a cell counts messages
		// and data messages).
		var data uint64
		if cl == mem.ClassData {
			data = 1
		}
		x := &d[p.id]
		x.msgs++
		x.data += data
	} else {
		c.st.ops.add(p.id, cl)
	}
	c.st.msgs[cl]++
	c.st.queueDelay += now - p.enq

	// Take the unicast's credit downstream.
	if !p.bc {
		b := p.nb
		b.used++
		b.inflight++
	}

	occ := c.occ[cl]
	c.busyUntil = now + occ

	arrive := now + occ + c.latency
	// (&7: no test for a shift past mc's width. On networks of more
	// than multicastNodes nodes, where next may be 8 or more, mc is 0.)
	if !p.bc && p.next != p.dst && p.mc&(1<<(uint(p.next)&7)) == 0 {
		arrive += n.cfg.RouterLatency // forwarded at p.next, delivered nowhere there
	}
	if p.owe { // replicated at a node that took its copy (Network.arriveMulti)
		p.owe = false
		arrive += n.cfg.RouterLatency
	}
	// Release the slot held at this node; its upstream channel may go on.
	// It is kicked only if trying it could do something: with nothing
	// queued, or busy with its wake-up pending, try returns at once, and
	// stays so until the drain that follows reaches it (start runs in that
	// drain, or just before it with nothing queued in between), so leaving
	// it off the kick list changes nothing but the list.
	if held := p.held; held != nil {
		p.held = nil
		held.used--
		if hc := held.ch; hc.q.n > 0 && (now >= hc.busyUntil || !hc.wake) || n.noFast {
			n.kickPost(hc, arrive, p)
			return
		}
	}
	n.e.Post(arrive, p, evArrive) // (p.ch is c: p was queued on c, or forward set it)
}

// kickPost is the end of start for a packet whose release kicks hc: apart,
// so that nothing is kept spilled for the kick list's growth on start's
// common path.
func (n *Network) kickPost(hc *channel, arrive sim.Time, p *packet) {
	n.kick(hc)
	n.e.Post(arrive, p, evArrive)
}

// takeBcast takes the credits a bus broadcast p needs, at every
// destination, for c to start it: done by try, apart from start (whose
// other callers start unicasts only), so that start keeps nothing
// spilled for its calls.
func (c *channel) takeBcast(p *packet) {
	for _, d := range p.bcast {
		b := c.buf(d)
		b.used++
		b.inflight++
	}
}

// startQueued deals with the queue of a busy channel with no wake-up
// pending. Its head would start at busyUntil, from the wake-up then.
// Where that start is already certain, the head is started now, for
// busyUntil, without the wake-up event; then the next, and so on.
// Otherwise the wake-up is scheduled. (On gruyere under RandomTraffic, 95 %
// of the wake-ups go: a home's probes queued behind each other on its
// links, responses converging on the requester's.)
//
// The start is certain if the head is a unicast message and the buffer it
// lands in has a free slot now: only c takes slots in that buffer, and c
// is busy until then, so the slot is still free at busyUntil. What the
// start does is the same whenever it is done, the credit it takes
// included (only c looks at that buffer's fullness, and only from
// busyUntil on; the slot counts as in flight, as the predecessor's does
// meanwhile), except:
//   - the slot a forwarded message holds at this node (p.held) is released
//     at the start, and the channel it came by may be waiting for it. The
//     release is deferred (inbuf.rels): the slot stays counted until a look
//     at the buffer from its time on (inbuf.settle), and if the channel
//     finds the buffer full meanwhile, it is tried again then (evRelease),
//     as the start would have kicked it. Up to relMax deferred releases
//     per buffer, of a link's buffer whose channel has nothing queued
//     (deferRelease); otherwise the head waits for its wake-up;
//   - the counters (messages, queueing delay, operations, queue length)
//     must not show the start before its time: c.pre keeps what they need
//     of the messages started ahead, and queueLen, Snapshot and Reset
//     account for them.
//
// Messages queued on c later queue behind these, as they would have. Only
// the order of simultaneous events changes (the arrival is scheduled
// before the events due at busyUntil rather than after some of them).
func (c *channel) startQueued() {
	now := c.n.e.Now()
	c.prunePre(now)
	for c.q.n > 0 {
		p := c.q.front()
		if b := p.nb; !p.bc && b.nrel > 0 { // (nb is a unicast's)
			b.settle(now)
		}
		if !c.canStartAhead(p) {
			c.wakeUp()
			return
		}
		c.q.pop()
		c.startAhead(p)
	}
}

// canStartAhead reports whether p, c's head, can start ahead of time
// (startQueued); c.pre is pruned and p's buffer settled.
func (c *channel) canStartAhead(p *packet) bool {
	return !p.bc && !p.nb.full() && c.pre.n < preMax && !c.n.noPrestart &&
		(p.held == nil || c.deferRelease(p.held))
}

// startAhead starts p, c's head taken from the queue, at busyUntil.
func (c *channel) startAhead(p *packet) {
	at := c.busyUntil
	if h := p.held; h != nil {
		p.held = nil
		h.rels[h.nrel] = at
		h.nrel++
		if h.relKick && at < h.kickAt {
			// Nothing waits on h (deferRelease), but a channel
			// that blocks on it later must be tried at this
			// earlier release: let it schedule that.
			h.relKick = false
		}
	}
	c.pre.push(preRec{start: at, wait: at - p.enq, id: p.id, class: p.class})
	c.start(p, at)
}

// wakeUp schedules c's wake-up at busyUntil, for its head to start then.
func (c *channel) wakeUp() {
	c.wake = true
	c.n.e.Post(c.busyUntil, c, evWake)
}

// deferRelease reports whether the slot a queued message holds in b (at
// this node, on the channel it came by) may be released lazily rather
// than at the message's start: b is a link's (whose channel alone looks
// at it), has fewer than relMax such releases pending, and its channel
// has nothing queued that might wait for the slot. (If something queues there later
// and waits for it, try schedules an event at the release: evRelease.)
func (c *channel) deferRelease(b *inbuf) bool {
	return b.nrel < relMax && !b.ch.bus && b.ch.q.n == 0
}

// prunePre forgets the messages started ahead whose start has come.
func (c *channel) prunePre(now sim.Time) {
	for c.pre.n > 0 && c.pre.buf[c.pre.head].start <= now {
		c.pre.pop()
	}
}

// queueLen is the length of c's queue as the model sees it: messages
// started ahead of their time are queued until it comes.
func (c *channel) queueLen(now sim.Time) int {
	c.prunePre(now)
	return c.q.n + int(c.pre.n)
}

// ringInit is a ring's first capacity (a power of two, as every capacity).
const ringInit = 8

// ring is a growable FIFO of packets.
type ring struct {
	buf  []*packet
	head int
	n    int
}

func (r *ring) front() *packet { return r.buf[r.head] }

func (r *ring) at(i int) *packet { return r.buf[(r.head+i)&(len(r.buf)-1)] }

func (r *ring) push(p *packet) {
	if r.n == len(r.buf) {
		nb := make([]*packet, max(ringInit, 2*len(r.buf)))
		for i := 0; i < r.n; i++ {
			nb[i] = r.at(i)
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = p
	r.n++
}

func (r *ring) pop() *packet {
	p := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	return p
}

// preRec is what the counters need of a message started ahead of time.
type preRec struct {
	start sim.Time
	wait  sim.Time // queueing delay
	id    mem.OpID
	class mem.Class // (its size is the class's)
}

// preMax is how many messages a channel starts ahead of time at most (a
// power of two): beyond it, startQueued schedules the wake-up.
const preMax = 4

// preRing is a FIFO of at most preMax preRecs, in place.
type preRing struct {
	buf     [preMax]preRec
	head, n uint8
}

func (r *preRing) at(i int) *preRec { return &r.buf[(int(r.head)+i)&(preMax-1)] }

func (r *preRing) push(x preRec) {
	r.buf[(int(r.head)+int(r.n))&(preMax-1)] = x
	r.n++
}

func (r *preRing) pop() {
	r.head = (r.head + 1) & (preMax - 1)
	r.n--
}
