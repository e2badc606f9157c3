package cores

import (
	"fmt"
	"strings"
	"testing"

	"mksim/arch"
	"mksim/sim"
	"mksim/sim/mem"
)

// Tests of the hardware stream prefetcher (stream.go), on one core over a
// fakeMem whose port records every prefetch the core sends to memory.

// pfRecPort is a fakePort that records the line of every OpPrefetch the
// core issues to the memory system (every one the tests expect misses: the
// lines they prefetch are not in the core's cache).
type pfRecPort struct {
	*fakePort
	issued []mem.LineAddr // OpPrefetch accesses issued, in order
	issAt  []sim.Time     // engine time of each
}

func (p *pfRecPort) Issue(a *mem.Access, done mem.Completion) {
	if a.Op == mem.OpPrefetch {
		p.issued = append(p.issued, a.Addr.Line())
		p.issAt = append(p.issAt, p.m.eng.Now())
	}
	p.fakePort.Issue(a, done)
}

// streamBase is the page the stream tests work in (page-aligned, inside
// fakeMem's arena, away from line 0 so no lastMiss starts at zero by
// accident).
const streamBase = 0x8000

// lineN is the address of line n counted from streamBase (n may run past
// a page: line 64 is the first line of the next page).
func lineN(n int) mem.LineAddr { return mem.LineAddr(streamBase + n*mem.LineSize) }

func linesN(ns ...int) []mem.LineAddr {
	ls := make([]mem.LineAddr, len(ns))
	for i, n := range ns {
		ls[i] = lineN(n)
	}
	return ls
}

// lineRange is lines lo..hi (inclusive) from streamBase.
func lineRange(lo, hi int) []mem.LineAddr {
	var ls []mem.LineAddr
	for n := lo; n <= hi; n++ {
		ls = append(ls, lineN(n))
	}
	return ls
}

func fmtLines(ls []mem.LineAddr) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(' ')
		}
		if d := int64(l) - streamBase; d%mem.LineSize == 0 {
			fmt.Fprintf(&b, "L%d", d/mem.LineSize)
		} else {
			fmt.Fprintf(&b, "%v", l)
		}
	}
	b.WriteByte(']')
	return b.String()
}

func sameLines(a, b []mem.LineAddr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// streamRun runs one core (1 GHz, fakeMem miss latency 60 ns) with the
// given prefetch degree loading the given lines in order; with gap > 0
// it computes gap cycles between loads (so every prefetch completes before
// the next load).
type streamRun struct {
	port  *pfRecPort
	stats Stats
}

func runStream(t *testing.T, degree int, loads []mem.LineAddr, gap int64) streamRun {
	t.Helper()
	eng := sim.New(1)
	m := newFakeMem(eng, 1, 1)
	p := &pfRecPort{fakePort: m.ports[0]}
	cfg := testConfig(ns)
	cfg.PrefetchDegree = degree
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	c := New(eng, 0, cfg, p, nil)
	g := NewGroup(eng, []*Core{c})
	defer g.Close()
	c.Start(func(ac arch.Core) {
		for _, l := range loads {
			ac.Load(arch.Addr(l) + 8) // a word inside the line, not its first
			if gap > 0 {
				ac.Compute(gap)
			}
		}
	})
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	return streamRun{port: p, stats: c.Stats()}
}

func TestStreamPrefetcher(t *testing.T) {
	const gap = 200 // cycles (ns): far more than a 60 ns prefetch
	for _, tc := range []struct {
		name   string
		degree int
		loads  []mem.LineAddr
		want   []mem.LineAddr // lines prefetched from memory, in order
		misses uint64         // demand load misses
	}{
		{
			name:   "degree 0 is off",
			degree: 0,
			loads:  lineRange(1, 8),
			misses: 8,
		},
		{
			// Two consecutive-line misses start the stream: the
			// prefetcher fetches exactly the next degree lines.
			name:   "start degree 1",
			degree: 1,
			loads:  linesN(1, 2),
			want:   linesN(3),
			misses: 2,
		},
		{
			name:   "start degree 4",
			degree: 4,
			loads:  linesN(1, 2),
			want:   lineRange(3, 6),
			misses: 2,
		},
		{
			name:   "start degree 8",
			degree: 8,
			loads:  linesN(1, 2),
			want:   lineRange(3, 10),
			misses: 2,
		},
		{
			// A single miss is not a stream.
			name:   "one miss",
			degree: 4,
			loads:  linesN(5),
			misses: 1,
		},
		{
			// Loading the prefetched lines (hits) advances the stream one
			// line per load, each line prefetched once.
			name:   "advance degree 2",
			degree: 2,
			loads:  lineRange(1, 12),
			want:   lineRange(3, 14),
			misses: 2,
		},
		{
			name:   "advance degree 4",
			degree: 4,
			loads:  lineRange(1, 10),
			want:   lineRange(3, 14),
			misses: 2,
		},
		{
			// Re-loading lines behind the stream, or the same line, does
			// not advance it nor prefetch again.
			name:   "reloads do not advance",
			degree: 3,
			loads:  linesN(1, 2, 2, 1, 2, 3, 3, 2, 4),
			want:   lineRange(3, 7),
			misses: 2,
		},
		{
			// An unrelated miss (another page) leaves the live stream
			// alone: its next expected line still advances it.
			name:   "unrelated miss keeps the stream",
			degree: 2,
			loads:  linesN(1, 2, 40+64*3, 3, 4),
			want:   lineRange(3, 6),
			misses: 3,
		},
		{
			// The stream stops at the end of the page: near the end the
			// prefetcher fetches what is left of the page and nothing of
			// the next, and the first line of the next page misses and
			// starts nothing.
			name:   "page end",
			degree: 4,
			loads:  linesN(60, 61, 62, 63, 64),
			want:   linesN(62, 63),
			misses: 3, // 60, 61 and 64
		},
		{
			name:   "page end degree 8",
			degree: 8,
			loads:  linesN(61, 62, 63, 64),
			want:   linesN(63),
			misses: 3, // 61, 62 and 64
		},
		{
			// Two consecutive misses straddling a page boundary (the
			// second is the first line of a page) start no stream.
			name:   "pair across a page boundary",
			degree: 4,
			loads:  linesN(63, 64),
			misses: 2,
		},
		{
			// After the page end, a new pair of misses in the next page
			// starts a new stream there.
			name:   "next page restarts",
			degree: 2,
			loads:  linesN(62, 63, 64, 65, 66),
			want:   linesN(66, 67, 68),
			misses: 4, // 62, 63, 64, 65
		},
		{
			name:   "stride 2 lines",
			degree: 4,
			loads:  linesN(1, 3, 5, 7, 9, 11),
			misses: 6,
		},
		{
			name:   "descending",
			degree: 4,
			loads:  linesN(20, 19, 18, 17, 16, 15),
			misses: 6,
		},
		{
			name:   "same line",
			degree: 4,
			loads:  linesN(7, 7, 7),
			misses: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runStream(t, tc.degree, tc.loads, gap)
			got := r.port.issued
			if !sameLines(got, tc.want) {
				t.Errorf("loads %s with degree %d: prefetched %s, want %s",
					fmtLines(tc.loads), tc.degree, fmtLines(got), fmtLines(tc.want))
			}
			seen := map[mem.LineAddr]bool{}
			for _, l := range got {
				if seen[l] {
					t.Errorf("line %s prefetched twice", fmtLines([]mem.LineAddr{l}))
				}
				seen[l] = true
			}
			for i, l := range got {
				// A prefetch never leaves the page of the load that caused
				// it: checked against the load lines' pages.
				ok := false
				for _, ld := range tc.loads {
					if ld&^pageMask == l&^pageMask && ld < l {
						ok = true
					}
				}
				if !ok {
					t.Errorf("prefetch %d of %s is not ahead of a load in its page", i, fmtLines([]mem.LineAddr{l}))
				}
			}
			s := r.stats
			if s.HWPrefetches != uint64(len(tc.want)) || s.HWPrefetchesDropped != 0 {
				t.Errorf("stats: %d hardware prefetches, %d dropped; want %d, 0", s.HWPrefetches, s.HWPrefetchesDropped, len(tc.want))
			}
			if s.Prefetches != 0 || s.PrefetchesDropped != 0 {
				t.Errorf("stats: %d software prefetches, %d dropped; want none", s.Prefetches, s.PrefetchesDropped)
			}
			if s.LoadMisses != tc.misses {
				t.Errorf("%d demand load misses, want %d", s.LoadMisses, tc.misses)
			}
			if s.Loads != uint64(len(tc.loads)) {
				t.Errorf("%d loads counted, want %d", s.Loads, len(tc.loads))
			}
		})
	}
}

// TestStreamPrefetchTiming: the prefetches a stream starts are issued at
// the time of the load that started it (the second miss, without waiting
// for its data), and the lines they bring make later loads hit: a run of
// back-to-back sequential loads is faster with the prefetcher than
// without, and every line is still fetched once.
func TestStreamPrefetchTiming(t *testing.T) {
	loads := lineRange(1, 16)
	var took [2]sim.Time
	for i, degree := range []int{0, 4} {
		eng := sim.New(1)
		m := newFakeMem(eng, 1, 1)
		p := &pfRecPort{fakePort: m.ports[0]}
		cfg := testConfig(ns)
		cfg.PrefetchDegree = degree
		c := New(eng, 0, cfg, p, nil)
		g := NewGroup(eng, []*Core{c})
		var second sim.Time
		c.Start(func(ac arch.Core) {
			for k, l := range loads {
				if k == 1 {
					second = c.Time()
				}
				ac.Load(arch.Addr(l))
			}
			// Stay alive until the last prefetches are issued and done
			// (the run ends with the program).
			ac.Compute(200)
		})
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		g.Close()
		took[i] = c.Time()
		if degree == 0 {
			if len(p.issued) != 0 {
				t.Fatalf("degree 0 prefetched %s", fmtLines(p.issued))
			}
			continue
		}
		if len(p.issued) < degree {
			t.Fatalf("degree %d: prefetched only %s", degree, fmtLines(p.issued))
		}
		for k := 0; k < degree; k++ {
			if at := p.issAt[k]; at != second {
				t.Errorf("prefetch %d (%s) issued at %v, want %v (the second load's issue)", k, fmtLines(p.issued[k:k+1]), at, second)
			}
		}
		// Every line was fetched once: two demand misses, 14 lines by the
		// prefetcher (3..16) plus the ones it ran ahead (up to 16+4).
		if got, want := p.issued, lineRange(3, 16+degree); !sameLines(got, want) {
			t.Errorf("back-to-back loads: prefetched %s, want %s", fmtLines(got), fmtLines(want))
		}
		if s := c.Stats(); s.HWPrefetches != uint64(14+degree) || s.HWPrefetchesDropped != 0 {
			t.Errorf("stats: %d hardware prefetches, %d dropped; want %d, 0", s.HWPrefetches, s.HWPrefetchesDropped, 14+degree)
		}
	}
	t.Logf("16 sequential loads (+200 ns): %v without the prefetcher, %v with degree 4", took[0], took[1])
	if took[1] >= took[0] {
		t.Errorf("the prefetcher did not speed up a sequential scan: %v with, %v without", took[1], took[0])
	}
}

// TestStreamPrefetchSlots: hardware prefetches share the core's prefetch
// slots with software prefetches and are dropped (and counted) when every
// slot is busy.
func TestStreamPrefetchSlots(t *testing.T) {
	eng := sim.New(1)
	m := newFakeMem(eng, 1, 1)
	m.missLat[0] = 1000 * ns // software prefetches stay in flight throughout
	p := &pfRecPort{fakePort: m.ports[0]}
	cfg := testConfig(ns)
	cfg.PrefetchDegree = 4
	c := New(eng, 0, cfg, p, nil)
	g := NewGroup(eng, []*Core{c})
	defer g.Close()
	// Between the stream's two misses, six of the eight slots are taken
	// by software prefetches of another page (in flight for 1000 ns); the
	// stream's four prefetches find two free.
	c.Start(func(ac arch.Core) {
		ac.Load(arch.Addr(lineN(1)))
		for k := 0; k < numPrefetchSlots-2; k++ {
			ac.Prefetch(arch.Addr(lineN(64*4 + k)))
		}
		ac.Load(arch.Addr(lineN(2)))
	})
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	s := c.Stats()
	if s.Prefetches != numPrefetchSlots-2 || s.PrefetchesDropped != 0 {
		t.Errorf("software prefetches %d, dropped %d; want %d, 0", s.Prefetches, s.PrefetchesDropped, numPrefetchSlots-2)
	}
	if s.HWPrefetches != 4 || s.HWPrefetchesDropped != 2 {
		t.Errorf("hardware prefetches %d, dropped %d; want 4, 2", s.HWPrefetches, s.HWPrefetchesDropped)
	}
	var hw []mem.LineAddr
	for _, l := range p.issued {
		if l&^pageMask == streamBase {
			hw = append(hw, l)
		}
	}
	if want := linesN(3, 4); !sameLines(hw, want) {
		t.Errorf("stream prefetched %s, want %s", fmtLines(hw), fmtLines(want))
	}
}

func TestStreamConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		degree int
		ok     bool
	}{
		{-1, false},
		{-8, false},
		{0, true},
		{1, true},
		{numPrefetchSlots, true},
		{numPrefetchSlots + 1, false},
		{64, false},
	} {
		cfg := testConfig(ns)
		cfg.PrefetchDegree = tc.degree
		err := cfg.Validate()
		switch {
		case tc.ok && err != nil:
			t.Errorf("degree %d: %v", tc.degree, err)
		case !tc.ok && err == nil:
			t.Errorf("degree %d: accepted", tc.degree)
		case !tc.ok && !strings.Contains(err.Error(), "prefetch degree"):
			t.Errorf("degree %d: error %q does not name the prefetch degree", tc.degree, err)
		}
	}
}

// TestStreamSpinLoads: the loads of a polling loop (SpinUntil) are demand
// loads too: a poll of the line after a miss starts a stream, and polling
// the stream's next line advances it.
func TestStreamSpinLoads(t *testing.T) {
	eng := sim.New(1)
	m := newFakeMem(eng, 1, 1)
	p := &pfRecPort{fakePort: m.ports[0]}
	cfg := testConfig(ns)
	cfg.PrefetchDegree = 2
	c := New(eng, 0, cfg, p, nil)
	g := NewGroup(eng, []*Core{c})
	defer g.Close()
	always := func(uint64) bool { return true }
	c.Start(func(ac arch.Core) {
		ac.Load(arch.Addr(lineN(1)))
		ac.SpinUntil(arch.Addr(lineN(2)), always, 0) // misses: starts the stream
		ac.Compute(200)
		ac.SpinUntil(arch.Addr(lineN(3)), always, 0) // hits: advances it
		ac.Compute(200)
	})
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	if want := lineRange(3, 5); !sameLines(p.issued, want) {
		t.Errorf("prefetched %s, want %s", fmtLines(p.issued), fmtLines(want))
	}
	if s := c.Stats(); s.HWPrefetches != 3 || s.Spins != 2 {
		t.Errorf("stats: %d hardware prefetches, %d spins; want 3, 2", s.HWPrefetches, s.Spins)
	}
}
