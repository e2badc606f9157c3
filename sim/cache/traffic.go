package cache

import (
	"math/rand/v2"

	"mksim/sim"
	"mksim/sim/mem"
)

// TrafficCounts is shared by the TrafficRequesters of one run.
type TrafficCounts struct {
	Left int // operations still to issue, over all requesters
	Ops  int // operations issued
	Hits int // of which L1 hits
}

// TrafficRequester is a synthetic requester that behaves like a core, for
// the random-traffic benchmarks here and in sim/machine: L1 hits are
// charged on a local clock without events, as long as it stays below the
// engine's next event; misses are issued at the local time and waited for.
// Each operation goes, 11 % of the time, to one of Shared, else to one of
// Private, at a random word; a quarter are stores. Start it with
// e.After(d, r, 0).
type TrafficRequester struct {
	E       *sim.Engine
	Core    int
	Port    mem.Port
	Rng     *rand.Rand
	Private []mem.Addr
	Shared  []mem.Addr
	Counts  *TrafficCounts

	a       mem.Access
	pending bool // a is to be issued when the event fires
}

func (c *TrafficRequester) pick() {
	var addr mem.Addr
	x := c.Rng.Uint32()
	if x%100 < 11 {
		addr = c.Shared[modLen(x>>8, len(c.Shared))]
	} else {
		addr = c.Private[modLen(x>>8, len(c.Private))]
	}
	addr += mem.Addr((x>>20)%8) * 8
	c.a = mem.Access{Op: mem.OpLoad, Addr: addr, ID: mem.OpID(c.Core + 1)}
	if x>>28 < 4 {
		c.a.Op, c.a.Value = mem.OpStore, uint64(x)
	}
}

// modLen is int(x) % n, with a mask in place of the division when n is a
// power of two (the benchmarks' 256 private and 64 shared lines).
func modLen(x uint32, n int) int {
	if n&(n-1) == 0 {
		return int(x) & (n - 1)
	}
	return int(x) % n
}

// Handle runs the requester from an event.
func (c *TrafficRequester) Handle(uint64) { c.run() }

// Complete is told that the requester's miss is done.
func (c *TrafficRequester) Complete(uint64) { c.run() }

func (c *TrafficRequester) run() {
	e, n := c.E, c.Counts
	t := e.Now()
	if c.pending {
		c.pending = false
		c.Port.Issue(&c.a, c)
		return
	}
	// A hit schedules nothing, so the next event stays put while we hit:
	// it is asked for once, at the first hit (asking costs a queue peek).
	next, known := sim.Time(0), false
	for n.Left > 0 {
		n.Left--
		n.Ops++
		c.pick()
		if _, lat, ok := c.Port.Hit(&c.a); ok {
			n.Hits++
			t += lat
			if !known {
				next, known = e.NextTime(), true
			}
			if t > next {
				e.Schedule(t, c, 0)
				return
			}
			continue
		}
		if t == e.Now() {
			c.Port.Issue(&c.a, c)
		} else {
			c.pending = true
			e.Schedule(t, c, 0)
		}
		return
	}
}
