package sim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

type recorder struct {
	e   *Engine
	log []string
}

func (r *recorder) Handle(arg uint64) {
	r.log = append(r.log, fmt.Sprintf("%v:%d", r.e.Now(), arg))
}

func TestSameTimeEventsRunInScheduleOrder(t *testing.T) {
	e := New(1)
	r := &recorder{e: e}
	e.Schedule(10, r, 1)
	e.Schedule(5, r, 2)
	e.Schedule(10, r, 3)
	e.Schedule(5, r, 4)
	e.Schedule(0, r, 5)
	e.RunUntilIdle()
	got := strings.Join(r.log, " ")
	want := "0ps:5 5ps:2 5ps:4 10ps:1 10ps:3"
	if got != want {
		t.Fatalf("order: got %q, want %q", got, want)
	}
}

// chain schedules further events from inside handlers, exercising the
// root-replacement path and nested scheduling.
type chain struct {
	e   *Engine
	log []string
}

func (c *chain) Handle(arg uint64) {
	c.log = append(c.log, fmt.Sprintf("%v:%d", c.e.Now(), arg))
	if arg < 4 {
		c.e.After(0, c, arg+10) // same time: after everything already at now
		c.e.After(3, c, arg+1)
	}
}

func TestNestedSchedulingOrder(t *testing.T) {
	e := New(1)
	c := &chain{e: e}
	e.Schedule(0, c, 0)
	e.Schedule(3, c, 100)
	e.RunUntilIdle()
	got := strings.Join(c.log, " ")
	want := "0ps:0 0ps:10 3ps:100 3ps:1 3ps:11 6ps:2 6ps:12 9ps:3 9ps:13 12ps:4"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestCancel(t *testing.T) {
	e := New(1)
	r := &recorder{e: e}
	a := e.Schedule(10, r, 1)
	b := e.Schedule(20, r, 2)
	if !e.Cancel(a) {
		t.Fatal("cancel of a pending event reported false")
	}
	if e.Cancel(a) {
		t.Fatal("second cancel reported true")
	}
	if e.Pending() != 1 {
		t.Fatalf("pending = %d, want 1", e.Pending())
	}
	if e.NextTime() != 20 {
		t.Fatalf("NextTime = %v, want 20ps", e.NextTime())
	}
	e.RunUntilIdle()
	if e.Cancel(b) {
		t.Fatal("cancel of an executed event reported true")
	}
	if e.Cancel(0) {
		t.Fatal("cancel of the zero id reported true")
	}
	// The freed slot is reused: the stale id must not cancel the new event.
	c := e.Schedule(30, r, 3)
	if e.Cancel(a) || e.Cancel(b) {
		t.Fatal("stale id cancelled a recycled slot")
	}
	e.RunUntilIdle()
	if got := strings.Join(r.log, " "); got != "20ps:2 30ps:3" {
		t.Fatalf("log %q", got)
	}
	_ = c
}

type pastScheduler struct{ e *Engine }

func (p *pastScheduler) Handle(uint64) { p.e.Schedule(p.e.Now()-1, p, 0) }
func (p *pastScheduler) Name() string  { return "pkg[3].core[1].l1d" }

func TestSchedulingInThePastPanicsNamingComponent(t *testing.T) {
	e := New(1)
	p := &pastScheduler{e: e}
	e.Schedule(100, p, 0)
	defer func() {
		r := recover()
		var ie *InvariantError
		err, _ := r.(error)
		if !errors.As(err, &ie) {
			t.Fatalf("panic value %v (%T), want *InvariantError", r, r)
		}
		if ie.Component != "pkg[3].core[1].l1d" || !strings.Contains(ie.Error(), "past") {
			t.Fatalf("panic %q does not name the component and the fault", ie.Error())
		}
	}()
	e.RunUntilIdle()
	t.Fatal("no panic")
}

func TestRunUntilAdvancesClockAndStops(t *testing.T) {
	e := New(1)
	r := &recorder{e: e}
	e.Schedule(10, r, 1)
	e.Schedule(30, r, 2)
	if n := e.RunUntil(20); n != 1 {
		t.Fatalf("ran %d events, want 1", n)
	}
	if e.Now() != 20 {
		t.Fatalf("now = %v, want 20ps", e.Now())
	}
	e.RunUntil(30)
	if len(r.log) != 2 {
		t.Fatalf("events at the limit must run: %v", r.log)
	}
}

func TestRunWhileAndStop(t *testing.T) {
	e := New(1)
	count := 0
	var h HandlerFunc
	h = func(arg uint64) {
		count++
		if count == 5 {
			e.Stop()
		}
		e.After(1, h, 0)
	}
	e.Schedule(0, h, 0)
	e.RunUntilIdle()
	if count != 5 {
		t.Fatalf("Stop: ran %d, want 5", count)
	}
	e.RunWhile(func() bool { return count < 12 })
	if count != 12 {
		t.Fatalf("RunWhile: ran to %d, want 12", count)
	}
	if st := e.Stats(); st.Events != 12 || st.SimTime != 11 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRenumberKeepsOrder forces the sequence counter to its limit and checks
// that pending events keep their (time, seq) order across the renumbering.
func TestRenumberKeepsOrder(t *testing.T) {
	e := New(1)
	r := &recorder{e: e}
	e.seq = maxSeq - 3
	for i := 0; i < 8; i++ {
		e.Schedule(Time(10-i%3), r, uint64(i))
	}
	e.RunUntilIdle()
	got := strings.Join(r.log, " ")
	want := "8ps:2 8ps:5 9ps:1 9ps:4 9ps:7 10ps:0 10ps:3 10ps:6"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

type hookLog struct{ n [2]int }

func (h *hookLog) EventStart(Time, Handler, uint64) { h.n[0]++ }
func (h *hookLog) EventEnd(Time, Handler, uint64)   { h.n[1]++ }

func TestHooks(t *testing.T) {
	e := New(1)
	hl := &hookLog{}
	e.AddHook(hl)
	r := &recorder{e: e}
	e.Schedule(1, r, 0)
	e.Schedule(2, r, 0)
	e.RunUntilIdle()
	if hl.n != [2]int{2, 2} {
		t.Fatalf("hook calls %v", hl.n)
	}
}

// randomWorkload runs a seeded random schedule/cancel mix and returns a
// digest of the execution order.
func randomWorkload(seed uint64) string {
	e := New(seed)
	rng := e.Rand("workload")
	var sb strings.Builder
	var ids []EventID
	var h HandlerFunc
	h = func(arg uint64) {
		fmt.Fprintf(&sb, "%d@%d ", arg, e.Now())
		for k := rng.IntN(3); k > 0; k-- {
			ids = append(ids, e.After(Time(rng.IntN(50)), h, rng.Uint64()%1000))
		}
		if len(ids) > 0 && rng.IntN(4) == 0 {
			e.Cancel(ids[rng.IntN(len(ids))])
		}
	}
	for i := 0; i < 50; i++ {
		ids = append(ids, e.Schedule(Time(rng.IntN(100)), h, uint64(i)))
	}
	e.RunWhile(func() bool { return e.Stats().Events < 5000 })
	return sb.String()
}

func TestSameSeedSameRun(t *testing.T) {
	const seed = 42
	t.Logf("seed %d", seed)
	a, b := randomWorkload(seed), randomWorkload(seed)
	if a != b {
		t.Fatal("same seed gave different executions")
	}
	if a == randomWorkload(seed+1) {
		t.Fatal("different seeds gave identical executions")
	}
}

// TestHeapMatchesReference checks the engine's order against a sort of all
// (time, seq) pairs, with cancellations, over many seeds.
func TestHeapMatchesReference(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		e := New(seed)
		rng := e.Rand("ref")
		type ev struct {
			at  Time
			n   int
			id  EventID
			off bool
		}
		var evs []*ev
		var got []int
		for i := 0; i < 500; i++ {
			x := &ev{at: Time(rng.IntN(200)), n: i}
			x.id = e.Schedule(x.at, HandlerFunc(func(uint64) { got = append(got, x.n) }), 0)
			evs = append(evs, x)
		}
		for i := 0; i < 100; i++ {
			x := evs[rng.IntN(len(evs))]
			if e.Cancel(x.id) == x.off {
				t.Fatalf("seed %d: cancel result wrong for event %d", seed, x.n)
			}
			x.off = true
		}
		e.RunUntilIdle()
		var want []int
		for at := Time(0); at < 200; at++ {
			for _, x := range evs {
				if x.at == at && !x.off {
					want = append(want, x.n)
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("seed %d: order differs from reference", seed)
		}
	}
}

func TestRandStreamsIndependentOfOtherComponents(t *testing.T) {
	a := NewRand(7, "pkg[0].l3").Uint64()
	_ = NewRand(7, "pkg[1].l3").Uint64()
	if b := NewRand(7, "pkg[0].l3").Uint64(); a != b {
		t.Fatal("stream depends on creation order")
	}
	if NewRand(7, "pkg[0].l3").Uint64() == NewRand(7, "pkg[0].l2").Uint64() {
		t.Fatal("different names gave the same stream")
	}
	if NewRand(7, "x").Uint64() == NewRand(8, "x").Uint64() {
		t.Fatal("different seeds gave the same stream")
	}
}

func TestClock(t *testing.T) {
	c := NewClockHz("core", 2.0e9)
	if c.Period != 500 {
		t.Fatalf("2 GHz period %d ps", c.Period)
	}
	if c.Time(3) != 1500 || c.Cycles(1499) != 2 || c.CyclesCeil(1001) != 3 || c.NextEdge(1001) != 1500 || c.NextEdge(1000) != 1000 {
		t.Fatal("clock conversions wrong")
	}
	x := NewClockHz("xeon", 2.66e9)
	if x.Period != 376 {
		t.Fatalf("2.66 GHz period %d ps, want 376", x.Period)
	}
}
