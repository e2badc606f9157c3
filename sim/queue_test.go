package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The tests in this file check the event queue (sorted list, radix wheel and the
// switches between them) against a reference: a plain list of pending
// events searched for the least (time, seq) at every step.

type refEvent struct {
	at   Time
	seq  int
	id   EventID
	gone bool // ran or cancelled
}

type refQueue struct {
	t       *testing.T
	seed    uint64
	e       *Engine
	rng     *rand.Rand
	pending []*refEvent
	seq     int
	ran     int
}

func (q *refQueue) fail(format string, args ...any) {
	q.t.Helper()
	q.t.Fatalf("seed %d, after %d events at %v: %s", q.seed, q.ran, q.e.Now(), fmt.Sprintf(format, args...))
}

func (q *refQueue) min() *refEvent {
	var m *refEvent
	for _, x := range q.pending {
		if m == nil || x.at < m.at || (x.at == m.at && x.seq < m.seq) {
			m = x
		}
	}
	return m
}

func (q *refQueue) remove(x *refEvent) {
	for i, y := range q.pending {
		if y == x {
			q.pending[i] = q.pending[len(q.pending)-1]
			q.pending = q.pending[:len(q.pending)-1]
			return
		}
	}
	q.fail("event not pending in the reference")
}

// schedule schedules an event at at whose handler checks that it is the
// reference's earliest, then calls body.
func (q *refQueue) schedule(at Time, body func()) *refEvent {
	q.seq++
	x := &refEvent{at: at, seq: q.seq}
	x.id = q.e.Schedule(at, HandlerFunc(func(uint64) {
		if m := q.min(); m != x {
			q.fail("ran event at %v seq %d, reference expects %v seq %d", x.at, x.seq, m.at, m.seq)
		}
		if q.e.Now() != x.at {
			q.fail("event due at %v ran at %v", x.at, q.e.Now())
		}
		q.remove(x)
		x.gone = true
		q.ran++
		body()
	}), 0)
	q.pending = append(q.pending, x)
	return x
}

func (q *refQueue) cancel(x *refEvent) {
	if got := q.e.Cancel(x.id); got != !x.gone {
		q.fail("Cancel returned %v for an event that is gone=%v", got, x.gone)
	}
	if !x.gone {
		q.remove(x)
		x.gone = true
	}
}

func (q *refQueue) check() {
	q.t.Helper()
	want := Never
	if m := q.min(); m != nil {
		want = m.at
	}
	if got := q.e.NextTime(); got != want {
		q.fail("NextTime %v, reference %v", got, want)
	}
	if q.e.Pending() != len(q.pending) {
		q.fail("Pending %d, reference %d", q.e.Pending(), len(q.pending))
	}
	// The wheel holds its live events and the e.dead cancelled ones.
	if e := q.e; e.wheelMode {
		nodes := 0
		for l := 0; l < wheelLevels; l++ {
			for b := e.occ[l].first(); b >= 0; b = e.occ[l].after(b) {
				for r := e.bucket(l, b).head; r != 0; r = e.nodes[r].next {
					nodes++
				}
			}
		}
		if nodes != e.live+e.dead {
			q.fail("wheel holds %d nodes, live %d + dead %d", nodes, e.live, e.dead)
		}
	}
}

// later is now+d, or Never if that would overflow.
func later(now, d Time) Time {
	if d > Never-now {
		return Never
	}
	return now + d
}

// delayKinds are the time distributions the randomized test mixes: same
// time, the near future of a machine (ps to ns), microseconds, far
// timeouts, and times near the top of the range.
func randomDelay(q *refQueue, kind int) Time {
	r := q.rng
	switch kind {
	case 0:
		return 0
	case 1:
		return Time(r.IntN(64))
	case 2:
		return Time(r.IntN(100 * int(Nanosecond)))
	case 3:
		return Time(r.Int64N(int64(50 * Microsecond)))
	case 4:
		return 10*Millisecond + Time(r.IntN(3))
	case 5:
		return Time(r.Int64N(1 << 40))
	default:
		return Time(r.Int64N(int64(Never-q.e.Now())/2 + 1))
	}
}

// TestQueueMatchesReference drives the engine with random schedule and
// cancel mixes over many seeds: bursts of same-time events, wide and far
// times, handlers that schedule and cancel, RunUntil limits that stop
// between events, scheduling from outside any event, and depths that cross
// the list/wheel switch both ways, checking every event, Cancel result,
// NextTime and Pending against the reference.
func TestQueueMatchesReference(t *testing.T) {
	seeds := uint64(400)
	if testing.Short() {
		seeds = 60
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		runReference(t, seed)
	}
}

func runReference(t *testing.T, seed uint64) {
	e := New(seed)
	r := e.Rand("queue-reference")
	q := &refQueue{t: t, seed: seed, e: e, rng: r}
	// Each seed favours some delay kinds.
	var kinds []int
	for k := 0; k < 7; k++ {
		for w := r.IntN(4); w > 0; w-- {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		kinds = []int{1}
	}
	grow := true
	var all []*refEvent
	var body func()
	body = func() {
		// Alternate growing and shrinking phases, so the depth crosses the
		// list/wheel thresholds both ways.
		if len(q.pending) > 300 {
			grow = false
		} else if len(q.pending) < 3 {
			grow = true
		}
		n := r.IntN(2)
		if grow {
			n = 1 + r.IntN(3)
		}
		if q.ran > 20000 {
			n = 0 // wind down: RunUntil(Never) must end
		}
		if r.IntN(50) == 0 {
			n += r.IntN(40) // a burst
		}
		kind := kinds[r.IntN(len(kinds))]
		for i := 0; i < n; i++ {
			if r.IntN(8) != 0 {
				kind = kinds[r.IntN(len(kinds))]
			}
			all = append(all, q.schedule(later(e.Now(), randomDelay(q, kind)), body))
		}
		for r.IntN(4) == 0 && len(all) > 0 {
			q.cancel(all[r.IntN(len(all))])
		}
		if r.IntN(4) == 0 {
			q.check()
		}
		if len(all) > 4096 {
			all = all[len(all)-1024:]
		}
	}
	for i, n := 0, 1+r.IntN(200); i < n; i++ {
		all = append(all, q.schedule(randomDelay(q, kinds[r.IntN(len(kinds))]), body))
	}
	for round := 0; round < 40 && len(q.pending) > 0; round++ {
		q.check()
		switch r.IntN(3) {
		case 0:
			// Run to a limit that usually falls between events.
			m := q.min().at
			limit := later(m, randomDelay(q, kinds[r.IntN(len(kinds))]))
			e.RunUntil(limit)
			if limit != Never && e.Now() != limit {
				q.fail("RunUntil(%v) left now at %v", limit, e.Now())
			}
		case 1:
			stop := q.ran + 1 + r.IntN(500)
			e.RunWhile(func() bool { return q.ran < stop })
		case 2:
			// Schedule and cancel from outside any event, at now.
			for i := r.IntN(20); i > 0; i-- {
				all = append(all, q.schedule(later(e.Now(), randomDelay(q, kinds[r.IntN(len(kinds))])), body))
			}
			for i := r.IntN(5); i > 0 && len(all) > 0; i-- {
				q.cancel(all[r.IntN(len(all))])
			}
		}
	}
	// Cancel what is left, checking the stale IDs of the rest too.
	for _, x := range append(all, q.pending...) {
		q.cancel(x)
	}
	q.check()
	if e.RunUntilIdle() != 0 {
		q.fail("events ran after everything was cancelled")
	}
}

// TestSameTimeOrderAcrossSwitches schedules same-time events in bursts
// while the queue switches between list and wheel and checks they run in
// scheduling order.
func TestSameTimeOrderAcrossSwitches(t *testing.T) {
	e := New(1)
	var got []int
	n := 0
	add := func(at Time) {
		k := n
		n++
		e.Schedule(at, HandlerFunc(func(uint64) { got = append(got, k) }), 0)
	}
	// Deep enough for the wheel, then drained below the list threshold
	// with same-time events still pending, then refilled.
	for i := 0; i < 500; i++ {
		add(Time(100 + i%5))
	}
	e.RunUntil(101) // 200 events of 100 and 101 ran; 300 pending
	for i := 0; i < 10; i++ {
		add(102)
		add(104)
	}
	e.RunUntil(103) // leaves the 104s: few enough for the list
	for i := 0; i < 300; i++ {
		add(104)
		add(Time(105 + i%2))
	}
	e.RunUntilIdle()
	// Expected: by time, then by scheduling order.
	var want []int
	at := func(k int) Time {
		switch {
		case k < 500:
			return Time(100 + k%5)
		case k < 520:
			if (k-500)%2 == 0 {
				return 102
			}
			return 104
		}
		j := k - 520
		if j%2 == 0 {
			return 104
		}
		return Time(105 + (j/2)%2)
	}
	for tm := Time(100); tm <= 106; tm++ {
		for k := 0; k < n; k++ {
			if at(k) == tm {
				want = append(want, k)
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("order differs:\ngot  %v\nwant %v", got, want)
	}
}

// TestFarTimeouts re-arms far timeouts many times, cancelling the previous
// one each time, in both list and wheel mode: cancelled events must be
// swept out rather than pile up, and the last timeouts must still fire.
func TestFarTimeouts(t *testing.T) {
	for _, depth := range []int{2, 200} {
		e := New(1)
		fired := 0
		timeout := HandlerFunc(func(uint64) { fired++ })
		var ids []EventID
		for i := 0; i < depth; i++ {
			ids = append(ids, e.After(10*Millisecond, timeout, 0))
		}
		var tick HandlerFunc
		ticks := 0
		tick = func(uint64) {
			ticks++
			if ticks >= 100000 {
				return
			}
			k := ticks % depth
			if !e.Cancel(ids[k]) {
				t.Fatalf("depth %d: re-armed timeout was not pending", depth)
			}
			ids[k] = e.After(10*Millisecond, timeout, 0)
			e.After(Time(1+ticks%700), tick, 0)
		}
		e.After(0, tick, 0)
		e.RunUntil(5 * Millisecond)
		q := e.listLen()
		if e.wheelMode {
			q += e.live + e.dead // the wheel's nodes
		}
		if q > 2*e.live+wheelCompactMin+listCompactMin+2 {
			t.Fatalf("depth %d: %d queue entries for %d pending events", depth, q, e.live)
		}
		e.RunUntilIdle()
		if fired != depth {
			t.Fatalf("depth %d: %d timeouts fired, want %d", depth, fired, depth)
		}
	}
}

// TestFarFutureTimes schedules events across the whole range of Time,
// up to Never, in both modes.
func TestFarFutureTimes(t *testing.T) {
	for _, extra := range []int{0, 100} {
		e := New(1)
		var got []Time
		h := HandlerFunc(func(uint64) { got = append(got, e.Now()) })
		times := []Time{Never, Never - 1, 1 << 62, 10 * Millisecond, 1 << 40, 3, 0, 1<<62 + 1, 1 << 33, Never}
		for _, at := range times {
			e.Schedule(at, h, 0)
		}
		for i := 0; i < extra; i++ {
			e.Schedule(Time(i), HandlerFunc(func(uint64) {}), 0)
		}
		e.RunUntil(Never - 1)
		if len(got) != len(times)-2 || e.Now() != Never-1 {
			t.Fatalf("extra %d: ran %v, now %v", extra, got, e.Now())
		}
		e.RunUntilIdle()
		for i := 1; i < len(got); i++ {
			if got[i] < got[i-1] {
				t.Fatalf("extra %d: out of order: %v", extra, got)
			}
		}
		if len(got) != len(times) || got[len(got)-1] != Never {
			t.Fatalf("extra %d: ran %v", extra, got)
		}
	}
}

// TestQueueDoesNotAllocate: once the pools have grown, scheduling and
// running events allocates nothing, in either mode.
func TestQueueDoesNotAllocate(t *testing.T) {
	for _, pending := range []int{8, 500} {
		e := New(1)
		left := 1 << 30
		for i := 0; i < pending; i++ {
			e.After(realDelays[i], &realLoad{e: e, i: i * 97, left: &left}, 0)
		}
		e.RunUntil(e.Now() + 100*Microsecond)
		allocs := testing.AllocsPerRun(20, func() { e.RunUntil(e.Now() + 10*Microsecond) })
		if allocs != 0 {
			t.Errorf("%d pending: %v allocations per 10us of events", pending, allocs)
		}
	}
}
