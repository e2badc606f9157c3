package cores

import (
	"mksim/sim"
	"mksim/sim/mem"
)

// The store buffer is x86-TSO's: a FIFO of (address, value) drained in
// order into the L1, one store at a time, each of which may miss. Loads look
// in it first (store-to-load forwarding); fences, locked operations and
// anything serialising wait for it to empty.
//
// The drainer runs inline while the core runs (a drain due at time t is
// performed when the core's clock passes t, provided no other event comes
// first: the same exactness argument as for L1 hits) and from evDrain
// events while the core is parked.

// push appends a store; the caller has made room.
func (c *Core) push(a mem.Addr, v uint64) {
	i := c.sbHead + c.sbLen
	if i >= len(c.sb) {
		i -= len(c.sb)
	}
	c.sb[i] = sbEntry{addr: a, val: v, at: c.now, tag: c.tag}
	c.sbLen++
	if c.dstate == dIdle {
		t := c.now + c.drainT
		if t < c.drainFree {
			t = c.drainFree
		}
		c.drainAt = t
		c.dstate = dArmed
		if t < c.limit {
			c.limit = t
		}
	}
}

// forward returns the youngest buffered store to a, if any.
func (c *Core) forward(a mem.Addr) (uint64, bool) {
	n := len(c.sb)
	for k := c.sbLen - 1; k >= 0; k-- {
		i := c.sbHead + k
		if i >= n {
			i -= n
		}
		if c.sb[i].addr == a {
			return c.sb[i].val, true
		}
	}
	return 0, false
}

// pop removes the head after it was performed at time t, and arms the
// drainer for the next entry.
func (c *Core) pop(t sim.Time) {
	c.sbHead++
	if c.sbHead == len(c.sb) {
		c.sbHead = 0
	}
	c.sbLen--
	c.drainFree = t + c.drainT
	if c.sbLen == 0 {
		c.dstate = dIdle
		return
	}
	next := c.sb[c.sbHead].at + c.drainT
	if next < c.drainFree {
		next = c.drainFree
	}
	c.drainAt = next
	c.dstate = dArmed
}

func (c *Core) loadHead() {
	e := &c.sb[c.sbHead]
	c.dacc.Op = mem.OpStore
	c.dacc.Addr = e.addr
	c.dacc.Value = e.val
	c.dacc.Old = 0
	c.dacc.ID = e.tag
}

// catchUpDrains performs, inline, the drains due at or before the core's
// clock that come before every other event.
func (c *Core) catchUpDrains() {
	for c.dstate == dArmed && c.drainAt <= c.now {
		if c.drainAt >= c.eng.NextTime() && c.drainAt != c.eng.Now() {
			return
		}
		c.drainInline()
	}
}

// drainInline attempts the head store at drainAt from the running core.
// Precondition: no event comes before drainAt (or drainAt is now).
func (c *Core) drainInline() {
	c.loadHead()
	if _, _, ok := c.port.Hit(&c.dacc); ok {
		c.stats.StoresDrained++
		c.pop(c.drainAt)
		return
	}
	if c.drainAt == c.eng.Now() && c.issued < c.maxIssue {
		c.issueDrain()
		return
	}
	// The miss must be issued at drainAt on the engine's clock.
	c.drainID = c.eng.Schedule(c.drainAt, c, evDrain)
	c.dstate = dEvent
	c.limit = 0
}

func (c *Core) issueDrain() {
	c.issued++
	c.dstate = dMiss
	c.stats.StoreMisses++
	c.port.Issue(&c.dacc, &c.drainC)
	c.limit = 0
}

// drainEvent is the drainer's attempt from an event, the core parked.
func (c *Core) drainEvent() {
	if c.dstate != dEvent {
		sim.Failf(c.name, c.state.String(), "drain event in drainer state %d", c.dstate)
	}
	c.loadHead()
	if _, _, ok := c.port.Hit(&c.dacc); ok {
		c.stats.StoresDrained++
		c.pop(c.eng.Now())
		c.afterDrain()
		return
	}
	if c.issued < c.maxIssue {
		c.issueDrain()
		return
	}
	c.dstate = dPortWait
}

// Complete is called by the port when the drainer's store has been
// performed. The store leaves the buffer at once, so the core's loads stop
// forwarding it at the very time it became visible; what needs the engine
// (waking the core, the next drain) happens in evDrainDone.
func (d *drainDone) Complete(uint64) {
	c := d.c
	if c.dstate != dMiss {
		sim.Failf(c.name, c.state.String(), "drain completion in drainer state %d", c.dstate)
	}
	c.issued--
	c.stats.StoresDrained++
	c.pop(c.eng.Now())
	c.eng.Schedule(c.eng.Now(), c, evDrainDone)
}

// afterDrain runs in event context after a store was performed: it
// schedules the next drain and wakes the core if it waited for room.
func (c *Core) afterDrain() {
	if c.dstate == dArmed {
		c.drainID = c.eng.Schedule(c.drainAt, c, evDrain)
		c.dstate = dEvent
	}
	switch c.state {
	case StateDrain:
		if c.sbLen <= c.sbTarget {
			c.resume(rEvent)
		}
	case StatePort:
		if c.issued < c.maxIssue {
			c.resume(rEvent)
		}
	}
}

// portFreed hands the port slot the core's access just released to the
// drainer if it waits for one. (A core waiting for the port is resumed by
// afterDrain when the drainer's miss completes.)
func (c *Core) portFreed() {
	if c.issued < c.maxIssue && c.dstate == dPortWait {
		c.loadHead()
		c.issueDrain()
	}
}

// waitSB parks the core until at most n stores are buffered, draining
// inline while nothing else is due.
func (c *Core) waitSB(n int) {
	if c.sbLen > n {
		c.stats.DrainStalls++
	}
	for c.sbLen > n {
		if c.dstate == dArmed {
			if c.drainAt < c.eng.NextTime() || c.drainAt == c.eng.Now() {
				if c.drainAt > c.now {
					c.now = c.drainAt
				}
				c.drainInline()
				continue
			}
		}
		c.sbTarget = n
		c.park(StateDrain)
	}
	c.refreshLimit()
}
