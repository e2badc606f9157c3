package cores

import (
	"mksim/arch"
	"mksim/sim"
	"mksim/sim/mem"
)

// LineWatcher is told that a watched line changed.
type LineWatcher interface {
	LineChanged(line mem.LineAddr)
}

// Watcher is optionally implemented by a core's mem.Port (or installed with
// Core.SetWatcher): it lets SpinUntil sleep until the polled line changes
// instead of re-polling.
//
// Contract, for the implementer (sim/machine, hooking the cache):
//   - Watch(line, w) registers a one-shot watch on this core's L1 copy of
//     line and reports true, or reports false if the L1 does not hold the
//     line (the core then re-polls).
//   - When the copy stops being valid, because another core's write
//     invalidated it, a probe took it away, or it was evicted, the watcher
//     calls w.LineChanged(line) once and forgets the watch. Changes made by
//     this core itself need not be reported.
//   - LineChanged must be called from an event (the probe's or the
//     eviction's), at the engine time of the change, not synchronously
//     inside Watch. The core only schedules a wake-up in it; it is safe to
//     call in the middle of a cache transition.
//   - Unwatch(line, w) cancels a watch that has not fired; it is a no-op
//     if there is none.
//
// A coherent cache needs nothing more: any write by another core must take
// the line away from this L1 first. A non-coherent L1 never reports
// changes, exactly as the naive loop would never see them.
type Watcher interface {
	Watch(line mem.LineAddr, w LineWatcher) bool
	Unwatch(line mem.LineAddr, w LineWatcher)
}

// LineChanged implements LineWatcher for the core's spin wait.
func (h *watchHook) LineChanged(line mem.LineAddr) { h.c.lineChanged(line) }

func ceilDiv(a, b sim.Time) sim.Time { return (a + b - 1) / b }

func (c *Core) lineChanged(line mem.LineAddr) {
	if c.state != StateSpin || !c.spinWatched || line != c.spinLine || c.woken {
		return
	}
	c.spinWatched = false // one-shot
	t := c.eng.Now()
	wake := c.spinBase
	if t > wake {
		wake += ceilDiv(t-wake, c.spinIter) * c.spinIter
	}
	if wake >= c.spinTmo {
		return // the naive loop gives up before its next load
	}
	c.woken = true
	c.eng.Cancel(c.timerID)
	c.reason = rChanged
	c.timerID = c.eng.Schedule(wake, c, evWake)
}

// SpinUntil polls the word at a until cond holds or maxCycles pass. It
// behaves as the loop
//
//	for { v := Load(a); Compute-like overhead of SpinLoopCycles; if cond(v) { return v, true }; if timed out { return v, false } }
//
// Each real iteration loads through the L1. Once a load hits, the core
// knows every further load returns the same value until the line changes,
// so it sleeps: with a Watcher until the line changes, timing out or an
// interrupt; without one, until the first iteration after the next pending
// event (only an event can change the line). It then resumes at the
// iteration boundary the naive loop would have reached, and loads again.
func (c *Core) SpinUntil(a arch.Addr, cond func(uint64) bool, maxCycles arch.Cycles) (uint64, bool) {
	ma := mem.Addr(a)
	if ma&7 != 0 {
		c.misaligned("SpinUntil", a)
	}
	c.stats.Spins++
	if c.now >= c.limit {
		c.slow()
	}
	deadline := sim.Never
	if maxCycles > 0 {
		deadline = c.now + sim.Time(maxCycles)*c.period
	}
	for {
		v, lat, hit := c.spinLoad(ma)
		c.now += c.spinT
		c.stats.Instructions++
		if cond(v) {
			return v, true
		}
		if c.now >= deadline {
			return v, false
		}
		if !hit {
			continue
		}
		if c.spinPark(ma.Line(), lat+c.spinT, deadline) {
			return v, false
		}
	}
}

// spinLoad is Load reporting the L1 hit latency, and whether the value
// came from an L1 hit (rather than the store buffer or a miss).
func (c *Core) spinLoad(ma mem.Addr) (uint64, sim.Time, bool) {
	if c.now >= c.limit {
		c.slow()
	}
	c.stats.Loads++
	c.stats.Instructions++
	if c.sbLen != 0 {
		if v, ok := c.forward(ma); ok {
			c.stats.Forwarded++
			c.now += c.fwdT
			return v, 0, false
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
		return c.missWait(), 0, false
	}
	if lat < c.period {
		lat = c.period
	}
	c.now += lat
	return v, lat, true
}

// spinPark skips the iterations that must see the value just loaded. iter
// is one iteration's duration. It reports whether the loop timed out.
func (c *Core) spinPark(line mem.LineAddr, iter, deadline sim.Time) bool {
	base := c.now
	tmo := sim.Never
	if deadline != sim.Never {
		tmo = base + ceilDiv(deadline-base, iter)*iter
	}
	c.spinLine, c.spinBase, c.spinIter, c.spinTmo = line, base, iter, tmo
	c.reason = rTimer
	if c.watcher != nil && c.watcher.Watch(line, &c.watch) {
		c.spinWatched = true
		if tmo != sim.Never {
			c.timerID = c.eng.Schedule(tmo, c, evWake)
		}
	} else {
		// Nothing can change the line before the next event.
		target := c.eng.NextTime()
		if poll := sim.Time(c.cfg.SpinPollCycles) * c.period; poll > 0 && target < base+poll {
			target = base + poll
		}
		wake := base
		if target == sim.Never {
			wake = sim.Never
		} else if target > base {
			wake = base + ceilDiv(target-base, iter)*iter
		}
		if wake > tmo {
			wake = tmo
		}
		if wake != sim.Never {
			c.timerID = c.eng.Schedule(wake, c, evWake)
		}
	}
	c.park(StateSpin)
	if c.spinWatched {
		c.watcher.Unwatch(line, &c.watch)
		c.spinWatched = false
	}
	if k := (c.now - base) / iter; k > 0 {
		c.stats.Loads += uint64(k)
		c.stats.Instructions += 2 * uint64(k)
		c.stats.SpinSkipped += uint64(k)
	}
	return c.now >= tmo
}
