package cores

import (
	"testing"

	"mksim/arch"
	"mksim/sim"
	"mksim/sim/mem"
)

// BenchmarkL1HitLoads: one core loops over 4 KiB of L1-resident data. The
// figure is simulated loads per host second.
func BenchmarkL1HitLoads(b *testing.B) {
	r := newRig(1, 1, nil)
	defer r.close()
	for a := mem.Addr(0x1000); a < 0x2000; a += 64 {
		r.m.hold(0, a)
	}
	n := b.N
	var sum uint64
	r.cores[0].Start(func(c arch.Core) {
		for i := 0; i < n; i++ {
			sum += c.Load(0x1000 + arch.Addr(i&511)*8)
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	if err := r.g.Run(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds()/1e6, "Mloads/s")
	b.ReportMetric(float64(r.eng.Stats().Events)/float64(n), "events/load")
}

// BenchmarkL1HitLoadsFlat is the same loop on FlatPort (a map-backed
// memory), for comparison.
func BenchmarkL1HitLoadsFlat(b *testing.B) {
	eng := sim.New(1)
	c0 := New(eng, 0, testConfig(ns), NewFlatPort(sim.Nanosecond), nil)
	n := b.N
	c0.Start(func(c arch.Core) {
		for i := 0; i < n; i++ {
			c.Load(0x1000 + arch.Addr(i&511)*8)
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	if err := RunAll(eng, []*Core{c0}); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds()/1e6, "Mloads/s")
}

// BenchmarkLinePingPong: two cores increment one shared counter with
// FetchAdd, doing 200 instructions of other work between increments, so the
// line moves on every increment (fake port: 60 ns misses). The figure is
// increments per host second.
func BenchmarkLinePingPong(b *testing.B) {
	benchPingPong(b, 200)
}

// BenchmarkLinePingPongTight: no work between increments; an owner keeps
// the line, hitting, until the other core's request completes.
func BenchmarkLinePingPongTight(b *testing.B) {
	benchPingPong(b, 0)
}

func benchPingPong(b *testing.B, work int64) {
	r := newRig(2, 1, nil)
	defer r.close()
	const ctr = 0x1000
	per := b.N/2 + 1
	prog := func(c arch.Core) {
		if c.ID() == 1 && work > 0 {
			c.Compute(work/2 + 30) // out of phase, so each request finds the line away
		}
		for i := 0; i < per; i++ {
			c.FetchAdd(ctr, 1)
			c.Compute(work)
		}
	}
	r.cores[0].Start(prog)
	r.cores[1].Start(prog)
	b.ReportAllocs()
	b.ResetTimer()
	if err := r.g.Run(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if got := r.m.word(ctr); got != uint64(2*per) {
		b.Fatalf("counter %d, want %d", got, 2*per)
	}
	b.ReportMetric(float64(2*per)/b.Elapsed().Seconds(), "incr/s")
	b.ReportMetric(float64(r.m.misses)/float64(2*per), "misses/incr")
	b.ReportMetric(float64(r.eng.Stats().Events)/float64(2*per), "events/incr")
}

// BenchmarkURPCLikeStores: one core writes 8-word messages into a ring of
// L1-resident lines (stores drain inline), the pattern of a URPC sender.
func BenchmarkStoreStream(b *testing.B) {
	r := newRig(1, 1, nil)
	defer r.close()
	for a := mem.Addr(0x1000); a < 0x1000+64*32; a += 64 {
		r.m.hold(0, a)
	}
	n := b.N
	r.cores[0].Start(func(c arch.Core) {
		for i := 0; i < n; i++ {
			c.Store(0x1000+arch.Addr(i&255)*8, uint64(i))
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	if err := r.g.Run(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds()/1e6, "Mstores/s")
	b.ReportMetric(float64(r.eng.Stats().Events)/float64(n), "events/store")
}

// BenchmarkL1HitLoadsTwoCores: two cores each loop over their own
// L1-resident data. Exactness makes them leapfrog: each runs inline only
// until it passes the other's local time, so this measures the cost of a
// coroutine switch per window rather than the hit path.
func BenchmarkL1HitLoadsTwoCores(b *testing.B) {
	r := newRig(2, 1, nil)
	defer r.close()
	for a := mem.Addr(0x1000); a < 0x3000; a += 64 {
		r.m.hold(0, a)
		r.m.hold(1, a+0x2000)
	}
	per := b.N/2 + 1
	prog := func(c arch.Core) {
		base := arch.Addr(0x1000 + 0x2000*int(c.ID()))
		for i := 0; i < per; i++ {
			c.Load(base + arch.Addr(i&511)*8)
		}
	}
	r.cores[0].Start(prog)
	r.cores[1].Start(prog)
	b.ReportAllocs()
	b.ResetTimer()
	if err := r.g.Run(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(2*per)/b.Elapsed().Seconds()/1e6, "Mloads/s")
	b.ReportMetric(float64(r.eng.Stats().Events)/float64(2*per), "events/load")
}
