package cores

import (
	"mksim/arch"
	"mksim/sim"
)

// IPIFabric carries inter-processor interrupts. The sending core calls
// SendIPI when the engine's time equals its own (it has synchronised); the
// fabric later, from an event, calls DeliverIPI on its sink, which hands
// the interrupt to the target core (Core.ReceiveIPI). sim/machine
// implements it over the interconnect with a mem.ClassIPI message;
// FixedFabric is a fixed-latency stand-in for tests.
type IPIFabric interface {
	SendIPI(from, to arch.CoreID, v arch.Vector)
}

// IPISink is where a fabric delivers interrupts. *Group implements it.
type IPISink interface {
	DeliverIPI(to arch.CoreID, v arch.Vector, from arch.CoreID)
}

// FixedFabric delivers every IPI Latency after it was sent.
type FixedFabric struct {
	Engine  *sim.Engine
	Latency sim.Time
	Sink    IPISink
	Sent    uint64
}

// NewFixedFabric returns a fabric with the given latency; set Sink (for
// example to the cores' Group) before running.
func NewFixedFabric(eng *sim.Engine, latency sim.Time) *FixedFabric {
	return &FixedFabric{Engine: eng, Latency: latency}
}

// SendIPI schedules delivery; (from, to, v) travel in the event argument.
func (f *FixedFabric) SendIPI(from, to arch.CoreID, v arch.Vector) {
	f.Sent++
	f.Engine.After(f.Latency, f, uint64(uint32(from))<<32|uint64(uint16(to))<<8|uint64(v))
}

// Handle delivers one IPI.
func (f *FixedFabric) Handle(arg uint64) {
	if f.Sink == nil {
		sim.Failf("cores.FixedFabric", "deliver", "no sink set")
	}
	from := arch.CoreID(int32(uint32(arg >> 32)))
	to := arch.CoreID(uint16(arg >> 8))
	f.Sink.DeliverIPI(to, arch.Vector(arg), from)
}

// Name names the fabric in traces.
func (f *FixedFabric) Name() string { return "cores.FixedFabric" }

// SendIPI sends interrupt v to core to. The core synchronises with the
// engine, hands the IPI to the fabric, then pays the send cost.
func (c *Core) SendIPI(to arch.CoreID, v arch.Vector) {
	if c.now >= c.limit {
		c.slow()
	}
	if c.fabric == nil {
		sim.Failf(c.name, c.state.String(), "SendIPI to %v: no IPI fabric", to)
	}
	c.sync()
	c.fabric.SendIPI(c.id, to, v)
	c.stats.IPIsSent++
	c.stats.Instructions++
	c.limit = 0
	c.spend(sim.Time(c.cfg.IPISendCycles) * c.period)
}

// SetInterruptHandler installs the handler for vector v. It may also be
// called before the core runs, from set-up code.
func (c *Core) SetInterruptHandler(v arch.Vector, h arch.InterruptHandler) {
	c.handlers[v] = h
}

// SetInterrupts is sti/cli; it returns the previous setting. It costs no
// time; a pending interrupt it enables is taken at the next instruction
// boundary.
func (c *Core) SetInterrupts(enabled bool) bool {
	was := c.intrEnabled
	c.intrEnabled = enabled
	if enabled && len(c.pending) > 0 {
		c.limit = 0
	}
	c.stats.Instructions++
	return was
}

// Halt parks the core until an interrupt arrives and runs its handler
// before returning. With an interrupt already pending it does not park:
// with interrupts enabled it takes it; with them disabled it returns at
// once, leaving it pending (the handler runs when they are re-enabled).
func (c *Core) Halt() {
	c.stats.Instructions++
	c.halt(StateHalted)
}

func (c *Core) halt(s State) {
	for {
		if c.aborting {
			panic(abortSignal{})
		}
		if len(c.pending) > 0 {
			if c.intrEnabled {
				c.takeInterrupts()
			}
			return
		}
		if !c.intrEnabled {
			sim.Failf(c.name, c.state.String(), "Halt with interrupts disabled and none pending would never return")
		}
		c.haltStart = c.now
		c.park(s)
		c.stats.HaltedTime += c.now - c.haltStart
	}
}

// ReceiveIPI makes interrupt v from core from pending on this core. Called
// by the fabric (through its sink) from an event, never from a core's
// program. A halted core wakes; a core in Compute or SpinUntil is
// interrupted at once; otherwise the interrupt is taken at the core's next
// instruction boundary, if interrupts are enabled. Pending interrupts are
// queued in arrival order, not coalesced by vector as an APIC would.
func (c *Core) ReceiveIPI(v arch.Vector, from arch.CoreID) {
	c.pending = append(c.pending, pendingIPI{v: v, from: from})
	c.stats.IPIsReceived++
	if !c.intrEnabled {
		return
	}
	c.limit = 0
	if c.woken {
		return
	}
	switch c.state {
	case StateHalted, StateIdle, StateCompute, StateSpin:
		c.wakeNow(rInterrupt)
	}
}

// wakeNow resumes an interruptible wait at the engine's current time.
func (c *Core) wakeNow(reason int) {
	c.woken = true
	c.eng.Cancel(c.timerID)
	if c.spinWatched {
		c.watcher.Unwatch(c.spinLine, &c.watch)
		c.spinWatched = false
	}
	c.reason = reason
	c.timerID = c.eng.Schedule(c.eng.Now(), c, evWake)
}

// takeInterrupts runs pending handlers in arrival order at an instruction
// boundary, each after the trap cost and with interrupts disabled.
func (c *Core) takeInterrupts() {
	for c.intrEnabled && len(c.pending) > 0 {
		p := c.pending[0]
		n := copy(c.pending, c.pending[1:])
		c.pending = c.pending[:n]
		c.intrEnabled = false
		c.stats.Interrupts++
		c.now += sim.Time(c.cfg.TrapCycles) * c.period
		if h := c.handlers[p.v]; h != nil {
			h(c, p.v, p.from)
		} else {
			c.stats.SpuriousInterrupts++
		}
		c.intrEnabled = true
	}
	c.limit = 0
}
