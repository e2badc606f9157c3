package cores

import (
	"flag"
	"fmt"
	"sort"
	"strings"
	"testing"

	"mksim/arch"
	"mksim/sim"
	"mksim/sim/mem"
)

// Litmus tests: small multi-threaded programs whose possible outcomes
// characterise a memory model. Each test runs on the simulator over many
// seeds, with random timing (latencies, jitter, which lines start cached
// where, store-buffer sizes, delays between instructions, evictions), and
// every outcome must be one the x86-TSO abstract machine allows. The
// allowed set is not typed in: an exhaustive search of the operational
// x86-TSO model (Owens, Sarkar, Sewell: per-thread FIFO store buffers over
// one memory) computes it, and the forbidden outcomes each test is known
// for are checked against that set first.

var litmusSeeds = flag.Int("litmus.seeds", 400, "seeds per litmus test")

type lkind int

const (
	lSt lkind = iota
	lLd
	lFence
	lXchg
	lFAdd
)

type lins struct {
	k   lkind
	loc int
	val uint64
	reg int
}

func st(loc int, v uint64) lins          { return lins{k: lSt, loc: loc, val: v} }
func ld(loc, reg int) lins               { return lins{k: lLd, loc: loc, reg: reg} }
func mfence() lins                       { return lins{k: lFence} }
func xchg(loc int, v uint64, r int) lins { return lins{k: lXchg, loc: loc, val: v, reg: r} }
func fadd(loc int, v uint64, r int) lins { return lins{k: lFAdd, loc: loc, val: v, reg: r} }

type litmus struct {
	name      string
	threads   [][]lins
	nregs     int
	nlocs     int
	finals    []int    // locations whose final value is part of the outcome
	forbidden []string // outcomes x86-TSO forbids (checked against the model)
	relaxed   []string // outcomes the simulator must produce at least once
}

var locNames = "xyzw"

func outcomeString(regs []uint64, finals []int, mem []uint64) string {
	var b strings.Builder
	for i, r := range regs {
		fmt.Fprintf(&b, "r%d=%d ", i, r)
	}
	for _, l := range finals {
		fmt.Fprintf(&b, "%c=%d ", locNames[l], mem[l])
	}
	return strings.TrimSpace(b.String())
}

// ---- the reference: exhaustive x86-TSO ------------------------------------

type tsoStore struct {
	loc int
	val uint64
}

type tsoState struct {
	pcs  []int
	sbs  [][]tsoStore
	mem  []uint64
	regs []uint64
}

func (s *tsoState) key() string { return fmt.Sprint(s.pcs, s.sbs, s.mem, s.regs) }

func (s *tsoState) clone() *tsoState {
	n := &tsoState{pcs: append([]int(nil), s.pcs...), mem: append([]uint64(nil), s.mem...), regs: append([]uint64(nil), s.regs...)}
	for _, b := range s.sbs {
		n.sbs = append(n.sbs, append([]tsoStore(nil), b...))
	}
	return n
}

// tsoOutcomes enumerates every final outcome the x86-TSO machine allows.
func tsoOutcomes(lt *litmus) map[string]bool {
	out := map[string]bool{}
	seen := map[string]bool{}
	init := &tsoState{pcs: make([]int, len(lt.threads)), sbs: make([][]tsoStore, len(lt.threads)), mem: make([]uint64, lt.nlocs), regs: make([]uint64, lt.nregs)}
	var walk func(s *tsoState)
	walk = func(s *tsoState) {
		k := s.key()
		if seen[k] {
			return
		}
		seen[k] = true
		done := true
		for t, prog := range lt.threads {
			// Drain the oldest buffered store.
			if len(s.sbs[t]) > 0 {
				done = false
				n := s.clone()
				e := n.sbs[t][0]
				n.sbs[t] = n.sbs[t][1:]
				n.mem[e.loc] = e.val
				walk(n)
			}
			if s.pcs[t] == len(prog) {
				continue
			}
			done = false
			in := prog[s.pcs[t]]
			empty := len(s.sbs[t]) == 0
			n := s.clone()
			n.pcs[t]++
			switch in.k {
			case lSt:
				n.sbs[t] = append(n.sbs[t], tsoStore{in.loc, in.val})
			case lLd:
				v := n.mem[in.loc]
				for _, e := range n.sbs[t] {
					if e.loc == in.loc {
						v = e.val // youngest wins: later entries overwrite
					}
				}
				n.regs[in.reg] = v
			case lFence:
				if !empty {
					continue
				}
			case lXchg, lFAdd:
				if !empty {
					continue
				}
				old := n.mem[in.loc]
				n.regs[in.reg] = old
				if in.k == lXchg {
					n.mem[in.loc] = in.val
				} else {
					n.mem[in.loc] = old + in.val
				}
			}
			walk(n)
		}
		if done {
			out[outcomeString(s.regs, lt.finals, s.mem)] = true
		}
	}
	walk(init)
	return out
}

// ---- the tests ------------------------------------------------------------

const x, y, z, w = 0, 1, 2, 3

var litmusTests = []litmus{
	{name: "SB", nregs: 2, nlocs: 2,
		threads:   [][]lins{{st(x, 1), ld(y, 0)}, {st(y, 1), ld(x, 1)}},
		forbidden: nil, relaxed: []string{"r0=0 r1=0"}},
	{name: "SB+mfences", nregs: 2, nlocs: 2,
		threads:   [][]lins{{st(x, 1), mfence(), ld(y, 0)}, {st(y, 1), mfence(), ld(x, 1)}},
		forbidden: []string{"r0=0 r1=0"}},
	{name: "SB+xchgs", nregs: 4, nlocs: 2,
		threads:   [][]lins{{xchg(x, 1, 2), ld(y, 0)}, {xchg(y, 1, 3), ld(x, 1)}},
		forbidden: []string{"r0=0 r1=0 r2=0 r3=0"}},
	{name: "SB4", nregs: 4, nlocs: 4, // a ring of four store-buffering threads
		threads:   [][]lins{{st(x, 1), ld(y, 0)}, {st(y, 1), ld(z, 1)}, {st(z, 1), ld(w, 2)}, {st(w, 1), ld(x, 3)}},
		forbidden: nil, relaxed: []string{"r0=0 r1=0 r2=0 r3=0"}},
	{name: "MP", nregs: 2, nlocs: 2,
		threads:   [][]lins{{st(x, 1), st(y, 1)}, {ld(y, 0), ld(x, 1)}},
		forbidden: []string{"r0=1 r1=0"}},
	{name: "LB", nregs: 2, nlocs: 2,
		threads:   [][]lins{{ld(x, 0), st(y, 1)}, {ld(y, 1), st(x, 1)}},
		forbidden: []string{"r0=1 r1=1"}},
	{name: "IRIW", nregs: 4, nlocs: 2,
		threads:   [][]lins{{st(x, 1)}, {st(y, 1)}, {ld(x, 0), ld(y, 1)}, {ld(y, 2), ld(x, 3)}},
		forbidden: []string{"r0=1 r1=0 r2=1 r3=0"}},
	{name: "2+2W", nregs: 0, nlocs: 2, finals: []int{x, y},
		threads:   [][]lins{{st(x, 1), st(y, 2)}, {st(y, 1), st(x, 2)}},
		forbidden: []string{"x=1 y=1"}},
	{name: "n6", nregs: 2, nlocs: 2, finals: []int{x}, // allowed: own store forwarded early
		threads: [][]lins{{st(x, 1), ld(x, 0), ld(y, 1)}, {st(y, 2), st(x, 2)}},
		relaxed: []string{"r0=1 r1=0 x=1"}},
	{name: "R", nregs: 1, nlocs: 2, finals: []int{y},
		threads: [][]lins{{st(x, 1), st(y, 1)}, {st(y, 2), ld(x, 0)}},
		relaxed: []string{"r0=0 y=2"}},
	{name: "R+mfence", nregs: 1, nlocs: 2, finals: []int{y},
		threads:   [][]lins{{st(x, 1), st(y, 1)}, {st(y, 2), mfence(), ld(x, 0)}},
		forbidden: []string{"r0=0 y=2"}},
	{name: "S", nregs: 1, nlocs: 2, finals: []int{x},
		threads:   [][]lins{{st(x, 2), st(y, 1)}, {ld(y, 0), st(x, 1)}},
		forbidden: []string{"r0=1 x=2"}},
	{name: "WRC", nregs: 3, nlocs: 2,
		threads:   [][]lins{{st(x, 1)}, {ld(x, 0), st(y, 1)}, {ld(y, 1), ld(x, 2)}},
		forbidden: []string{"r0=1 r1=1 r2=0"}},
	{name: "CoRR", nregs: 2, nlocs: 1,
		threads:   [][]lins{{st(x, 1)}, {ld(x, 0), ld(x, 1)}},
		forbidden: []string{"r0=1 r1=0"}},
	{name: "CoWR", nregs: 1, nlocs: 1, finals: []int{x},
		threads:   [][]lins{{st(x, 1), ld(x, 0)}, {st(x, 2)}},
		forbidden: []string{"r0=2 x=1"}},
	{name: "FAdd-count", nregs: 4, nlocs: 1, finals: []int{x},
		threads:   [][]lins{{fadd(x, 1, 0), fadd(x, 1, 1)}, {fadd(x, 1, 2), fadd(x, 1, 3)}},
		forbidden: []string{"r0=0 r1=1 r2=0 r3=1 x=4"}},
	{name: "MP+xchg", nregs: 3, nlocs: 2, // xchg as a release-store
		threads:   [][]lins{{st(x, 1), xchg(y, 1, 2)}, {ld(y, 0), ld(x, 1)}},
		forbidden: []string{"r0=1 r1=0 r2=0"}},
}

// litmusRun runs one test on the simulator with seed-derived timing and
// returns the outcome.
func litmusRun(lt *litmus, seed uint64) string {
	n := len(lt.threads)
	rng := sim.NewRand(seed, "litmus/"+lt.name)
	eng := sim.New(seed)
	m := newFakeMem(eng, n, seed)
	m.maxOut = 1 + rng.IntN(2)
	m.evictProb = []float64{0, 0, 0.1, 0.5}[rng.IntN(4)]
	// Locations: own lines, or words of one shared line.
	locs := make([]arch.Addr, lt.nlocs)
	sameLine := rng.IntN(4) == 0
	for i := range locs {
		if sameLine {
			locs[i] = 0x1000 + arch.Addr(8*i)
		} else {
			locs[i] = 0x1000 + arch.Addr(64*i*(1+rng.IntN(3)))
		}
	}
	// One seed in five runs over FlatPort: no caches, every access a hit.
	var flat *FlatPort
	if rng.IntN(5) == 0 {
		flat = NewFlatPort(sim.Time(rng.IntN(3)) * sim.Nanosecond)
	}
	var cores []*Core
	for i := 0; i < n; i++ {
		period := sim.Time(300 + rng.IntN(5)*100) // 1.4 to 3.3 GHz
		m.hitLat[i] = sim.Time(1+rng.IntN(4)) * period
		m.missLat[i] = sim.Time(10+rng.IntN(200)) * sim.Nanosecond / 10
		m.jitter[i] = sim.Time(rng.IntN(40)) * sim.Nanosecond
		cfg := testConfig(period)
		cfg.StoreBufferEntries = 1 + rng.IntN(8)
		cfg.DrainCycles = arch.Cycles(1 + rng.IntN(4))
		cfg.LockedCycles = arch.Cycles(rng.IntN(30))
		var port mem.Port = m.ports[i]
		if flat != nil {
			port = flat
		}
		cores = append(cores, New(eng, arch.CoreID(i), cfg, port, nil))
	}
	for _, a := range locs {
		for i := 0; i < n; i++ {
			if rng.IntN(3) != 0 {
				m.hold(i, mem.Addr(a))
			}
		}
	}
	regs := make([]uint64, lt.nregs)
	for i, prog := range lt.threads {
		prog := prog
		start := int64(rng.IntN(60))
		delays := make([]int64, len(prog))
		for k := range delays {
			if rng.IntN(3) == 0 {
				delays[k] = int64(rng.IntN(40))
			}
		}
		cores[i].Start(func(c arch.Core) {
			c.Compute(start)
			for k, in := range prog {
				c.Compute(delays[k])
				a := locs[in.loc]
				switch in.k {
				case lSt:
					c.Store(a, in.val)
				case lLd:
					regs[in.reg] = c.Load(a)
				case lFence:
					c.Fence()
				case lXchg:
					regs[in.reg] = c.Swap(a, in.val)
				case lFAdd:
					regs[in.reg] = c.FetchAdd(a, in.val)
				}
			}
		})
	}
	if err := RunAll(eng, cores); err != nil {
		panic(fmt.Sprintf("litmus %s seed %d: %v", lt.name, seed, err))
	}
	final := make([]uint64, lt.nlocs)
	for i, a := range locs {
		if flat != nil {
			final[i] = flat.Mem.ReadWord(mem.Addr(a))
		} else {
			final[i] = m.word(mem.Addr(a))
		}
	}
	return outcomeString(regs, lt.finals, final)
}

func TestLitmusX86TSO(t *testing.T) {
	seeds := *litmusSeeds
	if testing.Short() {
		seeds = 100
	}
	for i := range litmusTests {
		lt := &litmusTests[i]
		t.Run(lt.name, func(t *testing.T) {
			allowed := tsoOutcomes(lt)
			for _, f := range lt.forbidden {
				if allowed[f] {
					t.Fatalf("reference model allows %q, which x86-TSO forbids", f)
				}
			}
			for _, r := range lt.relaxed {
				if !allowed[r] {
					t.Fatalf("reference model forbids %q, which x86-TSO allows", r)
				}
			}
			count := map[string]int{}
			firstSeed := map[string]uint64{}
			for seed := uint64(1); seed <= uint64(seeds); seed++ {
				o := litmusRun(lt, seed)
				if !allowed[o] {
					t.Fatalf("seed %d: outcome %q is forbidden by x86-TSO (allowed: %v)", seed, o, keys(allowed))
				}
				if count[o] == 0 {
					firstSeed[o] = seed
				}
				count[o]++
			}
			for _, r := range lt.relaxed {
				if count[r] == 0 {
					t.Errorf("relaxed outcome %q never appeared in %d seeds", r, seeds)
				}
			}
			var lines []string
			for _, o := range keys(count) {
				lines = append(lines, fmt.Sprintf("%-24s %5d (first seed %d)", o, count[o], firstSeed[o]))
			}
			t.Logf("%d seeds, %d of %d allowed outcomes seen:\n%s", seeds, len(count), len(allowed), strings.Join(lines, "\n"))
		})
	}
}

func keys[V any](m map[string]V) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}
