package sim

import (
	"container/heap"
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
