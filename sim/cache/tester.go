package cache

import (
	"fmt"
	"math/rand/v2"
	"runtime/debug"

	"mksim/sim"
	"mksim/sim/mem"
)

// TesterConfig drives RandomTester.
type TesterConfig struct {
	Seed     uint64         // seeds the requesters' streams (with the engine's seed)
	Ops      int            // total accesses over all requesters
	Cores    []int          // requesting cores; nil: every core
	Lines    []mem.LineAddr // the lines to hammer; nil: TesterLines(s, 8)
	MaxThink sim.Time       // idle time between a requester's accesses, uniform in [0, MaxThink]; 0: 20ns
	Watchdog sim.Time       // an access outstanding this long is a stall; 0: 2ms
}

// TesterResult summarises a run.
type TesterResult struct {
	Ops        int
	Loads      int
	Stores     int
	Atomics    int
	Prefetches int
	Flushes    int
	Hits       int // served by the L1 fast path
	SimTime    sim.Time
}

func (r TesterResult) String() string {
	return fmt.Sprintf("%d ops (%d loads, %d stores, %d atomics, %d prefetches, %d flushes; %d L1 hits) in %v simulated",
		r.Ops, r.Loads, r.Stores, r.Atomics, r.Prefetches, r.Flushes, r.Hits, r.SimTime)
}

// TesterLines picks n lines for the random tester: spread over every
// memory range (so every home orders some of them) and placed so that they
// fall into the same four sets of every cache, forcing replacements,
// writebacks and L3 traffic even with few lines.
func TesterLines(s *System, n int) []mem.LineAddr {
	stride := uint64(mem.LineSize)
	grow := func(l Level) {
		if l.Size > 0 && l.Ways > 0 {
			stride = max(stride, uint64(l.sets())*mem.LineSize)
		}
	}
	for _, p := range s.cfg.Packages {
		if p.L3 != nil {
			grow(*p.L3)
		}
		for _, c := range p.Clusters {
			grow(c.L1)
			grow(c.L2)
		}
	}
	rs := s.homes.Ranges()
	var out []mem.LineAddr
	for k := 0; k < n; k++ {
		r := rs[k%len(rs)]
		i := uint64(k / len(rs))
		off := (i/4)*stride + (i%4)*mem.LineSize
		if off+mem.LineSize > r.Size {
			off = (i * mem.LineSize) % (r.Size &^ (mem.LineSize - 1))
		}
		out = append(out, (r.Base + mem.Addr(off)).Line())
	}
	return out
}

// RandomTester hammers a built system with random loads, stores, atomics,
// prefetches and flushes from many requesters to a handful of lines, and
// checks every value returned:
//
//   - a third of the words are counters, changed only by FetchAdd(+1) and
//     CAS(v, v+1): each increment's old value must be unique (a lost update
//     repeats one) and every read lies between the increments completed
//     before it was issued and those issued before it completed;
//   - the other words have one writer each, which stores 1, 2, 3, ...
//     (tagged with the word): its own loads and swaps must see exactly its
//     last value, and others' loads must lie between the last value stored
//     before they were issued and the last issued before they completed;
//   - no requester ever sees a word go backwards (per-location coherence);
//   - at the end every word is read back through the caches and every line
//     checked with CheckLine.
//
// A watchdog fails the run, dumping every transaction in flight, if an
// access stays outstanding for cfg.Watchdog. Works over any network.
type RandomTester struct {
	s      *System
	cfg    TesterConfig
	words  []tword
	reqs   []*treq
	issued int
	res    TesterResult
	err    error
	wd     watchdog
}

type tword struct {
	addr       mem.Addr
	owner      int // requester index; -1: counter
	incIssued  uint64
	incDone    uint64
	olds       []bool // counters: old values returned by increments
	lastIssued uint64
	lastDone   uint64
}

const tagShift = 40

const tagMask = uint64(0xffffff) << tagShift

func (w *tword) tag(i int) uint64 { return uint64(i+1) << tagShift }

type treq struct {
	t       *RandomTester
	idx     int
	core    int
	port    mem.Port
	rng     *rand.Rand
	a       mem.Access
	w       int // word of the current access
	lo      uint64
	pending bool
	since   sim.Time
	done    bool
	seen    []uint64 // per word: the latest value this requester observed
	owned   []int
}

// NewRandomTester prepares a run over s.
func NewRandomTester(s *System, cfg TesterConfig) *RandomTester {
	if cfg.Cores == nil {
		cfg.Cores = s.Cores()
	}
	if cfg.Lines == nil {
		cfg.Lines = TesterLines(s, 8)
	}
	if cfg.MaxThink == 0 {
		cfg.MaxThink = 20 * sim.Nanosecond
	}
	if cfg.Watchdog == 0 {
		cfg.Watchdog = 2 * sim.Millisecond
	}
	t := &RandomTester{s: s, cfg: cfg}
	nreq := len(cfg.Cores)
	for li, l := range cfg.Lines {
		for w := 0; w < mem.WordsPerLine; w++ {
			i := li*mem.WordsPerLine + w
			owner := -1
			if i%3 != 0 {
				owner = (i / 3 * 2) % nreq
				if i%3 == 2 {
					owner = (owner + 1) % nreq
				}
			}
			t.words = append(t.words, tword{addr: l.Addr(w), owner: owner})
		}
	}
	for i, core := range cfg.Cores {
		r := &treq{t: t, idx: i, core: core, port: s.Port(core),
			rng:  rand.New(rand.NewPCG(cfg.Seed^s.e.Seed(), uint64(i)*0x9e3779b97f4a7c15+1)),
			seen: make([]uint64, len(t.words))}
		for wi := range t.words {
			if t.words[wi].owner == i {
				r.owned = append(r.owned, wi)
			}
		}
		t.reqs = append(t.reqs, r)
	}
	t.wd.t = t
	return t
}

// Run executes the configured number of accesses and the final checks. A
// broken invariant or protocol panic inside the simulation is returned as
// an error carrying the seed and a dump of everything in flight.
func (t *RandomTester) Run() (res TesterResult, err error) {
	e := t.s.e
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("random tester seed %d (engine seed %d): panic at %v: %v\n%s\n%s", t.cfg.Seed, e.Seed(), e.Now(), p, t.s.DumpInFlight(), debug.Stack())
		}
	}()
	start := e.Now()
	for _, r := range t.reqs {
		e.After(sim.Time(r.rng.Int64N(int64(t.cfg.MaxThink)+1)), r, 0)
	}
	e.After(t.cfg.Watchdog, &t.wd, 0)
	e.RunWhile(func() bool { return t.err == nil && !t.finished() })
	if t.err != nil {
		return t.res, t.err
	}
	t.res.SimTime = e.Now() - start
	e.RunUntil(e.Now() + 10*t.cfg.Watchdog) // drain prefetches and writebacks
	if err := t.final(); err != nil {
		return t.res, fmt.Errorf("random tester seed %d (engine seed %d): %w", t.cfg.Seed, e.Seed(), err)
	}
	return t.res, nil
}

func (t *RandomTester) finished() bool {
	for _, r := range t.reqs {
		if !r.done || r.pending {
			return false
		}
	}
	return true
}

func (t *RandomTester) fail(format string, args ...any) {
	if t.err == nil {
		t.err = fmt.Errorf("random tester seed %d (engine seed %d) at %v: %s", t.cfg.Seed, t.s.e.Seed(), t.s.e.Now(), fmt.Sprintf(format, args...))
	}
	t.s.e.Stop()
}

// final reads every word back and checks every line.
func (t *RandomTester) final() error {
	for i := range t.words {
		w := &t.words[i]
		a := mem.Access{Op: mem.OpLoad, Addr: w.addr}
		v, _ := t.s.Access(t.cfg.Cores[i%len(t.cfg.Cores)], &a)
		want := w.incDone
		if w.owner >= 0 {
			want = w.lastDone
		}
		if v != want {
			return fmt.Errorf("word %v: final value %#x, want %#x\n%s", w.addr, v, want, t.s.DumpLine(w.addr.Line()))
		}
	}
	for _, l := range t.cfg.Lines {
		if err := t.s.CheckLine(l); err != nil {
			return fmt.Errorf("line %v: %w\n%s", l, err, t.s.DumpLine(l))
		}
	}
	return nil
}

type watchdog struct{ t *RandomTester }

// Handle checks that no access has been outstanding too long.
func (w *watchdog) Handle(uint64) {
	t := w.t
	if t.err != nil || t.finished() {
		return
	}
	now := t.s.e.Now()
	for _, r := range t.reqs {
		if r.pending && now-r.since >= t.cfg.Watchdog {
			t.fail("watchdog: core %d's %v outstanding since %v\n%s", r.core, &r.a, r.since, t.s.DumpInFlight())
			return
		}
	}
	t.s.e.After(t.cfg.Watchdog, w, 0)
}

func (w *watchdog) Name() string { return "random-tester.watchdog" }

func (r *treq) Name() string { return fmt.Sprintf("random-tester.core%d", r.core) }

// Handle issues the requester's next access.
func (r *treq) Handle(uint64) {
	t := r.t
	if t.err != nil {
		return
	}
	if t.issued >= t.cfg.Ops {
		r.done = true
		return
	}
	t.issued++
	t.res.Ops++
	r.pick()
	res, lat, ok := r.port.Hit(&r.a)
	if ok {
		t.res.Hits++
		r.check(res)
		r.next(lat)
		return
	}
	r.pending, r.since = true, t.s.e.Now()
	r.port.Issue(&r.a, r)
}

// Complete is called by the L1 when a missing access is done.
func (r *treq) Complete(res uint64) {
	if !r.pending {
		r.t.fail("core %d: completion with nothing outstanding", r.core)
		return
	}
	r.pending = false
	r.check(res)
	r.next(0)
}

func (r *treq) next(lat sim.Time) {
	if r.t.err != nil {
		return
	}
	r.t.s.e.After(lat+sim.Time(r.rng.Int64N(int64(r.t.cfg.MaxThink)+1)), r, 0)
}

func (r *treq) counterWord() int {
	for {
		w := r.rng.IntN(len(r.t.words))
		if r.t.words[w].owner < 0 {
			return w
		}
	}
}

// pick chooses the next access and records what it may return.
func (r *treq) pick() {
	t := r.t
	r.a = mem.Access{ID: mem.OpID(r.core + 1)}
	x := r.rng.IntN(100)
	switch {
	case x < 40:
		r.w = r.rng.IntN(len(t.words))
		r.a.Op = mem.OpLoad
		t.res.Loads++
	case x < 62 && len(r.owned) > 0:
		r.w = r.owned[r.rng.IntN(len(r.owned))]
		w := &t.words[r.w]
		r.a.Op = mem.OpStore
		if r.rng.IntN(5) == 0 {
			r.a.Op = mem.OpSwap
		}
		w.lastIssued = (w.lastDone&^tagMask + 1) | w.tag(r.w)
		r.a.Value = w.lastIssued
		t.res.Stores++
	case x < 90:
		r.w = r.counterWord()
		w := &t.words[r.w]
		if r.rng.IntN(2) == 0 {
			r.a.Op, r.a.Value = mem.OpFetchAdd, 1
		} else {
			r.a.Op, r.a.Old, r.a.Value = mem.OpCAS, r.seen[r.w], r.seen[r.w]+1
		}
		w.incIssued++
		t.res.Atomics++
	case x < 95:
		r.w = -1
		r.a.Op = mem.OpPrefetch
		if r.rng.IntN(2) == 0 {
			r.a.Op = mem.OpPrefetchW
		}
		t.res.Prefetches++
	default:
		r.w = -1
		r.a.Op = mem.OpFlush
		t.res.Flushes++
	}
	if r.w < 0 {
		r.a.Addr = t.cfg.Lines[r.rng.IntN(len(t.cfg.Lines))].Addr(0)
		return
	}
	w := &t.words[r.w]
	r.a.Addr = w.addr
	if w.owner < 0 {
		r.lo = w.incDone
	} else {
		r.lo = w.lastDone
	}
}

// check validates the value an access returned.
func (r *treq) check(res uint64) {
	if r.w < 0 {
		return
	}
	t := r.t
	w := &t.words[r.w]
	what := fmt.Sprintf("core %d %v (word owner %d)", r.core, &r.a, w.owner)
	if w.owner < 0 {
		hi := w.incIssued
		if res < r.lo || res > hi {
			t.fail("%s returned %d: outside [%d, %d] (stale read or lost update)", what, res, r.lo, hi)
			return
		}
		if res < r.seen[r.w] {
			t.fail("%s returned %d after this core saw %d", what, res, r.seen[r.w])
			return
		}
		r.seen[r.w] = res
		if r.a.Op == mem.OpFetchAdd || (r.a.Op == mem.OpCAS && res == r.a.Old) {
			for uint64(len(w.olds)) <= res {
				w.olds = append(w.olds, false)
			}
			if w.olds[res] {
				t.fail("%s: two increments both read %d (lost update)", what, res)
				return
			}
			w.olds[res] = true
			w.incDone++
			r.seen[r.w] = res + 1
		}
		return
	}
	switch r.a.Op {
	case mem.OpStore, mem.OpSwap:
		if r.a.Op == mem.OpSwap && res != w.lastDone {
			t.fail("%s returned %#x, want the previous value %#x", what, res, w.lastDone)
			return
		}
		w.lastDone = r.a.Value
		r.seen[r.w] = r.a.Value
		return
	}
	if res != 0 && res&tagMask != w.tag(r.w) {
		t.fail("%s returned %#x, which belongs to another word", what, res)
		return
	}
	if w.owner == r.idx && res != w.lastDone {
		t.fail("%s returned %#x, but this core last stored %#x", what, res, w.lastDone)
		return
	}
	hi := w.lastIssued
	if hi < w.lastDone {
		hi = w.lastDone
	}
	if res < r.lo || res > hi {
		t.fail("%s returned %#x: outside [%#x, %#x] (stale read)", what, res, r.lo, hi)
		return
	}
	if res < r.seen[r.w] {
		t.fail("%s returned %#x after this core saw %#x", what, res, r.seen[r.w])
		return
	}
	r.seen[r.w] = res
}
