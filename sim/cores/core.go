package cores

import (
	"fmt"
	"iter"

	"mksim/arch"
	"mksim/sim"
	"mksim/sim/mem"
)

// State is what a core is doing, as the engine sees it between events.
type State uint8

const (
	StateNew     State = iota // no coroutine yet
	StateRunning              // executing in its coroutine
	StateReady                // waiting for simulated time to reach its local clock
	StateCompute              // inside a Compute or kernel-entry charge; interruptible
	StateMiss                 // waiting for the memory system to complete an access
	StatePort                 // waiting for its L1 port (a drain miss holds it)
	StateDrain                // waiting for the store buffer to drain (fence, locked op, full buffer)
	StateSpin                 // inside SpinUntil, waiting for the polled line to change
	StateHalted               // halted, waiting for an interrupt
	StateIdle                 // program returned (or none given); halted, taking interrupts
	numStates
)

var stateNames = [...]string{"new", "running", "ready", "compute", "miss", "port", "drain", "spin", "halted", "idle"}

func (s State) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// wake reasons, recorded before a parked core is resumed.
const (
	rTimer     = iota // its timer fired (local time reached, compute done, spin timeout or re-poll)
	rInterrupt        // an interrupt arrived during an interruptible wait
	rChanged          // the polled line changed
	rEvent            // a completion, a drain or a free port
)

// Event kinds, the arg of Core.Handle.
const (
	evWake      = iota // resume after c.timerID fired
	evDrain            // the drainer's next attempt is due
	evMissDone         // the core's blocking access completed
	evDrainDone        // the drainer's missing store completed
)

// sbEntry is one buffered store.
type sbEntry struct {
	addr mem.Addr
	val  uint64
	at   sim.Time // when it entered the buffer
	tag  mem.OpID
}

// drainer states.
const (
	dIdle     = iota // buffer empty
	dArmed           // head may drain at drainAt; the running core does it inline
	dEvent           // an evDrain event is pending at drainAt
	dMiss            // the head's store is outstanding at the port
	dPortWait        // the head missed and waits for a free port
)

type pendingIPI struct {
	v    arch.Vector
	from arch.CoreID
}

// missDone and drainDone are the core's two mem.Completions; they are
// fields of Core so handing them to a port allocates nothing.
type missDone struct{ c *Core }
type drainDone struct{ c *Core }
type watchHook struct{ c *Core }

// prefetchSlot carries one in-flight prefetch; prefetches do not block the
// core and do not count against the port's outstanding limit.
type prefetchSlot struct {
	acc  mem.Access
	busy bool
	core *Core
}

func (p *prefetchSlot) Complete(uint64) { p.busy = false }

const numPrefetchSlots = 8

// Core is one simulated hardware thread. It implements arch.Core for the
// program running on it, and sim.Handler for its own events.
type Core struct {
	id      arch.CoreID
	name    string
	cfg     Config
	eng     *sim.Engine
	port    mem.Port
	watcher Watcher
	fabric  IPIFabric
	group   *Group

	period sim.Time
	// now is the core's local clock. While the core runs it may be ahead of
	// the engine, but never at or past limit unless it is the engine's time.
	now   sim.Time
	limit sim.Time

	// costs in picoseconds
	storeT, fwdT, drainT, lockedT, fenceT, flushT, spinT sim.Time
	cpiNum, cpiDen, cpiRem                               int64

	acc      mem.Access
	tag      mem.OpID
	issued   int // accesses outstanding at the port (prefetches excluded)
	maxIssue int
	result   uint64
	missC    missDone

	// store buffer (ring)
	sb        []sbEntry
	sbHead    int
	sbLen     int
	dstate    uint8
	drainAt   sim.Time
	drainFree sim.Time // earliest time the next drain may start
	drainID   sim.EventID
	dacc      mem.Access
	drainC    drainDone
	sbTarget  int // the core, parked in StateDrain, waits for sbLen <= sbTarget

	prefetch [numPrefetchSlots]prefetchSlot
	pf       stream // the hardware stream prefetcher (stream.go)

	// coroutine
	prog     arch.Program
	next     func() (struct{}, bool)
	stop     func()
	yield    func(struct{}) bool
	state    State
	reason   int
	timerID  sim.EventID
	woken    bool // an interruptible wait has been decided; ignore further triggers
	aborting bool
	live     bool // a started program has not returned yet

	// spin wait
	spinLine    mem.LineAddr
	spinBase    sim.Time
	spinIter    sim.Time
	spinTmo     sim.Time
	spinWatched bool
	watch       watchHook

	// interrupts
	intrEnabled bool
	pending     []pendingIPI
	handlers    [256]arch.InterruptHandler

	haltStart sim.Time
	started   sim.Time
	everRun   bool
	stats     Stats
}

// New makes a core with the given ID and type, reaching memory through
// port and sending interrupts through fabric (which may be nil if the core
// never sends any). If port implements Watcher, SpinUntil uses it.
// If port implements PortLimits, its MaxOutstanding is honoured; otherwise
// one access at a time is outstanding (a drain miss and a load miss
// serialise). New panics on an invalid config; call Config.Validate first
// to get an error instead.
func New(eng *sim.Engine, id arch.CoreID, cfg Config, port mem.Port, fabric IPIFabric) *Core {
	if err := cfg.Validate(); err != nil {
		sim.Failf(fmt.Sprintf("cores.%v", id), "new", "%v", err)
	}
	cfg = cfg.withDefaults()
	c := &Core{
		id:       id,
		name:     fmt.Sprintf("cores.%v", id),
		cfg:      cfg,
		eng:      eng,
		port:     port,
		fabric:   fabric,
		period:   cfg.Clock.Period,
		maxIssue: 1,
		sb:       make([]sbEntry, cfg.StoreBufferEntries),
		state:    StateNew,
		cpiNum:   cfg.CPINum,
		cpiDen:   cfg.CPIDen,
		limit:    0,
	}
	p := c.period
	c.storeT = sim.Time(cfg.StoreCycles) * p
	c.fwdT = sim.Time(cfg.ForwardCycles) * p
	c.drainT = sim.Time(cfg.DrainCycles) * p
	c.lockedT = sim.Time(cfg.LockedCycles) * p
	c.fenceT = sim.Time(cfg.FenceCycles) * p
	c.flushT = sim.Time(cfg.FlushCycles) * p
	c.spinT = sim.Time(cfg.SpinLoopCycles) * p
	c.pf.degree = mem.LineAddr(cfg.PrefetchDegree)
	c.missC.c = c
	c.drainC.c = c
	c.watch.c = c
	if w, ok := port.(Watcher); ok {
		c.watcher = w
	}
	if l, ok := port.(PortLimits); ok && l.MaxOutstanding() > 1 {
		c.maxIssue = l.MaxOutstanding()
	}
	return c
}

// PortLimits is optionally implemented by a mem.Port that accepts more than
// one outstanding Issue (the core's blocking access and its store buffer's
// drain can then miss at the same time).
type PortLimits interface {
	MaxOutstanding() int
}

// SetWatcher installs the line watcher SpinUntil uses, for a memory system
// whose port does not implement Watcher itself. nil restores the fallback.
func (c *Core) SetWatcher(w Watcher) { c.watcher = w }

// SetFabric sets the IPI fabric (for wiring orders where the fabric is
// built after the cores).
func (c *Core) SetFabric(f IPIFabric) { c.fabric = f }

// Name is "cores.coreN", used in panics and traces.
func (c *Core) Name() string { return c.name }

// Config is the core's configuration with defaults filled in.
func (c *Core) Config() Config { return c.cfg }

// State is what the core is doing now.
func (c *Core) State() State { return c.state }

// Time is the core's local clock. Between events it is where the core's
// last instruction ended (for a waiting core: where it started waiting).
func (c *Core) Time() sim.Time { return c.now }

// Start sets the program the core runs at the next Group.Run. It must be
// called between runs, not from a program.
func (c *Core) Start(p arch.Program) {
	if c.state == StateRunning {
		sim.Failf(c.name, c.state.String(), "Start called from a running program")
	}
	c.prog = p
}

// ---- coroutine plumbing ---------------------------------------------------

// abortSignal unwinds a coroutine that is being stopped.
type abortSignal struct{}

// launch creates the core's coroutine: its program (if any) followed by the
// idle loop, which halts with interrupts enabled forever.
func (c *Core) launch() {
	c.next, c.stop = iter.Pull(c.body)
	c.state = StateReady
	t := c.eng.Now()
	if c.now > t {
		t = c.now
	}
	c.reason = rTimer
	c.timerID = c.eng.Schedule(t, c, evWake)
}

func (c *Core) body(yield func(struct{}) bool) {
	c.yield = yield
	c.state = StateRunning
	defer c.unwind()
	if c.now < c.eng.Now() {
		c.now = c.eng.Now()
	}
	if !c.everRun {
		c.everRun = true
		c.started = c.now
	}
	c.limit = 0
	if p := c.prog; p != nil {
		c.prog = nil
		c.live = true
		p(c)
		c.waitSB(0)
		c.live = false
		if c.group != nil {
			c.group.programDone(c)
		}
	}
	for {
		c.intrEnabled = true
		c.halt(StateIdle)
	}
}

func (c *Core) unwind() {
	if c.aborting {
		if r := recover(); r != nil {
			if _, ok := r.(abortSignal); !ok {
				panic(r)
			}
		}
	}
}

// terminate stops the coroutine, unwinding the program, and cancels the
// core's events. The core keeps its store buffer and clock.
func (c *Core) terminate() {
	if c.stop == nil {
		return
	}
	c.aborting = true
	c.stop()
	c.aborting = false
	c.next, c.stop, c.yield = nil, nil, nil
	c.eng.Cancel(c.timerID)
	c.timerID = 0
	if c.spinWatched {
		c.watcher.Unwatch(c.spinLine, &c.watch)
		c.spinWatched = false
	}
	if c.live {
		c.live = false
		if c.group != nil {
			c.group.programDone(c)
		}
	}
	c.state = StateNew
}

// park suspends the coroutine in state s until an event resumes it. On
// return the local clock is at least the engine's time.
func (c *Core) park(s State) {
	if c.dstate == dArmed {
		c.drainID = c.eng.Schedule(c.drainAt, c, evDrain)
		c.dstate = dEvent
	}
	c.state = s
	c.woken = false
	if !c.yield(struct{}{}) {
		panic(abortSignal{})
	}
	c.state = StateRunning
	if t := c.eng.Now(); t > c.now {
		c.now = t
	}
	if c.dstate == dEvent {
		// Take the drainer back inline; it runs at drainAt >= now(engine).
		c.eng.Cancel(c.drainID)
		c.drainID = 0
		c.dstate = dArmed
	}
	c.refreshLimit()
}

// resume switches into the coroutine from an event; it returns when the
// core parks again.
func (c *Core) resume(reason int) {
	if c.next == nil {
		return
	}
	c.reason = reason
	c.stats.Resumes++
	c.next()
}

// sleepUntil parks until the engine reaches t (a timer of reason rTimer).
func (c *Core) sleepUntil(t sim.Time, s State) {
	c.reason = rTimer
	c.timerID = c.eng.Schedule(t, c, evWake)
	c.park(s)
}

// Handle runs the core's events on the engine's goroutine.
func (c *Core) Handle(arg uint64) {
	switch arg {
	case evWake:
		c.timerID = 0
		c.resume(c.reason)
	case evDrain:
		c.drainID = 0
		c.drainEvent()
	case evMissDone:
		c.issued--
		c.portFreed()
		if c.state == StateMiss {
			c.resume(rEvent)
		}
	case evDrainDone:
		c.afterDrain()
	default:
		sim.Failf(c.name, c.state.String(), "unknown event %d", arg)
	}
}

// Complete is called by the port when the core's blocking access is done.
func (m *missDone) Complete(result uint64) {
	c := m.c
	c.result = result
	c.eng.Schedule(c.eng.Now(), c, evMissDone)
}

// refreshLimit recomputes how far the core may run inline.
func (c *Core) refreshLimit() {
	lim := c.eng.NextTime()
	if c.dstate == dArmed && c.drainAt < lim {
		lim = c.drainAt
	}
	if c.intrEnabled && len(c.pending) > 0 {
		lim = 0
	}
	c.limit = lim
}

// slow is the instruction-boundary work the fast path skips: background
// drains that are due, pending interrupts, and yielding when the local
// clock has reached the next event.
func (c *Core) slow() {
	for {
		if c.aborting {
			panic(abortSignal{})
		}
		c.catchUpDrains()
		if c.intrEnabled && len(c.pending) > 0 {
			c.takeInterrupts()
			continue
		}
		c.refreshLimit()
		if c.now < c.limit {
			return
		}
		if c.now == c.eng.Now() {
			// The core is the engine's current event: it runs first among
			// events at this time. Force the next boundary back here.
			c.limit = c.now
			return
		}
		c.sleepUntil(c.now, StateReady)
	}
}

// sync parks until the engine's time equals the core's, so the core can
// issue requests that other components timestamp with engine time.
func (c *Core) sync() {
	for c.eng.Now() < c.now {
		c.sleepUntil(c.now, StateReady)
	}
}

// spend charges d of interruptible busy time (Compute and kernel-entry
// costs): an interrupt arriving during it is taken at its arrival time and
// the rest of the time is charged after the handler.
func (c *Core) spend(d sim.Time) {
	c.now += d
	if c.now >= c.limit {
		c.spendSlow()
	}
}

func (c *Core) spendSlow() {
	for {
		c.catchUpDrains()
		c.refreshLimit()
		if c.now < c.limit || c.now == c.eng.Now() {
			return
		}
		end := c.now
		c.sleepUntil(end, StateCompute)
		if c.reason == rInterrupt {
			t := c.eng.Now()
			rest := end - t
			c.now = t
			c.takeInterrupts()
			c.now += rest
		}
	}
}

// ---- accessors for reports ---------------------------------------------

// ID is the core's number.
func (c *Core) ID() arch.CoreID { return c.id }

// Describe renders the core's state for deadlock reports.
func (c *Core) Describe() string {
	s := fmt.Sprintf("%v %v at %v", c.id, c.state, c.now)
	switch c.state {
	case StateSpin:
		how := "re-polling"
		if c.spinWatched {
			how = "watching"
		}
		s += fmt.Sprintf(" on line %v (%s)", c.spinLine, how)
	case StateMiss, StatePort:
		s += fmt.Sprintf(" on %v", &c.acc)
	case StateHalted, StateIdle:
		s += fmt.Sprintf(" (interrupts %s, %d pending)", onOff(c.intrEnabled), len(c.pending))
	}
	if c.sbLen > 0 {
		s += fmt.Sprintf(", %d stores buffered", c.sbLen)
	}
	return s
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
