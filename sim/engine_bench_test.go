package sim

import (
	"container/heap"
	"math"
	"testing"
)

// benchPending is the queue depth the issue asks the engine to be measured at.
const benchPending = 1000

// delays is a fixed pseudo-random table so the benchmark measures the queue,
// not a random number generator.
var delays = func() []Time {
	r := NewRand(1, "bench")
	d := make([]Time, 4096)
	for i := range d {
		d[i] = Time(1 + r.IntN(1000))
	}
	return d
}()

type reschedule struct {
	e *Engine
	i int
	n int
}

func (r *reschedule) Handle(arg uint64) {
	if r.n <= 0 {
		return
	}
	r.n--
	r.i++
	r.e.After(delays[r.i&4095], r, arg)
}

// BenchmarkEngine runs no-op events over a queue holding about 1,000 pending
// events; each event schedules its successor at a random near-future time.
func BenchmarkEngine(b *testing.B) {
	e := New(1)
	r := &reschedule{e: e, n: b.N}
	for i := 0; i < benchPending; i++ {
		e.Schedule(delays[i], r, uint64(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	e.RunUntilIdle()
	b.StopTimer()
	b.ReportMetric(float64(e.Stats().Events)/b.Elapsed().Seconds()/1e6, "Mevents/s")
}

// The baseline: the same workload on container/heap with an event interface.

type baseEvent struct {
	at  Time
	seq uint64
	h   Handler
	arg uint64
}

type baseQueue []*baseEvent

func (q baseQueue) Len() int { return len(q) }
func (q baseQueue) Less(i, j int) bool {
	return q[i].at < q[j].at || (q[i].at == q[j].at && q[i].seq < q[j].seq)
}
func (q baseQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *baseQueue) Push(x any)   { *q = append(*q, x.(*baseEvent)) }
func (q *baseQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

type baseEngine struct {
	now    Time
	seq    uint64
	q      baseQueue
	events uint64
}

func (e *baseEngine) after(d Time, h Handler, arg uint64) {
	e.seq++
	heap.Push(&e.q, &baseEvent{at: e.now + d, seq: e.seq, h: h, arg: arg})
}

type baseReschedule struct {
	e *baseEngine
	i int
	n int
}

func (r *baseReschedule) Handle(arg uint64) {
	if r.n <= 0 {
		return
	}
	r.n--
	r.i++
	r.e.after(delays[r.i&4095], r, arg)
}

func BenchmarkEngineContainerHeap(b *testing.B) {
	e := &baseEngine{}
	r := &baseReschedule{e: e, n: b.N}
	for i := 0; i < benchPending; i++ {
		e.after(delays[i], r, uint64(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for e.q.Len() > 0 {
		ev := heap.Pop(&e.q).(*baseEvent)
		e.now = ev.at
		e.events++
		ev.h.Handle(ev.arg)
	}
	b.StopTimer()
	b.ReportMetric(float64(e.events)/b.Elapsed().Seconds()/1e6, "Mevents/s")
}

// realDelays is shaped like the delays the simulator schedules on gruyere
// (measured on sim/machine's benchmarks): 3 % at the current time (a
// handler handing work on at once), the rest log-uniform between 0.5 and
// 64 ns (cache and link latencies, core clocks), all whole picoseconds.
var realDelays = func() []Time {
	r := NewRand(1, "bench-real")
	d := make([]Time, 4096)
	for i := range d {
		if r.IntN(100) < 3 {
			continue
		}
		d[i] = Time(500 * math.Pow(2, 7*r.Float64()))
	}
	return d
}()

// realLoad is one of the components of BenchmarkEngineRealistic: each
// event schedules its successor a realDelays delay later, and one event in
// 64 also re-arms the component's 10 ms timeout, cancelling the previous
// one, as a watchdog or a retry timer does.
type realLoad struct {
	e       *Engine
	i       int
	left    *int
	timeout EventID
}

func (r *realLoad) Handle(arg uint64) {
	if arg == 1 {
		return // a timeout that fired
	}
	if *r.left <= 0 {
		r.e.Cancel(r.timeout)
		return
	}
	*r.left--
	r.i++
	if r.i&63 == 0 {
		r.e.Cancel(r.timeout)
		r.timeout = r.e.After(10*Millisecond, r, 1)
	}
	r.e.After(realDelays[r.i&4095], r, 0)
}

// BenchmarkEngineRealistic runs the queue under the simulator's real load:
// a few dozen (48) pending events spread over about 100 ns, a same-time
// burst now and then, and far (10 ms) timeouts re-armed and cancelled. The
// small variant keeps 8 pending, like two cores ping-ponging a line.
func BenchmarkEngineRealistic(b *testing.B) {
	for _, bc := range []struct {
		name    string
		pending int
	}{{"", 48}, {"small", 8}} {
		name := bc.name
		if name == "" {
			name = "dozens"
		}
		b.Run(name, func(b *testing.B) { benchRealistic(b, bc.pending) })
	}
}

func benchRealistic(b *testing.B, pending int) {
	e := New(1)
	left := b.N
	for i := 0; i < pending; i++ {
		r := &realLoad{e: e, i: i * 97, left: &left}
		r.timeout = e.After(10*Millisecond, r, 1)
		e.After(realDelays[i], r, 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	e.RunUntilIdle()
	b.StopTimer()
	b.ReportMetric(float64(e.Stats().Events)/b.Elapsed().Seconds()/1e6, "Mevents/s")
}
