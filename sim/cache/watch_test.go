package cache

import (
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// watchRec records a watch's firings.
type watchRec struct {
	s     *System
	fired []mem.LineAddr
	at    []sim.Time
	fn    func(mem.LineAddr)
}

func newWatchRec(s *System) *watchRec {
	w := &watchRec{s: s}
	w.fn = func(l mem.LineAddr) {
		w.fired = append(w.fired, l)
		w.at = append(w.at, s.e.Now())
	}
	return w
}

// TestWatchLine: a watch fires once when another core's write takes the
// copy (on chip and off), not on a read that leaves it valid (even one that
// downgrades it from M), not after UnwatchLine, and never inside WatchLine;
// it is refused for a line the L1 does not hold.
func TestWatchLine(t *testing.T) {
	for _, c := range allSchemes() {
		t.Run(c.String(), func(t *testing.T) {
			_, s, _ := c.build(t, 1)
			l1 := s.L1(0)
			a := mem.Addr(memPerNode + 0x80)
			w := newWatchRec(s)
			if l1.WatchLine(a.Line(), w.fn) {
				t.Fatal("watch accepted for a line the L1 does not hold")
			}
			for _, other := range []int{1, s.NumCores() - 1} { // same package, other package
				load(s, 0, a)
				s.Settle()
				w.fired = nil
				if !l1.WatchLine(a.Line(), w.fn) {
					t.Fatal("watch refused for a line the L1 holds")
				}
				if len(w.fired) != 0 {
					t.Fatal("watch fired inside WatchLine")
				}
				load(s, other, a) // the copy stays valid
				s.Settle()
				if len(w.fired) != 0 {
					t.Fatalf("core %d's read fired the watch", other)
				}
				store(s, other, a, 3)
				s.Settle()
				if len(w.fired) != 1 || w.fired[0] != a.Line() {
					t.Fatalf("core %d's write: watch fired %v, want once for %v", other, w.fired, a.Line())
				}
				store(s, other, a, 4)
				load(s, 0, a)
				store(s, other, a, 5)
				s.Settle()
				if len(w.fired) != 1 {
					t.Fatalf("one-shot watch fired %d times", len(w.fired))
				}
			}
			// A downgrade (M -> S) keeps the data: no firing.
			store(s, 0, a, 6)
			s.Settle()
			w.fired = nil
			if !l1.WatchLine(a.Line(), w.fn) {
				t.Fatal("watch refused")
			}
			load(s, s.NumCores()-1, a)
			s.Settle()
			if len(w.fired) != 0 {
				t.Fatal("a remote read that downgraded the copy fired the watch")
			}
			// Unwatch cancels.
			l1.UnwatchLine(a.Line())
			store(s, 1, a, 7)
			s.Settle()
			if len(w.fired) != 0 {
				t.Fatal("cancelled watch fired")
			}
		})
	}
}

// TestWatchLineTiming: the watch fires from the event that invalidates the
// copy, at the time the writer's request is performed on the copy's chip
// (before the writer's completion).
func TestWatchLineTiming(t *testing.T) {
	c := tconf{scheme: Broadcast, nodes: 2, cores: 2, l3: true, big: true}
	e, s, _ := c.build(t, 1)
	a := mem.Addr(0x80)
	load(s, 0, a)
	s.Settle()
	w := newWatchRec(s)
	if !s.L1(0).WatchLine(a.Line(), w.fn) {
		t.Fatal("watch refused")
	}
	start := e.Now() + 100*sim.Nanosecond
	st := &timedOp{s: s, core: 2, a: mem.Access{Op: mem.OpStore, Addr: a, Value: 1}}
	st.schedule(start)
	s.Settle()
	if len(w.fired) != 1 {
		t.Fatalf("watch fired %d times", len(w.fired))
	}
	if w.at[0] <= start || w.at[0] >= st.at {
		t.Errorf("watch fired at %v; the write was issued at %v and completed at %v", w.at[0], start, st.at)
	}
}

// TestWatchLineEviction: a watch fires when the line is evicted (by a
// conflicting fill of the same core, or by a flush from another core of
// the cluster), and WatchLine allocates nothing.
func TestWatchLineEviction(t *testing.T) {
	c := tconf{scheme: Directory, nodes: 2, cores: 2, cluster: 2}
	_, s, _ := c.build(t, 1)
	l1 := s.L1(0)
	a := mem.Addr(0x40)
	// The tiny L1 has 2 sets of 2 ways: a, a+128 and a+256 share a set.
	load(s, 0, a)
	w := newWatchRec(s)
	if !l1.WatchLine(a.Line(), w.fn) {
		t.Fatal("watch refused")
	}
	load(s, 0, a+128)
	load(s, 0, a+256)
	if len(w.fired) != 1 || w.fired[0] != a.Line() {
		t.Fatalf("eviction: watch fired %v", w.fired)
	}
	// A flush by the other core of the cluster drops the cluster's copy.
	load(s, 0, a)
	w.fired = nil
	if !l1.WatchLine(a.Line(), w.fn) {
		t.Fatal("watch refused")
	}
	acc := mem.Access{Op: mem.OpFlush, Addr: a}
	s.Access(1, &acc)
	if len(w.fired) != 1 {
		t.Fatalf("flush: watch fired %v", w.fired)
	}
	load(s, 0, a)
	if n := testing.AllocsPerRun(100, func() {
		l1.WatchLine(a.Line(), w.fn)
		l1.UnwatchLine(a.Line())
	}); n != 0 {
		t.Errorf("WatchLine/UnwatchLine allocate %v times", n)
	}
}
