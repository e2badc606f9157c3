package sim

import (
	"fmt"
	"math/bits"
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

// Every event has a reference r >= 1 naming its slot. Its payload (handler
// and argument) lives in slots[r], its place in the queue in nodes[r]: the
// queue's walks touch only the 16-byte nodes. Slots are recycled through a
// free list, last freed first reused, so the ones in use stay few and dense,
// and scheduling does not allocate once the pool has grown. Slot and node 0
// are sentinels: reference 0 is "none", and linking after node 0 is how an
// empty bucket takes its first node without a branch.
type slot struct {
	h   Handler
	arg uint64
}

// node is an event's place in the queue. gen counts the slot's state
// changes: it is odd while the event is pending, and an EventID carries the
// gen it was scheduled with, so a stale ID never matches. A node stays
// queued after its event is cancelled, until the wheel reaches it or sweeps
// it out.
type node struct {
	at   Time
	next uint32 // next node in the same bucket; 0 ends it
	gen  uint32
}

func (n *node) pending() bool { return n.gen&1 != 0 }

// bucket is a FIFO of queued nodes linked through node.next; 0 when empty.
type bucket struct{ head, tail uint32 }

// The queue is a radix wheel (a hierarchical timing wheel with exact times):
// wheelLevels levels of wheelSize buckets. Relative to a reference time cur
// (never later than now, nor than any queued event), an event lives at the
// level of the highest base-wheelSize digit in which its time differs from
// cur, in the bucket named by that digit of its time. So a level-0 bucket
// holds events of one time, every event of a lower (level, bucket) is
// earlier than every event of a higher one, and the earliest event is found
// with two bit scans. When level 0 is empty, the lowest bucket is cascaded:
// cur moves up to its earliest pending time, which is about to become now,
// its first event at that time runs, and the others move to lower levels.
// Scheduling is an O(1) append; an event moves down at least one level per
// cascade, and a far time (a 10 ms timeout) just starts at a higher level.
// The buckets are linked lists through the nodes, so the queue is the node
// array plus a few cache lines of bucket heads.
//
// Same-time order comes for free: every bucket holds its events in
// scheduling order, because scheduling appends the newest event, and a
// cascade distributes a bucket, in order, into buckets that are all empty
// (every level below it is). A level-0 bucket is therefore a FIFO of one
// time's events in scheduling order, which is (time, seq) order, without
// ever comparing sequence numbers.
const (
	wheelBits   = 6
	wheelSize   = 1 << wheelBits
	wheelMask   = wheelSize - 1
	wheelLevels = (63 + wheelBits - 1) / wheelBits // Time is a non-negative int64

	// maxSeq is where the scheduling sequence counter wraps. The wheel keeps
	// same-time events in scheduling order by construction and never
	// compares sequence numbers, so the wrap is harmless.
	maxSeq = 1<<64 - 1

	// compactMin is the number of cancelled events still queued above
	// which they are swept out (once they also outnumber the live ones).
	compactMin = 4096

	// lazyMax is the most events a lowest bucket can hold for its earliest
	// to be unlinked where it is, without cascading the bucket.
	lazyMax = 4
)

// levelOf maps bits.Len64(at ^ cur) to the level of an event at at.
var levelOf = func() (t [65]uint8) {
	for n := 1; n <= 64; n++ {
		t[n] = uint8(min((n-1)/wheelBits, wheelLevels-1))
	}
	return t
}()

// Engine is the serial discrete-event engine, the reference for every result.
type Engine struct {
	now     Time
	seq     uint64 // events scheduled so far (the seq of (time, seq) order)
	seed    uint64
	slots   []slot
	nodes   []node
	free    []uint32
	live    int // pending, not cancelled
	hooks   []Hook
	stop    bool
	events  uint64
	host    time.Duration
	running bool

	// The radix wheel.
	cur    Time                // reference time: <= now and <= every queued event
	levels uint16              // bit l: level l has a non-empty bucket
	occ    [wheelLevels]uint64 // bit b of occ[l]: bucket b of level l is non-empty
	queued int                 // nodes in the wheel, cancelled ones included
	nextAt Time                // earliest pending time, valid if nextOK
	nextOK bool
	bkt    [wheelLevels][wheelSize]bucket
}

// New returns an engine at time zero whose component streams derive from seed.
func New(seed uint64) *Engine {
	return &Engine{seed: seed, slots: make([]slot, 1, 256), nodes: make([]node, 1, 256)}
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
	if at < e.now {
		Failf(NameOf(h), "schedule", "event scheduled in the past: at %v, now %v (arg %d)", at, e.now, arg)
	}
	var r uint32
	if k := len(e.free); k > 0 {
		r = e.free[k-1]
		e.free = e.free[:k-1]
	} else {
		if len(e.nodes) >= 1<<32-1 {
			Failf("sim.Engine", "schedule", "more than %d events pending", len(e.nodes)-1)
		}
		e.slots = append(e.slots, slot{})
		e.nodes = append(e.nodes, node{})
		r = uint32(len(e.nodes) - 1)
	}
	e.slots[r] = slot{h, arg}
	n := &e.nodes[r]
	n.gen++ // odd: pending
	n.at = at
	e.seq++ // wraps at maxSeq, harmlessly: see the wheel
	e.insert(r, at)
	e.live++
	if e.nextOK && at < e.nextAt {
		e.nextAt = at
	}
	return EventID(uint64(n.gen)<<32 | uint64(r))
}

// After schedules h.Handle(arg) d after now.
func (e *Engine) After(d Time, h Handler, arg uint64) EventID {
	return e.Schedule(e.now+d, h, arg)
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
	e.slots[r] = slot{}
	e.live--
	e.nextOK = false
	// The node stays queued until the wheel reaches it or sweeps it out.
	if dead := e.queued - e.live; dead > compactMin && dead > e.live {
		e.compact()
	}
	return true
}

// NextTime is the time of the earliest pending event, or Never.
func (e *Engine) NextTime() Time {
	if at, ok := e.peek(); ok {
		return at
	}
	return Never
}

// Stop makes the current Run call return after the running event.
func (e *Engine) Stop() { e.stop = true }

// step runs the earliest event if it is due at or before limit.
func (e *Engine) step(limit Time) bool {
	r := e.next(limit)
	if r == 0 {
		return false
	}
	n := &e.nodes[r]
	n.gen++ // even: no longer pending
	s := &e.slots[r]
	h, arg := s.h, s.arg
	s.h = nil
	e.free = append(e.free, r)
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
	return true
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
	for !e.stop && e.step(limit) {
	}
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
	for !e.stop && cond() && e.step(Never) {
	}
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

// insert appends node r, due at at >= e.cur, to its bucket.
func (e *Engine) insert(r uint32, at Time) {
	l := levelOf[bits.Len64(uint64(at^e.cur))]
	b := int(uint64(at)>>(wheelBits*l&63)) & wheelMask
	q := &e.bkt[l][b]
	t := q.tail
	e.nodes[r].next = 0
	e.nodes[t].next = r // the sentinel node 0 if the bucket is empty
	h := q.head
	if t == 0 {
		h = r
	}
	q.head, q.tail = h, r
	e.occ[l] |= 1 << b
	e.levels |= 1 << l
	e.queued++
}

// next unqueues and returns the earliest pending event if it is due at or
// before limit, else returns 0 and leaves it queued (and remembered). It
// drops the cancelled events in its way. Only an event about to run moves
// the wheel's reference time, so anything may still be scheduled at or
// after now when next returns 0.
func (e *Engine) next(limit Time) uint32 {
	if e.nextOK && e.nextAt > limit {
		return 0
	}
	for e.levels != 0 {
		if e.levels&1 != 0 {
			// The front of the lowest level-0 bucket is the earliest event.
			b := bits.TrailingZeros64(e.occ[0])
			q := &e.bkt[0][b]
			r := q.head
			n := &e.nodes[r]
			if n.pending() && n.at > limit {
				e.nextAt, e.nextOK = n.at, true
				return 0
			}
			q.head = n.next
			if q.head == 0 {
				q.tail = 0
				e.occ[0] &^= 1 << b
				if e.occ[0] == 0 {
					e.levels &^= 1
				}
			}
			e.queued--
			if n.pending() {
				return r
			}
			e.free = append(e.free, r)
			continue
		}
		// Level 0 is empty: the earliest event is in the lowest bucket.
		l := bits.TrailingZeros16(e.levels)
		b := bits.TrailingZeros64(e.occ[l])
		q := &e.bkt[l][b]
		r := q.head
		if r == q.tail { // one event, the common case in a sparse queue
			n := &e.nodes[r]
			if n.pending() && n.at > limit {
				e.nextAt, e.nextOK = n.at, true
				return 0
			}
			e.take(l, b)
			e.queued--
			if n.pending() {
				e.cur = n.at
				return r
			}
			e.free = append(e.free, r)
			continue
		}
		// Find the first earliest pending event, dropping cancelled ones.
		m, best, bestPrev, k := Time(0), uint32(0), uint32(0), 0
		for prev, x := uint32(0), r; x != 0; {
			n := &e.nodes[x]
			nx := n.next
			if !n.pending() {
				e.unlink(l, b, prev, x)
				e.free = append(e.free, x)
				x = nx
				continue
			}
			if best == 0 || n.at < m {
				m, best, bestPrev = n.at, x, prev
			}
			k++
			prev, x = x, nx
		}
		if best == 0 {
			continue // all were cancelled
		}
		if m > limit {
			e.nextAt, e.nextOK = m, true
			return 0
		}
		if k <= lazyMax {
			// Few events: leave the others where they are (the
			// reference time stays put) and just unlink this one.
			e.unlink(l, b, bestPrev, best)
			return best
		}
		if r = e.cascade(l, b, m); r != 0 {
			return r
		}
	}
	return 0
}

// cascade empties bucket b of level l (the lowest; level 0 is empty) into
// the levels below, the reference time advanced to m, the earliest pending
// time in it, which is about to become now. It returns, unqueued, the first
// pending event at m, the one to run; the others move down, cancelled ones
// are dropped. With nothing pending in the bucket it returns 0.
func (e *Engine) cascade(l, b int, m Time) uint32 {
	r := e.take(l, b)
	e.cur = max(e.cur, m)
	run := uint32(0)
	for r != 0 {
		n := &e.nodes[r]
		x := r
		r = n.next
		e.queued--
		switch {
		case !n.pending():
			e.free = append(e.free, x)
		case run == 0 && n.at == m:
			run = x
		default:
			e.insert(x, n.at)
		}
	}
	return run
}

// unlink removes node x, which follows node prev (0: x is the head), from
// bucket b of level l.
func (e *Engine) unlink(l, b int, prev, x uint32) {
	q := &e.bkt[l][b]
	nx := e.nodes[x].next
	if prev == 0 {
		q.head = nx
	} else {
		e.nodes[prev].next = nx
	}
	if q.tail == x {
		q.tail = prev
	}
	if q.head == 0 {
		e.occ[l] &^= 1 << b
		if e.occ[l] == 0 {
			e.levels &^= 1 << l
		}
	}
	e.queued--
}

// take unlinks bucket b of level l from the wheel and returns its head;
// the caller accounts for its nodes.
func (e *Engine) take(l, b int) uint32 {
	q := &e.bkt[l][b]
	r := q.head
	*q = bucket{}
	e.occ[l] &^= 1 << b
	if e.occ[l] == 0 {
		e.levels &^= 1 << l
	}
	return r
}

// peek returns the earliest pending time without unqueuing it.
func (e *Engine) peek() (Time, bool) {
	if !e.nextOK {
		e.next(-1) // nothing is due before time 0: finds and remembers it
	}
	return e.nextAt, e.nextOK
}

// compact sweeps cancelled events out of every bucket, keeping the order of
// the others, so that a workload that keeps re-arming far timeouts does not
// grow the wheel without bound.
func (e *Engine) compact() {
	for l := 0; l < wheelLevels; l++ {
		for occ := e.occ[l]; occ != 0; occ &= occ - 1 {
			b := bits.TrailingZeros64(occ)
			q := &e.bkt[l][b]
			r := q.head
			*q = bucket{}
			for r != 0 {
				n := &e.nodes[r]
				x := r
				r = n.next
				if !n.pending() {
					e.free = append(e.free, x)
					e.queued--
					continue
				}
				n.next = 0
				e.nodes[q.tail].next = x
				if q.tail == 0 {
					q.head = x
				}
				q.tail = x
			}
			if q.head == 0 {
				e.occ[l] &^= 1 << b
			}
		}
		if e.occ[l] == 0 {
			e.levels &^= 1 << l
		}
	}
}
