package archtest

import (
	"fmt"
	"math/bits"

	"mksim/arch"
)

type coreState uint8

const (
	stRunnable coreState = iota
	stWoken              // was blocked; runnable again
	stSpinning
	stHalted
	stDone
)

func (s coreState) String() string {
	switch s {
	case stRunnable:
		return "runnable"
	case stWoken:
		return "woken"
	case stSpinning:
		return "spinning"
	case stHalted:
		return "halted"
	case stDone:
		return "done"
	}
	return fmt.Sprintf("coreState(%d)", uint8(s))
}

type wakeReason uint8

const (
	wakeNone wakeReason = iota
	wakeStore
	wakeIRQ
	wakeTimeout
)

type core struct {
	m     *Machine
	id    arch.CoreID
	info  arch.CoreInfo
	prog  arch.Program
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool
	panic *panicked

	state    coreState
	wake     wakeReason
	now      arch.Cycles
	spinAddr arch.Addr
	deadline arch.Cycles // of the current timed spin; 0: none

	irqOn    bool
	pending  [4]uint64 // one bit per vector
	pendFrom [256]arch.CoreID
	handlers [256]arch.InterruptHandler

	tag   uint32
	stats Stats
}

var _ arch.Core = (*core)(nil)

func (c *core) hasPending() bool {
	return c.pending[0]|c.pending[1]|c.pending[2]|c.pending[3] != 0
}

func (c *core) runnable() bool {
	switch c.state {
	case stRunnable, stWoken:
		return true
	case stSpinning:
		return c.irqOn && c.hasPending()
	case stHalted:
		return c.hasPending() // enabled: deliver; disabled: Halt returns
	}
	return false
}

// switchPoint hands control to the scheduler; when this core is picked
// again it takes any deliverable interrupts and returns.
func (c *core) switchPoint() {
	c.mine()
	if !c.yield(struct{}{}) {
		panic(errAbort)
	}
	c.deliver()
}

// block parks the core in state st until something makes it runnable.
func (c *core) block(st coreState) {
	c.state = st
	c.wake = wakeNone
	if !c.yield(struct{}{}) {
		panic(errAbort)
	}
}

func (c *core) mine() {
	if c.m.cur != c {
		panic(fmt.Sprintf("archtest: %v's Core used from outside its own program", c.id))
	}
}

// deliver runs the handlers of pending vectors while interrupts are on.
func (c *core) deliver() {
	for c.irqOn && c.hasPending() {
		v := c.lowestPending()
		c.pending[v/64] &^= 1 << (v % 64)
		h := c.handlers[v]
		if h == nil {
			c.m.dropped++
			continue
		}
		c.now += c.m.cfg.Costs.Interrupt
		c.stats.IPIsTaken++
		c.irqOn = false
		h(c, arch.Vector(v), c.pendFrom[v])
		c.irqOn = true
	}
}

func (c *core) lowestPending() int {
	for i, w := range c.pending {
		if w != 0 {
			return i*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

func (c *core) ID() arch.CoreID { return c.id }

func (c *core) Load(a arch.Addr) uint64 {
	c.m.check(a)
	c.switchPoint()
	c.now++
	c.stats.Loads++
	return c.m.read(a)
}

func (c *core) Store(a arch.Addr, v uint64) {
	c.m.check(a)
	c.switchPoint()
	c.now++
	c.stats.Stores++
	c.m.write(a, v)
	c.m.wakeSpinners(a, c)
}

func (c *core) CAS(a arch.Addr, old, new uint64) bool {
	c.m.check(a)
	c.switchPoint()
	c.now++
	c.stats.Atomics++
	if c.m.read(a) != old {
		return false
	}
	c.m.write(a, new)
	c.m.wakeSpinners(a, c)
	return true
}

func (c *core) FetchAdd(a arch.Addr, delta uint64) uint64 {
	c.m.check(a)
	c.switchPoint()
	c.now++
	c.stats.Atomics++
	v := c.m.read(a)
	c.m.write(a, v+delta)
	c.m.wakeSpinners(a, c)
	return v
}

func (c *core) Swap(a arch.Addr, v uint64) uint64 {
	c.m.check(a)
	c.switchPoint()
	c.now++
	c.stats.Atomics++
	old := c.m.read(a)
	c.m.write(a, v)
	c.m.wakeSpinners(a, c)
	return old
}

func (c *core) Fence() { c.mine(); c.now++; c.stats.Fences++ }

func (c *core) Prefetch(a arch.Addr) { c.m.check(a); c.mine(); c.now++; c.stats.Prefetches++ }

func (c *core) Flush(a arch.Addr) { c.m.check(a); c.mine(); c.now++; c.stats.Flushes++ }

func (c *core) Invalidate(a arch.Addr) { c.m.check(a); c.mine(); c.now++; c.stats.Flushes++ }

func (c *core) Compute(n int64) {
	c.mine()
	if n > 0 {
		c.now += arch.Cycles(n)
		c.stats.Computed += n
	}
}

func (c *core) Now() arch.Cycles { return c.now }

func (c *core) SpinUntil(a arch.Addr, cond func(uint64) bool, maxCycles arch.Cycles) (uint64, bool) {
	c.m.check(a)
	c.stats.Spins++
	var deadline arch.Cycles
	if maxCycles > 0 {
		deadline = c.now + maxCycles
	}
	c.switchPoint()
	for {
		c.now++
		c.stats.Loads++
		v := c.m.read(a)
		if cond(v) {
			return v, true
		}
		if deadline > 0 && c.now >= deadline {
			return v, false
		}
		c.spinAddr, c.deadline = a, deadline
		c.block(stSpinning)
		if c.wake == wakeTimeout && c.now < deadline {
			c.now = deadline
		}
		c.deadline = 0
		// Interrupts are taken while spinning; the loop then re-reads the
		// word and re-evaluates cond, as the naive load loop would.
		c.deliver()
	}
}

func (c *core) SendIPI(to arch.CoreID, v arch.Vector) {
	c.switchPoint()
	c.now++
	c.stats.IPIsSent++
	t := c.m.core(to)
	if t.state == stDone || t.prog == nil {
		c.m.dropped++
		return
	}
	t.pending[v/64] |= 1 << (v % 64)
	t.pendFrom[v] = c.id
	if (t.state == stSpinning && t.irqOn) || t.state == stHalted {
		t.state = stWoken
		t.wake = wakeIRQ
		if c.now > t.now {
			t.now = c.now
		}
	}
}

func (c *core) SetInterruptHandler(v arch.Vector, h arch.InterruptHandler) {
	c.mine()
	c.handlers[v] = h
}

func (c *core) SetInterrupts(enabled bool) bool {
	c.mine()
	was := c.irqOn
	c.irqOn = enabled
	if enabled && !was {
		c.deliver()
	}
	return was
}

func (c *core) Halt() {
	c.mine()
	c.stats.Halts++
	taken := c.stats.IPIsTaken
	c.switchPoint() // delivers what is pending if enabled
	for {
		if c.stats.IPIsTaken != taken {
			return // a handler ran: "the handler runs before Halt returns"
		}
		if !c.irqOn {
			if c.hasPending() {
				return // woken by a pending, masked interrupt (not delivered)
			}
			panic(fmt.Sprintf("archtest: %v halted with interrupts disabled and none pending", c.id))
		}
		c.block(stHalted)
		c.deliver()
	}
}

func (c *core) Syscall() {
	c.mine()
	c.now += c.m.cfg.Costs.Syscall
	c.stats.Syscalls++
}

func (c *core) SwitchAddressSpace() {
	c.mine()
	c.now += c.m.cfg.Costs.SwitchAddressSpace
	c.stats.AddressSpaceSwitches++
}

func (c *core) InvalidateTLBEntry(page arch.Addr) {
	c.mine()
	c.now += c.m.cfg.Costs.InvalidateTLBEntry
	c.stats.TLBInvalidations++
}

func (c *core) Tag(op uint32) uint32 {
	prev := c.tag
	c.tag = op
	return prev
}
