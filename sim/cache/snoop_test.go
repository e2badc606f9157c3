package cache

import (
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// timed performs one access on core's port and returns its latency: the
// L1 hit latency, or the time from Issue to completion.
func timed(t *testing.T, e *sim.Engine, s *System, core int, op mem.Op, a mem.Addr, v uint64) sim.Time {
	t.Helper()
	acc := mem.Access{Op: op, Addr: a, Value: v}
	p := s.Port(core)
	if _, lat, ok := p.Hit(&acc); ok {
		return lat
	}
	c := &doneAt{e: e}
	t0 := e.Now()
	p.Issue(&acc, c)
	e.RunUntilIdle()
	if !c.done {
		t.Fatalf("core %d %v %#x never completed", core, op, a)
	}
	return c.at - t0
}

type doneAt struct {
	e    *sim.Engine
	at   sim.Time
	done bool
}

func (d *doneAt) Complete(uint64) { d.at, d.done = d.e.Now(), true }

// TestL1Snoop: with two cores under one L2 (Core 2's shared L2), an L2 hit
// that must snoop the other core's L1 (the line modified there; or a write
// while a copy is there) costs Cluster.L1Snoop more than one that need not
// (the other copy clean, for a read), and nothing changes with L1Snoop 0.
func TestL1Snoop(t *testing.T) {
	const snoop = 17 * sim.Nanosecond
	measure := func(l1snoop sim.Time) map[string]sim.Time {
		c := tconf{scheme: SnoopFilter, nodes: 1, cores: 2, cluster: 2, hub: true, big: true}
		e, s, _ := c.buildWith(t, 1, func(cfg *Config) { cfg.Packages[0].Clusters[0].L1Snoop = l1snoop })
		got := map[string]sim.Time{}
		const a, b, w = mem.Addr(0x1000), mem.Addr(0x2000), mem.Addr(0x3000)
		timed(t, e, s, 1, mem.OpStore, a, 7) // a: modified in core 1's L1
		got["read, modified in the other L1"] = timed(t, e, s, 0, mem.OpLoad, a, 0)
		got["read, then an L1 hit"] = timed(t, e, s, 0, mem.OpLoad, a, 0)
		timed(t, e, s, 1, mem.OpLoad, b, 0) // b: clean in core 1's L1
		got["read, clean in the other L1"] = timed(t, e, s, 0, mem.OpLoad, b, 0)
		timed(t, e, s, 1, mem.OpLoad, w, 0)
		timed(t, e, s, 0, mem.OpLoad, w, 0) // w: shared by both L1s
		got["write, shared with the other L1"] = timed(t, e, s, 0, mem.OpStore, w, 1)
		if v := timed(t, e, s, 1, mem.OpLoad, a, 0); v == 0 {
			t.Fatal("no latency")
		}
		return got
	}
	base, with := measure(0), measure(snoop)
	for what, extra := range map[string]sim.Time{
		"read, modified in the other L1":  snoop,
		"read, then an L1 hit":            0,
		"read, clean in the other L1":     0,
		"write, shared with the other L1": snoop,
	} {
		if d := with[what] - base[what]; d != extra {
			t.Errorf("%s: %v with the snoop, %v without: %v more, want %v", what, with[what], base[what], d, extra)
		}
	}
	if base["read, modified in the other L1"] != base["read, clean in the other L1"] {
		t.Errorf("without a snoop latency, reads from a dirty (%v) and a clean (%v) sibling L1 differ",
			base["read, modified in the other L1"], base["read, clean in the other L1"])
	}
}
