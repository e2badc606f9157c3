package cores

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"mksim/arch"
	"mksim/sim"
	"mksim/sim/mem"
)

// The inline fast path must be exact: the memory operations a run performs,
// their order and their times, must be those of the same run with every
// access its own event. fakeMem's eventMode gives the reference: Hit always
// fails and Issue performs would-be hits at once, completing after the hit
// latency. Cores run on different clocks whose periods are distinct primes,
// and every latency of a core is a multiple of its own period, so two cores
// never act at the same picosecond (within these runs) and the engine's
// tie-breaking between them cannot make the runs differ.

type exactOp struct {
	kind int
	loc  int
	val  uint64
	n    int64
}

const (
	xLoad = iota
	xStore
	xFetchAdd
	xCAS
	xSwap
	xFence
	xCompute
	xPrefetch
	xSyscall
	numX
)

func exactLocs(rng *rand.Rand) []arch.Addr {
	// Six words: some share lines, some have their own.
	lines := []arch.Addr{0x1000, 0x1040, 0x1080, 0x10c0}
	locs := make([]arch.Addr, 6)
	for i := range locs {
		locs[i] = lines[rng.IntN(len(lines))] + arch.Addr(8*rng.IntN(8))
	}
	return locs
}

func exactProgram(rng *rand.Rand, core, n int) []exactOp {
	ops := make([]exactOp, n)
	for i := range ops {
		o := exactOp{kind: rng.IntN(numX), loc: rng.IntN(6), val: uint64(core)<<32 | uint64(i+1)}
		if o.kind == xLoad || o.kind == xStore {
			if rng.IntN(2) == 0 { // loads and stores dominate
				o.kind = rng.IntN(2)
			}
		}
		o.n = int64(rng.IntN(30))
		ops[i] = o
	}
	return ops
}

type exactResult struct {
	trace []string
	vals  [][]uint64
	times []sim.Time
	stats []Stats
	// opTimes[i][k] is core i's clock after its k-th operation
	opTimes [][]sim.Time
	ops     [][]exactOp
	cfgs    []Config
}

var primePeriods = []sim.Time{10007, 10009, 10037, 10039}

func runExact(seed uint64, eventMode bool) exactResult {
	const ncores = 3
	rng := sim.NewRand(seed, "exact")
	eng := sim.New(seed)
	m := newFakeMem(eng, ncores, seed)
	m.eventMode = eventMode
	m.tracing = true
	m.maxOut = 2
	m.evictProb = 0.2
	locs := exactLocs(rng)
	var cores []*Core
	for i := 0; i < ncores; i++ {
		p := primePeriods[i]
		m.unit[i] = p
		m.hitLat[i] = sim.Time(1+rng.IntN(3)) * p
		m.missLat[i] = sim.Time(20+rng.IntN(40)) * p
		m.jitter[i] = sim.Time(rng.IntN(20)) * p
		cfg := testConfig(p)
		cfg.StoreBufferEntries = 1 + rng.IntN(6)
		cfg.DrainCycles = arch.Cycles(1 + rng.IntN(3))
		cfg.StoreCycles = arch.Cycles(1 + rng.IntN(2))
		cfg.LockedCycles = arch.Cycles(rng.IntN(20))
		cfg.CPINum, cfg.CPIDen = int64(1+rng.IntN(5)), int64(1+rng.IntN(3))
		cores = append(cores, New(eng, arch.CoreID(i), cfg, m.ports[i], nil))
	}
	for _, a := range locs {
		for i := 0; i < ncores; i++ {
			if rng.IntN(2) == 0 {
				m.hold(i, mem.Addr(a))
			}
		}
	}
	res := exactResult{vals: make([][]uint64, ncores), times: make([]sim.Time, ncores), stats: make([]Stats, ncores), opTimes: make([][]sim.Time, ncores)}
	for i := 0; i < ncores; i++ {
		ops := exactProgram(rng, i, 60)
		res.ops = append(res.ops, ops)
		res.cfgs = append(res.cfgs, cores[i].Config())
		i := i
		cores[i].Start(func(c arch.Core) {
			c.Compute(3) // leave time 0, where every core starts (CPI >= 1/3)
			for _, o := range ops {
				a := locs[o.loc]
				var v uint64
				switch o.kind {
				case xLoad:
					v = c.Load(a)
				case xStore:
					c.Store(a, o.val)
				case xFetchAdd:
					v = c.FetchAdd(a, 1)
				case xCAS:
					if c.CAS(a, uint64(o.n), o.val) {
						v = 1
					}
				case xSwap:
					v = c.Swap(a, o.val)
				case xFence:
					c.Fence()
				case xCompute:
					c.Compute(o.n)
				case xPrefetch:
					c.Prefetch(a)
				case xSyscall:
					c.Syscall()
				}
				res.vals[i] = append(res.vals[i], v)
				res.opTimes[i] = append(res.opTimes[i], cores[i].Time())
			}
			c.Compute(1) // let a last prefetch issue before the program ends
			res.times[i] = cores[i].Time()
		})
	}
	if err := RunAll(eng, cores); err != nil {
		panic(err)
	}
	res.trace = m.trace
	for i, c := range cores {
		res.stats[i] = c.Stats()
	}
	return res
}

var exactSeeds = flag.Int("exact.seeds", 300, "seeds for TestInlineExecutionIsExact")

func TestInlineExecutionIsExact(t *testing.T) {
	seeds := *exactSeeds
	if testing.Short() {
		seeds = 50
	}
	var inlineEvents, refEvents, ops int
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		a := runExact(seed, false)
		b := runExact(seed, true)
		for _, tm := range a.times {
			if tm >= primePeriods[0]*primePeriods[1] {
				t.Fatalf("seed %d: run reached %v, past the first common multiple of the periods", seed, tm)
			}
		}
		for i := range a.opTimes {
			for k := range a.opTimes[i] {
				if a.opTimes[i][k] != b.opTimes[i][k] {
					t.Fatalf("seed %d: core %d's operation %d ends at %v inline, %v with events", seed, i, k, a.opTimes[i][k], b.opTimes[i][k])
				}
			}
		}
		if fmt.Sprint(a.vals) != fmt.Sprint(b.vals) || fmt.Sprint(a.times) != fmt.Sprint(b.times) {
			t.Fatalf("seed %d: results differ\ninline %v %v\nevents %v %v", seed, a.vals, a.times, b.vals, b.times)
		}
		if len(a.trace) != len(b.trace) {
			t.Fatalf("seed %d: %d vs %d memory operations", seed, len(a.trace), len(b.trace))
		}
		for i := range a.trace {
			if a.trace[i] != b.trace[i] {
				t.Fatalf("seed %d: memory operation %d differs:\ninline %s\nevents %s\ncontext:\n%s", seed, i, a.trace[i], b.trace[i],
					strings.Join(a.trace[max(0, i-5):min(len(a.trace), i+3)], "\n"))
			}
		}
		for i := range a.stats {
			inlineEvents += int(a.stats[i].Resumes)
			refEvents += int(b.stats[i].Resumes)
		}
		ops += len(a.trace)
	}
	t.Logf("%d seeds, %d memory operations; core resumes: inline %d, one event per access %d", seeds, ops, inlineEvents, refEvents)
}
