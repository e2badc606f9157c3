package archtest

import (
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime/debug"
	"sort"
	"strings"

	"mksim/arch"
)

// Costs are the cycles the fake charges for the operations whose cost comes
// from the core type on the real simulator. Zero fields default to 1.
type Costs struct {
	Syscall            arch.Cycles
	SwitchAddressSpace arch.Cycles
	InvalidateTLBEntry arch.Cycles
	Interrupt          arch.Cycles // charged to the target when a handler runs
}

// Config describes a fake machine. The zero value is one core, one package.
type Config struct {
	Cores           int // default 1
	CoresPerPackage int // default Cores (a single package); one memory node per package
	// SharedLevel is what SharedCacheLevel reports for two distinct cores
	// of one package (default 3; -1 for "none").
	SharedLevel int
	// Regions overrides the memory map. Default: one region per node of
	// RegionSize bytes (default 256 MiB), node i based at i<<32.
	Regions    []arch.Region
	RegionSize uint64
	Seed       uint64
	Costs      Costs
	Type       string // core type name (default "archtest")
	TSCHz      int64  // default 2e9
	// NonCoherent marks every core non-coherent in Info (memory is still
	// one flat sequentially consistent store).
	NonCoherent bool
	// MaxSteps bounds the number of scheduling steps Run takes (default
	// 50,000,000); exceeding it is reported as a livelock.
	MaxSteps int64
}

// ErrDeadlock is wrapped by Run's error when no core can ever run again.
var ErrDeadlock = errors.New("archtest: deadlock")

// ErrStepLimit is wrapped by Run's error when MaxSteps is exceeded.
var ErrStepLimit = errors.New("archtest: step limit exceeded (livelock?)")

// Machine is the fake machine. Build it with New; Start programs; Run once.
type Machine struct {
	cfg     Config
	cores   []*core
	regions []arch.Region
	mem     map[uint64]*page
	rng     *rand.Rand
	steps   int64
	ran     bool
	cur     *core // core whose coroutine is running (nil: scheduler)
	dropped int   // IPIs sent to cores that cannot take them
}

var _ arch.Machine = (*Machine)(nil)

// New builds a fake machine from cfg.
func New(cfg Config) *Machine {
	if cfg.Cores <= 0 {
		cfg.Cores = 1
	}
	if cfg.CoresPerPackage <= 0 || cfg.CoresPerPackage > cfg.Cores {
		cfg.CoresPerPackage = cfg.Cores
	}
	if cfg.SharedLevel == 0 {
		cfg.SharedLevel = 3
	}
	if cfg.RegionSize == 0 {
		cfg.RegionSize = 256 << 20
	}
	if cfg.Type == "" {
		cfg.Type = "archtest"
	}
	if cfg.TSCHz == 0 {
		cfg.TSCHz = 2_000_000_000
	}
	if cfg.MaxSteps == 0 {
		cfg.MaxSteps = 50_000_000
	}
	one := func(c *arch.Cycles) {
		if *c == 0 {
			*c = 1
		}
	}
	one(&cfg.Costs.Syscall)
	one(&cfg.Costs.SwitchAddressSpace)
	one(&cfg.Costs.InvalidateTLBEntry)
	one(&cfg.Costs.Interrupt)
	m := &Machine{
		cfg: cfg,
		mem: map[uint64]*page{},
		rng: rand.New(rand.NewPCG(cfg.Seed, 0x61726368_74657374)),
	}
	npkg := (cfg.Cores + cfg.CoresPerPackage - 1) / cfg.CoresPerPackage
	if cfg.Regions != nil {
		m.regions = append([]arch.Region(nil), cfg.Regions...)
		sort.Slice(m.regions, func(i, j int) bool { return m.regions[i].Base < m.regions[j].Base })
	} else {
		for n := 0; n < npkg; n++ {
			m.regions = append(m.regions, arch.Region{Node: arch.NodeID(n), Base: arch.Addr(uint64(n) << 32), Size: cfg.RegionSize})
		}
	}
	for i := 0; i < cfg.Cores; i++ {
		pkg := i / cfg.CoresPerPackage
		m.cores = append(m.cores, &core{
			m:  m,
			id: arch.CoreID(i),
			info: arch.CoreInfo{
				ID:       arch.CoreID(i),
				Package:  arch.PackageID(pkg),
				Node:     arch.NodeID(pkg),
				Type:     cfg.Type,
				Coherent: !cfg.NonCoherent,
				TSCHz:    cfg.TSCHz,
			},
			irqOn: true,
		})
	}
	return m
}

// NumCores implements arch.Machine.
func (m *Machine) NumCores() int { return len(m.cores) }

// Info implements arch.Machine.
func (m *Machine) Info(id arch.CoreID) arch.CoreInfo { return m.core(id).info }

// SharedCacheLevel implements arch.Machine: 1 for a core with itself, the
// configured level for two cores of one package, 0 otherwise.
func (m *Machine) SharedCacheLevel(a, b arch.CoreID) int {
	ca, cb := m.core(a), m.core(b)
	switch {
	case a == b:
		return 1
	case ca.info.Package == cb.info.Package && m.cfg.SharedLevel > 0:
		return m.cfg.SharedLevel
	}
	return 0
}

// Regions implements arch.Machine.
func (m *Machine) Regions() []arch.Region { return append([]arch.Region(nil), m.regions...) }

// Start implements arch.Machine.
func (m *Machine) Start(id arch.CoreID, p arch.Program) {
	if m.ran {
		panic("archtest: Start after Run")
	}
	m.core(id).prog = p
}

// Allocator returns a frame allocator over the machine's regions.
func (m *Machine) Allocator() *arch.FrameAllocator { return arch.NewFrameAllocator(m.regions) }

// Peek reads a word of memory from outside the machine (set-up, checks).
func (m *Machine) Peek(a arch.Addr) uint64 { m.check(a); return m.read(a) }

// Poke writes a word of memory from outside the machine. It wakes no one.
func (m *Machine) Poke(a arch.Addr, v uint64) { m.check(a); m.write(a, v) }

// Now returns core id's logical clock.
func (m *Machine) Now(id arch.CoreID) arch.Cycles { return m.core(id).now }

// Stats returns core id's operation counts.
func (m *Machine) Stats(id arch.CoreID) Stats { return m.core(id).stats }

// Steps returns how many scheduling steps Run has taken.
func (m *Machine) Steps() int64 { return m.steps }

// DroppedIPIs counts IPIs sent to cores with no program, or whose program
// had returned, or with no handler for the vector.
func (m *Machine) DroppedIPIs() int { return m.dropped }

// Stats counts what one core did.
type Stats struct {
	Loads, Stores, Atomics, Fences, Prefetches, Flushes int64
	Spins, Halts                                        int64
	Syscalls, AddressSpaceSwitches, TLBInvalidations    int64
	IPIsSent, IPIsTaken                                 int64
	Computed                                            int64 // instructions charged by Compute
}

func (m *Machine) core(id arch.CoreID) *core {
	if int(id) < 0 || int(id) >= len(m.cores) {
		panic(fmt.Sprintf("archtest: no core %d (machine has %d)", int(id), len(m.cores)))
	}
	return m.cores[id]
}

// errAbort unwinds a coroutine that Run is shutting down.
var errAbort = errors.New("archtest: aborted")

type panicked struct {
	val   any
	stack []byte
}

// Run implements arch.Machine. It may be called once.
func (m *Machine) Run() (err error) {
	if m.ran {
		return errors.New("archtest: Run called twice")
	}
	m.ran = true
	var live []*core
	for _, c := range m.cores {
		if c.prog == nil {
			c.state = stDone
			continue
		}
		c := c
		c.state = stRunnable
		c.next, c.stop = iter.Pull(func(yield func(struct{}) bool) {
			c.yield = yield
			defer func() {
				if r := recover(); r != nil {
					if r == errAbort {
						return
					}
					c.panic = &panicked{val: r, stack: debug.Stack()}
				}
			}()
			c.prog(c)
		})
		live = append(live, c)
	}
	defer func() {
		for _, c := range live {
			c.stop()
		}
	}()
	var cand []*core
	for {
		cand = cand[:0]
		done := true
		for _, c := range live {
			if c.state != stDone {
				done = false
			}
			if c.runnable() {
				cand = append(cand, c)
			}
		}
		if done {
			return nil
		}
		var pick *core
		if len(cand) > 0 {
			pick = cand[m.rng.IntN(len(cand))]
		} else {
			pick = m.timeout(live)
		}
		if pick == nil {
			return m.deadlock(live)
		}
		m.steps++
		if m.steps > m.cfg.MaxSteps {
			return fmt.Errorf("%w after %d steps:\n%s", ErrStepLimit, m.steps, m.describe(live))
		}
		if pick.state == stSpinning && pick.wake == wakeNone {
			// Deadline reached on a core with no other wake-up.
			pick.wake = wakeTimeout
		}
		pick.state = stRunnable
		m.cur = pick
		_, ok := pick.next()
		m.cur = nil
		if pick.panic != nil {
			return fmt.Errorf("archtest: %v panicked: %v\n%s", pick.id, pick.panic.val, pick.panic.stack)
		}
		if !ok {
			pick.state = stDone
		}
		// A timed spinner may now be due (its deadline passed by every
		// runnable core): the loop's next pass considers it.
		if due := m.due(live); due != nil {
			due.wake = wakeTimeout
			due.state = stWoken
		}
	}
}

// due returns the timed spinner with the earliest deadline that every
// runnable core's clock has reached, if any and if some core is runnable
// (when none is, timeout picks it instead).
func (m *Machine) due(live []*core) *core {
	minClock := arch.Cycles(-1)
	any := false
	for _, c := range live {
		if c.runnable() {
			if !any || c.now < minClock {
				minClock = c.now
			}
			any = true
		}
	}
	if !any {
		return nil
	}
	var best *core
	for _, c := range live {
		if c.state == stSpinning && c.deadline > 0 && c.deadline <= minClock {
			if best == nil || c.deadline < best.deadline {
				best = c
			}
		}
	}
	return best
}

// timeout returns the timed spinner with the earliest deadline (used when
// no core is runnable).
func (m *Machine) timeout(live []*core) *core {
	var best *core
	for _, c := range live {
		if c.state == stSpinning && c.deadline > 0 {
			if best == nil || c.deadline < best.deadline {
				best = c
			}
		}
	}
	if best != nil {
		best.wake = wakeTimeout
	}
	return best
}

func (m *Machine) deadlock(live []*core) error {
	return fmt.Errorf("%w: no core can run:\n%s", ErrDeadlock, m.describe(live))
}

func (m *Machine) describe(live []*core) string {
	var b strings.Builder
	for _, c := range live {
		fmt.Fprintf(&b, "  %v t=%d: %s", c.id, c.now, c.state)
		switch c.state {
		case stSpinning:
			fmt.Fprintf(&b, " on %#x (value %#x)", uint64(c.spinAddr), m.read(c.spinAddr))
			if c.deadline > 0 {
				fmt.Fprintf(&b, " until t=%d", c.deadline)
			}
		case stHalted:
			fmt.Fprintf(&b, " (interrupts %s)", onOff(c.irqOn))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// wakeSpinners makes the cores spinning on word a runnable; from is the
// storing core (nil from outside).
func (m *Machine) wakeSpinners(a arch.Addr, from *core) {
	for _, c := range m.cores {
		if c.state == stSpinning && c.spinAddr == a && c != from {
			c.state = stWoken
			if c.wake == wakeNone {
				c.wake = wakeStore
			}
			if from != nil && from.now > c.now {
				c.now = from.now
			}
		}
	}
}
