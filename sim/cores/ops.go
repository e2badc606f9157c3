package cores

import (
	"mksim/arch"
	"mksim/sim"
	"mksim/sim/mem"
)

// The arch.Core instruction set. Every method starts at an instruction
// boundary: if the local clock has reached the next pending event (c.limit)
// or an interrupt is pending, slow() settles that first. After that the
// instruction runs inline at c.now, which no other event precedes.

var _ arch.Core = (*Core)(nil)

func (c *Core) misaligned(op string, a arch.Addr) {
	sim.Failf(c.name, c.state.String(), "%s of %#x: not 8-byte aligned", op, uint64(a))
}

// Load returns the word at a: from the youngest buffered store to a if
// there is one, from the L1 on a hit, or from the memory system.
func (c *Core) Load(a arch.Addr) uint64 {
	if c.now >= c.limit {
		c.slow()
	}
	ma := mem.Addr(a)
	if ma&7 != 0 {
		c.misaligned("Load", a)
	}
	c.stats.Loads++
	c.stats.Instructions++
	if c.sbLen != 0 {
		if v, ok := c.forward(ma); ok {
			c.stats.Forwarded++
			c.now += c.fwdT
			return v
		}
	}
	c.acc.Op = mem.OpLoad
	c.acc.Addr = ma
	c.acc.ID = c.tag
	v, lat, ok := c.port.Hit(&c.acc)
	if c.pf.degree != 0 {
		c.observe(ma.Line(), !ok)
	}
	if !ok {
		c.stats.LoadMisses++
		return c.missWait()
	}
	if lat < c.period {
		lat = c.period
	}
	c.now += lat
	return v
}

// missWait completes c.acc, which just missed in the L1 at c.now, through
// the memory system: it waits for the engine to reach c.now (re-trying the
// L1, whose state may have changed meanwhile), for a free port, then for
// the completion. It returns the access's result; the clock is at the
// completion time.
func (c *Core) missWait() uint64 {
	for {
		if c.eng.Now() < c.now {
			c.sync()
		} else if c.issued >= c.maxIssue {
			c.park(StatePort)
		} else {
			break
		}
		if v, lat, ok := c.port.Hit(&c.acc); ok {
			if lat < c.period {
				lat = c.period
			}
			c.now += lat
			return v
		}
	}
	c.issued++
	c.port.Issue(&c.acc, &c.missC)
	c.park(StateMiss)
	return c.result
}

// Store enters a store into the store buffer, stalling while it is full.
func (c *Core) Store(a arch.Addr, v uint64) {
	if c.now >= c.limit {
		c.slow()
	}
	ma := mem.Addr(a)
	if ma&7 != 0 {
		c.misaligned("Store", a)
	}
	for c.sbLen == len(c.sb) {
		c.stats.SBFullStalls++
		c.waitSB(len(c.sb) - 1)
		if c.now >= c.limit {
			c.slow()
		}
	}
	c.push(ma, v)
	c.now += c.storeT
	c.stats.Stores++
	c.stats.Instructions++
}

// drainForLocked empties the store buffer before a serialising
// instruction and leaves the core at a boundary where it may act inline.
func (c *Core) drainForLocked() {
	if c.now >= c.limit {
		c.slow()
	}
	for c.sbLen > 0 {
		c.waitSB(0)
		if c.now >= c.limit {
			c.slow() // may run handlers, which may store again
		}
	}
}

func (c *Core) rmw(op mem.Op, a arch.Addr, v, old uint64) uint64 {
	ma := mem.Addr(a)
	if ma&7 != 0 {
		c.misaligned(op.String(), a)
	}
	c.drainForLocked()
	c.stats.Atomics++
	c.stats.Instructions++
	c.acc.Op = op
	c.acc.Addr = ma
	c.acc.Value = v
	c.acc.Old = old
	c.acc.ID = c.tag
	r, lat, ok := c.port.Hit(&c.acc)
	if ok {
		if lat < c.period {
			lat = c.period
		}
		c.now += lat
	} else {
		c.stats.AtomicMisses++
		r = c.missWait()
	}
	c.now += c.lockedT
	return r
}

// CAS is lock cmpxchg.
func (c *Core) CAS(a arch.Addr, old, new uint64) bool {
	return c.rmw(mem.OpCAS, a, new, old) == old
}

// FetchAdd is lock xadd.
func (c *Core) FetchAdd(a arch.Addr, delta uint64) uint64 {
	return c.rmw(mem.OpFetchAdd, a, delta, 0)
}

// Swap is xchg (implicitly locked).
func (c *Core) Swap(a arch.Addr, v uint64) uint64 {
	return c.rmw(mem.OpSwap, a, v, 0)
}

// Fence is mfence: it waits for the store buffer to drain.
func (c *Core) Fence() {
	c.drainForLocked()
	c.stats.Fences++
	c.stats.Instructions++
	c.now += c.fenceT
}

// Prefetch starts bringing a's line into the L1 and returns after one
// cycle. It is dropped if all prefetch slots are busy.
func (c *Core) Prefetch(a arch.Addr) {
	if c.now >= c.limit {
		c.slow()
	}
	c.stats.Prefetches++
	c.stats.Instructions++
	if !c.startPrefetch(mem.Addr(a)) {
		c.stats.PrefetchesDropped++
	}
	c.now += c.period
}

// startPrefetch starts bringing a's line into the L1 at c.now, unless it is
// there already. It reports false if every prefetch slot is busy.
func (c *Core) startPrefetch(a mem.Addr) bool {
	var s *prefetchSlot
	for i := range c.prefetch {
		if !c.prefetch[i].busy {
			s = &c.prefetch[i]
			break
		}
	}
	if s == nil {
		return false
	}
	s.acc = mem.Access{Op: mem.OpPrefetch, Addr: a &^ 7, ID: c.tag}
	if _, _, ok := c.port.Hit(&s.acc); !ok {
		s.busy = true
		s.core = c
		c.eng.Schedule(c.now, s, 0)
		c.limit = 0
	}
	return true
}

// Handle issues a prefetch at the time the core executed it.
func (p *prefetchSlot) Handle(uint64) {
	if _, _, ok := p.core.port.Hit(&p.acc); ok {
		p.busy = false
		return
	}
	p.core.port.Issue(&p.acc, p)
}

func (c *Core) lineOp(op mem.Op, a arch.Addr) {
	c.drainForLocked()
	c.stats.Instructions++
	c.acc.Op = op
	c.acc.Addr = mem.Addr(a) &^ 7
	c.acc.Value, c.acc.Old = 0, 0
	c.acc.ID = c.tag
	if _, lat, ok := c.port.Hit(&c.acc); ok {
		c.now += lat
	} else {
		c.stats.OtherMisses++
		c.missWait()
	}
	c.now += c.flushT
}

// Flush is clflush: write the line back if dirty and drop it from this
// core's caches. It drains the store buffer first.
func (c *Core) Flush(a arch.Addr) {
	c.stats.Flushes++
	c.lineOp(mem.OpFlush, a)
}

// Invalidate drops the line from this core's caches without writeback. It
// drains the store buffer first.
func (c *Core) Invalidate(a arch.Addr) {
	c.stats.Invalidates++
	c.lineOp(mem.OpInvalidate, a)
}

// cycles converts n instructions to cycles at the core's CPI, carrying the
// fraction over.
func (c *Core) cycles(n int64) sim.Time {
	if c.cpiDen == 1 {
		return sim.Time(n*c.cpiNum) * c.period
	}
	t := n*c.cpiNum + c.cpiRem
	c.cpiRem = t % c.cpiDen
	return sim.Time(t/c.cpiDen) * c.period
}

// Compute charges n instructions at the core's CPI. An interrupt arriving
// meanwhile is taken at its arrival time (if enabled).
func (c *Core) Compute(n int64) {
	if n <= 0 {
		return
	}
	if c.now >= c.limit {
		c.slow()
	}
	c.stats.Instructions += uint64(n)
	c.spend(c.cycles(n))
}

// Now reads the TSC (one instruction).
func (c *Core) Now() arch.Cycles {
	if c.now >= c.limit {
		c.slow()
	}
	t := arch.Cycles(c.now / c.period)
	c.stats.Instructions++
	c.spend(c.cycles(1))
	return t
}

// Syscall charges a kernel entry and exit.
func (c *Core) Syscall() {
	if c.now >= c.limit {
		c.slow()
	}
	c.stats.Syscalls++
	c.stats.Instructions++
	c.spend(sim.Time(c.cfg.SyscallCycles) * c.period)
}

// SwitchAddressSpace charges a CR3 load with its TLB flush. It is
// serialising: the store buffer drains first.
func (c *Core) SwitchAddressSpace() {
	c.drainForLocked()
	c.stats.AddrSpaceSwitches++
	c.stats.Instructions++
	c.spend(sim.Time(c.cfg.AddrSpaceSwitchCycles) * c.period)
}

// InvalidateTLBEntry charges invlpg. It is serialising.
func (c *Core) InvalidateTLBEntry(page arch.Addr) {
	c.drainForLocked()
	c.stats.TLBInvalidations++
	c.stats.Instructions++
	c.spend(sim.Time(c.cfg.InvlpgCycles) * c.period)
}

// Tag sets the OpID carried by this core's memory requests from now on;
// stores keep the tag they were issued with while they sit in the buffer.
func (c *Core) Tag(op uint32) uint32 {
	prev := c.tag
	c.tag = mem.OpID(op)
	return uint32(prev)
}
