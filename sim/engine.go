package sim

import (
	"fmt"
	"sort"
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

// slot holds the payload of one pending event. Slots are recycled through a
// free list so scheduling does not allocate once the pool has grown.
type slot struct {
	h       Handler
	arg     uint64
	gen     uint32
	pending bool
}

// entry is what the heap orders: 16 bytes, no pointers, so four siblings
// share a cache line and sifting is invisible to the garbage collector. key
// packs the scheduling sequence number above the slot index, so comparing
// keys compares sequence numbers.
type entry struct {
	at  Time
	key uint64
}

const (
	slotBits = 24
	slotMask = 1<<slotBits - 1
	maxSeq   = 1<<(64-slotBits) - 1
)

func (a entry) slot() uint32 { return uint32(a.key & slotMask) }

func (a entry) less(b entry) bool {
	return a.at < b.at || (a.at == b.at && a.key < b.key)
}

// Engine is the serial discrete-event engine, the reference for every result.
type Engine struct {
	now     Time
	seq     uint64
	seed    uint64
	heap    []entry // 4-ary min-heap on (at, seq)
	slots   []slot
	free    []uint32
	live    int // pending, not cancelled
	hooks   []Hook
	stop    bool
	events  uint64
	host    time.Duration
	running bool
	// topDone is set while the event at the heap's root is running: its
	// entry is not popped until the handler returns, so that the first event
	// the handler schedules can simply replace the root (one sift-down
	// instead of a pop's sift-down plus a push's sift-up).
	topDone bool
}

// New returns an engine at time zero whose component streams derive from seed.
func New(seed uint64) *Engine {
	return &Engine{seed: seed, heap: make([]entry, 0, 1024), slots: make([]slot, 0, 1024)}
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
	var idx uint32
	if n := len(e.free); n > 0 {
		idx = e.free[n-1]
		e.free = e.free[:n-1]
	} else {
		if len(e.slots) > slotMask {
			Failf("sim.Engine", "schedule", "more than %d events pending", slotMask)
		}
		e.slots = append(e.slots, slot{})
		idx = uint32(len(e.slots) - 1)
	}
	s := &e.slots[idx]
	s.gen++
	s.h, s.arg, s.pending = h, arg, true
	if e.seq == maxSeq {
		e.renumber()
	}
	e.seq++
	x := entry{at: at, key: e.seq<<slotBits | uint64(idx)}
	if e.topDone {
		e.topDone = false
		e.heap[0] = x
		e.siftDown(0)
	} else {
		e.push(x)
	}
	e.live++
	return EventID(uint64(s.gen)<<32 | uint64(idx))
}

// After schedules h.Handle(arg) d after now.
func (e *Engine) After(d Time, h Handler, arg uint64) EventID {
	return e.Schedule(e.now+d, h, arg)
}

// Cancel removes a pending event. It reports whether the event was still
// pending; cancelling an event that ran or was already cancelled is a no-op.
func (e *Engine) Cancel(id EventID) bool {
	idx := uint32(id)
	gen := uint32(id >> 32)
	if id == 0 || int(idx) >= len(e.slots) {
		return false
	}
	s := &e.slots[idx]
	if s.gen != gen || !s.pending {
		return false
	}
	s.pending = false
	s.h = nil
	e.live--
	return true
}

// NextTime is the time of the earliest pending event, or Never.
func (e *Engine) NextTime() Time {
	e.dropDone()
	for len(e.heap) > 0 {
		top := e.heap[0]
		if e.slots[top.slot()].pending {
			return top.at
		}
		e.pop()
		e.free = append(e.free, top.slot())
	}
	return Never
}

// Stop makes the current Run call return after the running event.
func (e *Engine) Stop() { e.stop = true }

// step runs the earliest event if it is due at or before limit.
func (e *Engine) step(limit Time) bool {
	for len(e.heap) > 0 {
		top := e.heap[0]
		s := &e.slots[top.slot()]
		if !s.pending {
			e.pop()
			e.free = append(e.free, top.slot())
			continue
		}
		if top.at > limit {
			return false
		}
		h, arg := s.h, s.arg
		s.pending, s.h = false, nil
		e.free = append(e.free, top.slot())
		e.live--
		e.now = top.at
		e.events++
		e.topDone = true
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
		e.dropDone()
		return true
	}
	return false
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

// push and pop implement a 4-ary heap: half the depth of a binary heap, and
// the four children of a node share a cache line or two.
func (e *Engine) push(x entry) {
	h := append(e.heap, x)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) >> 2
		if !x.less(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
	e.heap = h
}

// renumber gives the pending entries fresh, dense sequence numbers in their
// current order, so that the sequence never overflows the bits the key
// keeps for it (2^40 events: hours of host time).
func (e *Engine) renumber() {
	e.dropDone()
	h := e.heap
	sort.Slice(h, func(i, j int) bool { return h[i].less(h[j]) })
	for i := range h {
		h[i].key = uint64(i+1)<<slotBits | uint64(h[i].slot())
	}
	e.seq = uint64(len(h)) // a sorted array is a valid heap
}

// dropDone pops the root if it is the entry of the event that just ran and
// the handler did not reuse it.
func (e *Engine) dropDone() {
	if e.topDone {
		e.topDone = false
		e.pop()
	}
}

func (e *Engine) pop() {
	n := len(e.heap) - 1
	e.heap[0] = e.heap[n]
	e.heap = e.heap[:n]
	if n > 0 {
		e.siftDown(0)
	}
}

// siftDown moves the entry at i down to its place.
func (e *Engine) siftDown(i int) {
	h := e.heap
	n := len(h)
	x := h[i]
	for {
		c := i<<2 + 1
		if c+3 < n {
			// Full set of four children: pick the least without branches
			// (a tournament of two pairs), which is what makes this heap fast:
			// the comparisons are data-dependent and would mispredict.
			m01 := c + lessIdx(h[c+1], h[c])
			m23 := c + 2 + lessIdx(h[c+3], h[c+2])
			m := m01 + (m23-m01)*lessIdx(h[m23], h[m01])
			if !h[m].less(x) {
				break
			}
			h[i] = h[m]
			i = m
			continue
		}
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < n; j++ {
			if h[j].less(h[m]) {
				m = j
			}
		}
		if !h[m].less(x) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = x
}

// lessIdx is 1 if a orders before b, else 0, computed without a branch.
func lessIdx(a, b entry) int {
	lt := b2i(a.at < b.at)
	eq := b2i(a.at == b.at)
	slt := b2i(a.key < b.key)
	return lt | (eq & slt)
}

func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}
