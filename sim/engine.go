package sim

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Handler is anything the engine can call back. The argument lets one handler
// serve many kinds of events without allocating a closure per event.
type Handler interface {
	Handle(arg uint64)
}

// Namer is implemented by handlers that can name their component; the name is
// used in panics and traces. Handlers that do not implement it are named by
// their Go type.
type Namer interface {
	Name() string
}

// HandlerFunc adapts a function to Handler. Converting a closure allocates, so
// hot paths implement Handler on a long-lived component instead.
type HandlerFunc func(arg uint64)

// Handle calls f(arg).
func (f HandlerFunc) Handle(arg uint64) { f(arg) }

// EventID names a scheduled event so it can be cancelled. The zero EventID
// names no event.
type EventID uint64

// Hook observes every event. Hooks cost one length check per event when none
// are installed.
type Hook interface {
	EventStart(now Time, h Handler, arg uint64)
	EventEnd(now Time, h Handler, arg uint64)
}

// Every event has a reference r, 1 <= r < 2^slotBits, naming its node: its
// payload, its time and its queue state. Nodes are recycled through a free
// list, last freed first reused, so the ones in use stay few and dense, and
// scheduling does not allocate once the pool has grown. The free list is
// linked through node.next (a free node is in no bucket), so freeing and
// reusing a node touch only that node. Node 0 is a sentinel: reference 0
// means "none".
//
// gen counts the node's state changes: it is odd while the event is
// pending, and an EventID carries the gen it was scheduled with, so a stale
// ID never matches. A cancelled event stays queued until the queue reaches
// it or sweeps it out.
type node struct {
	h    Handler
	arg  uint64
	at   Time
	next uint32 // wheel: next node in the same bucket; free: next free node; 0 ends it
	gen  uint32
}

func (n *node) pending() bool { return n.gen&1 != 0 }

// The queue has two exact (time, seq) structures and uses the one that is
// faster for the load at hand:
//
//   - a sorted list of 16-byte entries (list.go): a few cache lines, the
//     earliest event first, a short scan from the end per insertion; the
//     fastest while few events are pending, which is the common case (a
//     few cores exchanging a cache line);
//   - a radix wheel (wheel.go): O(1) per event whatever the depth, and
//     indifferent to far timeouts; the fastest with dozens of events or
//     more pending.
//
// The engine switches to the wheel when the list reaches toWheelAt entries
// and back when no more than toListAt events are pending (the gap keeps it
// from switching back and forth). Switching moves every pending event, in
// scheduling order, so same-time events keep their order; it only ever
// happens between events.
const (
	slotBits = 24
	slotMask = 1<<slotBits - 1

	toWheelAt = 48
	toListAt  = 12
)

// Engine is the serial discrete-event engine, the reference for every result.
type Engine struct {
	// Hot: read or written for every event, in the first two cache lines.
	now       Time
	seq       uint64 // sequence number of the last event put in the list
	nodes     []node
	free      uint32 // first free node, linked through node.next; 0: none
	wheelMode bool   // the wheel holds the pending events, else the list
	stop      bool
	check     bool // stop, or run has a cond: run's one test per event for both
	nextOK    bool // wheel: nextAt is valid
	live      int  // pending, not cancelled
	events    uint64
	hooks     []Hook

	list  []entry // list[lhead:]: sorted on (at, seq) (list.go)
	lhead int

	// The radix wheel (wheel.go).
	cur    Time   // reference time: <= now and <= every queued event
	nextAt Time   // earliest pending time, valid if nextOK
	dead   int    // cancelled events still in the wheel (it holds live+dead)
	levels uint16 // bit l: level l has a non-empty bucket

	seed    uint64
	host    time.Duration
	running bool

	occ [wheelLevels]occupancy // which buckets of each level are non-empty
	bkt [wheelBuckets]bucket   // level by level (wheel.go: levels)
}

// New returns an engine at time zero whose component streams derive from seed.
func New(seed uint64) *Engine {
	return &Engine{
		seed:  seed,
		nodes: make([]node, 2, 256), // node 0, the sentinel, and a free node
		free:  1,
		list:  make([]entry, 0, 4*toWheelAt),
	}
}

// Seed is the seed the engine was created with.
func (e *Engine) Seed() uint64 { return e.seed }

// Now is the current simulated time.
func (e *Engine) Now() Time { return e.now }

// Pending is the number of scheduled, uncancelled events.
func (e *Engine) Pending() int { return e.live }

// AddHook installs an observer called around every event.
func (e *Engine) AddHook(h Hook) { e.hooks = append(e.hooks, h) }

// NameOf names a handler's component for panics and traces.
func NameOf(h Handler) string {
	if n, ok := h.(Namer); ok {
		return n.Name()
	}
	return fmt.Sprintf("%T", h)
}

// Schedule arranges for h.Handle(arg) to run at time at. Scheduling in the
// past is a modelling bug and panics naming the component.
func (e *Engine) Schedule(at Time, h Handler, arg uint64) EventID {
	id := e.post(at, h, arg)
	return id | EventID(e.nodes[id].gen)<<32
}

// Post is Schedule for a caller that has no use for the EventID (it will
// never cancel the event): the ID is not made.
func (e *Engine) Post(at Time, h Handler, arg uint64) { e.post(at, h, arg) }

// post is Schedule, Post and After, but for the ID's gen: making it
// costs Post's callers a few instructions, and keeping it across the call
// to insertNode a spill. It returns the event's node, r, as an EventID
// (so that Schedule and After, which add the gen, stay inlinable).
func (e *Engine) post(at Time, h Handler, arg uint64) EventID {
	if at < e.now {
		// A panic here, rather than in a call the compiler cannot
		// see never returns, spares the common path spilling its
		// arguments around the call.
		panic(e.pastErr(at, h, arg))
	}
	// The free list is never empty at entry (New and grow see to it),
	// so taking a node calls nothing.
	r := e.free
	n := &e.nodes[r]
	if e.free = n.next; e.free == 0 {
		// Refilled now rather than at the end, so that no call but
		// insertNode's, the last thing, follows the common path.
		e.grow()
		n = &e.nodes[r]
	}
	n.h, n.arg, n.at = h, arg, at
	n.gen++ // odd: pending
	e.live++
	// (nextOK is only ever set in wheel mode.)
	if e.nextOK && at < e.nextAt {
		e.nextAt = at
	}
	if !e.wheelMode {
		if e.seq == maxSeq {
			e.renumber()
		}
		e.seq++
		// Insert in order from the end (insertList, by hand: this is
		// the hottest path of the engine). The new entry has the
		// largest sequence number, so it goes after every entry of
		// its time: only times need comparing.
		l := e.list
		if len(l) == cap(l) && e.lhead > 0 {
			k := copy(l, l[e.lhead:])
			l, e.lhead = l[:k], 0
		}
		l = append(l, entry{})
		j := len(l) - 1
		for j > e.lhead && at < l[j-1].at {
			l[j] = l[j-1]
			j--
		}
		l[j] = entry{at: at, key: e.seq<<slotBits | uint64(r)}
		e.list = l
		return EventID(r)
	}
	// insertNode's common case by hand: the event lands in level 1 (due
	// within the reference time's microsecond, in a later 256 ps bucket)
	// and is the latest of its bucket, so it is appended.
	x := uint64(at ^ e.cur)
	b := int(uint64(at)>>wheelBits) & (1<<wideBits - 1)
	q := &e.bkt[1<<wheelBits+b] // level 1's buckets follow level 0's
	// Level 1: the highest bit in which at differs from cur is in level
	// 1's digit, i.e. 1<<wheelBits <= x < 1<<(wheelBits+wideBits).
	t := q.tail
	tn := &e.nodes[t] // (one bounds check for both uses)
	if x-1<<wheelBits < 1<<(wheelBits+wideBits)-1<<wheelBits && tn.at <= at {
		// (An empty bucket's tail is node 0, due at 0.)
		n.next = 0
		if t == 0 {
			q.head = r
			e.occ[1].set(b)
			e.levels |= 1 << 1
		} else {
			tn.next = r
		}
		q.tail = r
		return EventID(r)
	}
	e.insertNode(r, n, at)
	return EventID(r)
}

// pastErr is the failure of an event scheduled in the past.
func (e *Engine) pastErr(at Time, h Handler, arg uint64) *InvariantError {
	return &InvariantError{Component: NameOf(h), State: "schedule",
		Msg: fmt.Sprintf("event scheduled in the past: at %v, now %v (arg %d)", at, e.now, arg)}
}

// grow adds a node to the pool and puts it on the (empty) free list.
func (e *Engine) grow() {
	if len(e.nodes) > slotMask {
		Failf("sim.Engine", "schedule", "more than %d events pending", slotMask)
	}
	e.nodes = append(e.nodes, node{})
	e.free = uint32(len(e.nodes) - 1)
}

// release puts node r, no longer queued, on the free list.
func (e *Engine) release(r uint32) {
	e.nodes[r].next, e.free = e.free, r
}

// After schedules h.Handle(arg) d after now.
func (e *Engine) After(d Time, h Handler, arg uint64) EventID {
	id := e.post(e.now+d, h, arg)
	return id | EventID(e.nodes[id].gen)<<32
}

// Cancel removes a pending event. It reports whether the event was still
// pending; cancelling an event that ran or was already cancelled is a no-op.
func (e *Engine) Cancel(id EventID) bool {
	r := uint32(id)
	gen := uint32(id >> 32)
	if r == 0 || int(r) >= len(e.nodes) || gen&1 == 0 {
		return false
	}
	n := &e.nodes[r]
	if n.gen != gen {
		return false
	}
	n.gen++ // even: not pending
	n.h = nil
	e.live--
	e.nextOK = false
	// The event stays queued until the queue reaches it or sweeps it out
	// with the others.
	if e.wheelMode {
		if e.dead++; e.dead > wheelCompactMin && e.dead > e.live {
			e.compact()
		}
	} else if dead := e.listLen() - e.live; dead > listCompactMin && dead > e.live {
		e.compactList()
	}
	return true
}

// NextTime is the time of the earliest pending event, or Never.
func (e *Engine) NextTime() Time {
	var at Time
	var ok bool
	if e.levels&3 == 1<<1 && !e.nextOK {
		// peek's common case by hand, as in run: the head of the
		// lowest level-1 bucket, sorted and pending, is the earliest.
		b := e.occ[1].firstSet()
		q := &e.bkt[1<<wheelBits+b]
		if n := &e.nodes[q.head]; !q.unsorted && n.pending() {
			e.nextAt, e.nextOK = n.at, true
			return n.at
		}
	}
	if e.wheelMode {
		at, ok = e.peek()
	} else {
		at, ok = e.listPeek()
	}
	if !ok {
		return Never
	}
	return at
}

// Stop makes the current Run call return after the running event.
func (e *Engine) Stop() { e.stop, e.check = true, true }

// run runs the earliest event, again and again, while it is due at or
// before limit, Stop has not been called and cond (if not nil) holds; cond
// is checked before every event. It is one loop around the whole dispatch
// rather than a call per event, so the engine's state stays in registers
// from one event to the next.
func (e *Engine) run(limit Time, cond func() bool) {
	e.check = e.stop || cond != nil
	for {
		// One test of check, rather than one of stop and one of cond
		// (RunUntil has none), on most events.
		if e.check {
			// Two tests rather than !e.stop && (cond == nil ||
			// cond()), which the compiler evaluates into a boolean
			// first.
			if e.stop {
				return
			}
			if cond != nil && !cond() {
				return
			}
		}
		var r uint32
		var n *node // node r: every way of finding r sets it
		if e.levels&3 == 1<<1 && e.live > toListAt {
			// The wheel's common case by hand (next): level 1 is
			// the lowest level, and its lowest bucket is sorted
			// with a due, pending event at its head. (levels is
			// zero in list mode.)
			b := e.occ[1].firstSet()
			q := &e.bkt[1<<wheelBits+b]
			r = q.head
			if n = &e.nodes[r]; q.unsorted || !n.pending() || n.at > limit {
				if r = e.next(limit); r == 0 {
					return
				}
				n = &e.nodes[r]
			} else {
				if q.head = n.next; q.head == 0 {
					q.tail = 0
					if e.occ[1].clear(b) {
						e.levels &^= 1 << 1
					}
					// As in next: nothing is left at or
					// below this bucket, so the reference
					// time moves up.
					e.cur = n.at
				}
			}
		} else if !e.wheelMode && e.listLen() < toWheelAt {
			// listNext's common case by hand: the earliest entry
			// is pending and due.
			if i := e.lhead; i < len(e.list) {
				top := e.list[i]
				r = top.slot()
				if !e.nodes[r].pending() || top.at > limit {
					r = 0
				} else if i+1 == len(e.list) {
					e.list, e.lhead = e.list[:0], 0
				} else {
					e.lhead = i + 1
				}
			}
			if r == 0 {
				if r = e.listNext(limit); r == 0 {
					return
				}
			}
			n = &e.nodes[r]
		} else {
			switch {
			case !e.wheelMode:
				e.toWheel()
			case e.live <= toListAt:
				e.toList()
				if r = e.listNext(limit); r == 0 {
					return
				}
			}
			if r == 0 {
				if r = e.next(limit); r == 0 {
					return
				}
			}
			n = &e.nodes[r]
		}
		n.gen++ // even: no longer pending
		h, arg := n.h, n.arg
		// n.h is left for the next Schedule to overwrite: handlers
		// are long-lived components, and a pointer store costs a
		// write barrier.
		n.next, e.free = e.free, r
		e.live--
		e.nextOK = false
		e.now = n.at
		e.events++
		if len(e.hooks) == 0 {
			h.Handle(arg)
		} else {
			for _, k := range e.hooks {
				k.EventStart(e.now, h, arg)
			}
			h.Handle(arg)
			for _, k := range e.hooks {
				k.EventEnd(e.now, h, arg)
			}
		}
	}
}

// toWheel moves every pending event from the list to the wheel. The list
// is sorted into scheduling order first, so that every bucket receives its
// events in that order.
func (e *Engine) toWheel() {
	h := e.list[e.lhead:]
	slices.SortFunc(h, func(a, b entry) int { return cmp.Compare(a.key, b.key) })
	e.cur = e.now
	for _, x := range h {
		r := x.slot()
		if !e.nodes[r].pending() {
			e.release(r)
			continue
		}
		e.insert(r, x.at)
	}
	e.list, e.lhead = e.list[:0], 0
	e.wheelMode = true
	e.nextOK = false
}

// toList moves every pending event from the wheel to the list. Events of
// the same time share a bucket, in scheduling order, so numbering them in
// bucket order keeps that order.
func (e *Engine) toList() {
	h := e.list[:0]
	e.lhead = 0
	if e.seq+uint64(e.live+e.dead) >= maxSeq {
		e.seq = 0 // the list is empty: numbering may start again
	}
	for l := 0; l < wheelLevels; l++ {
		for b := e.occ[l].first(); b >= 0; b = e.occ[l].after(b) {
			for r := e.bucket(l, b).head; r != 0; {
				n := &e.nodes[r]
				x := r
				r = n.next
				if !n.pending() {
					e.release(x)
					continue
				}
				e.seq++
				h = append(h, entry{at: n.at, key: e.seq<<slotBits | uint64(x)})
			}
			*e.bucket(l, b) = bucket{}
		}
		e.occ[l] = occupancy{}
	}
	e.levels, e.dead, e.nextOK = 0, 0, false
	e.list = h
	e.sortList()
	e.wheelMode = false
}

func (e *Engine) enter() time.Time {
	if e.running {
		Failf("sim.Engine", "running", "Run called from inside an event")
	}
	e.running, e.stop = true, false
	return time.Now()
}

func (e *Engine) leave(start time.Time) {
	e.host += time.Since(start)
	e.running = false
}

// RunUntil runs every event due at or before limit, then advances the clock
// to limit (unless limit is Never or Stop was called). It returns the number
// of events run.
func (e *Engine) RunUntil(limit Time) uint64 {
	start := e.enter()
	defer e.leave(start)
	n0 := e.events
	e.run(limit, nil)
	if !e.stop && limit != Never && e.now < limit {
		e.now = limit
	}
	return e.events - n0
}

// RunUntilIdle runs events until none are pending or Stop is called.
func (e *Engine) RunUntilIdle() uint64 { return e.RunUntil(Never) }

// RunWhile runs events while cond() holds and events remain; cond is checked
// before every event.
func (e *Engine) RunWhile(cond func() bool) uint64 {
	start := e.enter()
	defer e.leave(start)
	n0 := e.events
	e.run(Never, cond)
	return e.events - n0
}

// Stats is what every run reports about the engine itself.
type Stats struct {
	Events  uint64        // events executed
	SimTime Time          // simulated time reached
	Host    time.Duration // host time spent inside Run calls
}

// Stats reports events executed, simulated time and host time so far.
func (e *Engine) Stats() Stats { return Stats{Events: e.events, SimTime: e.now, Host: e.host} }

// EventsPerSecond is events executed per host second.
func (s Stats) EventsPerSecond() float64 {
	if s.Host <= 0 {
		return 0
	}
	return float64(s.Events) / s.Host.Seconds()
}

// SimPerHostSecond is simulated time advanced per host second.
func (s Stats) SimPerHostSecond() Time {
	if s.Host <= 0 {
		return 0
	}
	return Time(float64(s.SimTime) / s.Host.Seconds())
}
