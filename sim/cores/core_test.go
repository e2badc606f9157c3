package cores

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"mksim/arch"
	"mksim/sim"
	"mksim/sim/mem"
)

const ns = sim.Nanosecond

func testConfig(period sim.Time) Config {
	return Config{
		Type:          "test",
		Clock:         sim.Clock{Name: "test", Period: period},
		Coherent:      true,
		TrapCycles:    800,
		IPISendCycles: 100,
		SyscallCycles: 150,
	}
}

type rig struct {
	eng   *sim.Engine
	m     *fakeMem
	cores []*Core
	g     *Group
	fab   *FixedFabric
}

// newRig builds n cores at 1 GHz over a fakeMem, with a 500 ns IPI fabric.
func newRig(n int, seed uint64, cfg func(i int) Config) *rig {
	r := &rig{eng: sim.New(seed)}
	r.m = newFakeMem(r.eng, n, seed)
	r.fab = NewFixedFabric(r.eng, 500*ns)
	for i := 0; i < n; i++ {
		c := testConfig(ns)
		if cfg != nil {
			c = cfg(i)
		}
		r.cores = append(r.cores, New(r.eng, arch.CoreID(i), c, r.m.ports[i], r.fab))
	}
	r.g = NewGroup(r.eng, r.cores)
	r.fab.Sink = r.g
	return r
}

func (r *rig) run(t testing.TB, progs ...arch.Program) {
	t.Helper()
	for i, p := range progs {
		if p != nil {
			r.cores[i].Start(p)
		}
	}
	if err := r.g.Run(); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) close() { r.g.Close() }

func TestStateStrings(t *testing.T) {
	var names []string
	for s := State(0); s <= numStates; s++ {
		names = append(names, s.String())
	}
	got := strings.Join(names, " ")
	want := "new running ready compute miss port drain spin halted idle State(10)"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestConfigValidate(t *testing.T) {
	good := testConfig(ns)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.Clock.Period = 0
	bad.CPINum = 3
	bad.TrapCycles = -1
	err := bad.Validate()
	if err == nil {
		t.Fatal("want error")
	}
	for _, s := range []string{"period", "CPI", "trap"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %s", err, s)
		}
	}
}

func TestL1HitsCostNoEvents(t *testing.T) {
	r := newRig(1, 1, nil)
	defer r.close()
	for a := mem.Addr(0); a < 4096; a += 64 {
		r.m.hold(0, a)
	}
	var t0, t1 arch.Cycles
	r.run(t, func(c arch.Core) {
		t0 = c.Now()
		for i := 0; i < 10000; i++ {
			c.Load(arch.Addr(i%512) * 8)
		}
		t1 = c.Now()
	})
	// hit latency 1.5 ns at 1 GHz: 10000 loads = 15000 cycles, +1 for Now.
	if d := t1 - t0; d != 15001 {
		t.Errorf("10000 hits took %d cycles, want 15001", d)
	}
	if ev := r.eng.Stats().Events; ev > 3 {
		t.Errorf("10000 L1 hits ran %d events, want at most 3", ev)
	}
	if s := r.cores[0].Stats(); s.Loads != 10000 || s.Misses() != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestComputeCPIAndTSC(t *testing.T) {
	cfg := testConfig(500) // 2 GHz
	cfg.CPINum, cfg.CPIDen = 3, 2
	r := newRig(1, 1, func(int) Config { return cfg })
	defer r.close()
	var ts []arch.Cycles
	r.run(t, func(c arch.Core) {
		ts = append(ts, c.Now()) // 0; costs 1.5: 1 cycle, carry 0.5
		c.Compute(3)             // 4.5 + 0.5 = 5 cycles
		ts = append(ts, c.Now()) // 6; 1 cycle, carry 0.5
		c.Compute(1000)          // 1500 + 0.5: 1500 cycles, carry 0.5
		ts = append(ts, c.Now()) // 1507
	})
	want := []arch.Cycles{0, 6, 1507}
	for i := range want {
		if ts[i] != want[i] {
			t.Fatalf("TSC readings %v, want %v", ts, want)
		}
	}
	if got := r.cores[0].Time(); got != 1509*500 {
		t.Errorf("local time %v, want %v", got, sim.Time(1509*500))
	}
}

func TestStoreForwardingAndDrain(t *testing.T) {
	r := newRig(2, 1, nil)
	defer r.close()
	const x = 0x1000
	var fwd, seen uint64
	var seenAt arch.Cycles
	r.run(t,
		func(c arch.Core) {
			c.Store(x, 42) // line not held: the drain misses (60 ns)
			fwd = c.Load(x)
		},
		func(c arch.Core) {
			seen, _ = c.SpinUntil(x, func(v uint64) bool { return v == 42 }, 0)
			seenAt = c.Now()
		})
	if fwd != 42 {
		t.Errorf("forwarded load got %d", fwd)
	}
	if seen != 42 {
		t.Errorf("other core saw %d", seen)
	}
	// store at 0, drain attempt at 1 cycle, miss 60 ns -> visible at 61 ns;
	// core 1's first load missed too, so it polls and sees it after.
	if seenAt < 61 || seenAt > 200 {
		t.Errorf("core 1 saw the store at %d cycles", seenAt)
	}
	if s := r.cores[0].Stats(); s.Forwarded != 1 || s.StoreMisses != 1 || s.StoresDrained != 1 {
		t.Errorf("core 0 stats %+v", s)
	}
	if r.m.word(x) != 42 {
		t.Errorf("memory holds %d", r.m.word(x))
	}
}

func TestFenceAndFullStoreBuffer(t *testing.T) {
	cfg := testConfig(ns)
	cfg.StoreBufferEntries = 2
	r := newRig(1, 1, func(int) Config { return cfg })
	defer r.close()
	var afterStores, afterFence arch.Cycles
	var memAtFence [5]uint64
	r.run(t, func(c arch.Core) {
		for i := 0; i < 5; i++ {
			c.Store(arch.Addr(0x1000+i*64), uint64(i+1)) // five missing lines
		}
		afterStores = c.Now()
		c.Fence()
		afterFence = c.Now()
		for i := range memAtFence {
			memAtFence[i] = r.m.word(mem.Addr(0x1000 + i*64))
		}
	})
	s := r.cores[0].Stats()
	if s.SBFullStalls == 0 {
		t.Errorf("no full-buffer stall: %+v", s)
	}
	// Drains are serial misses of 60 ns: the third store waits for the first.
	if afterStores < 60 {
		t.Errorf("stores finished at %d cycles; the full buffer should have stalled", afterStores)
	}
	if afterFence < 5*60 {
		t.Errorf("fence returned at %d, before five serial 60 ns drains", afterFence)
	}
	for i, v := range memAtFence {
		if v != uint64(i+1) {
			t.Errorf("after fence, word %d = %d", i, v)
		}
	}
}

func TestAtomicsDrainAndCount(t *testing.T) {
	r := newRig(2, 1, nil)
	defer r.close()
	const ctr = 0x2000
	const n = 200
	prog := func(c arch.Core) {
		for i := 0; i < n; i++ {
			c.FetchAdd(ctr, 1)
			c.Compute(int64(i % 7))
		}
	}
	r.run(t, prog, prog)
	if got := r.m.word(ctr); got != 2*n {
		t.Errorf("counter %d, want %d", got, 2*n)
	}
	var ok1, ok2 bool
	var old uint64
	r.run(t, func(c arch.Core) {
		ok1 = c.CAS(ctr, 2*n, 7)
		ok2 = c.CAS(ctr, 2*n, 8)
		old = c.Swap(ctr, 9)
	})
	if !ok1 || ok2 || old != 7 || r.m.word(ctr) != 9 {
		t.Errorf("CAS %v %v, swap old %d, final %d", ok1, ok2, old, r.m.word(ctr))
	}
}

func TestNonCoherentNeedsFlushAndInvalidate(t *testing.T) {
	run := func(maintain bool) (first, second uint64) {
		eng := sim.New(1)
		m := newNCMem(eng, 2)
		cfg := testConfig(ns)
		cfg.Coherent = false
		c0 := New(eng, 0, cfg, m.ports[0], nil)
		c1 := New(eng, 1, cfg, m.ports[1], nil)
		const data, flag = 0x1000, 0x2000
		c0.Start(func(c arch.Core) {
			c.Load(data) // cache the line, so the store hits in the private copy
			c.Store(data, 1)
			if maintain {
				c.Flush(data)
			}
			c.Store(flag, 1)
			c.Flush(flag) // the flag always reaches memory
		})
		c1.Start(func(c arch.Core) {
			first = c.Load(data) // caches the stale zero
			for {
				if maintain {
					c.Invalidate(flag)
				} else {
					c.Invalidate(flag) // the flag is read fresh either way
				}
				if c.Load(flag) == 1 {
					break
				}
				c.Compute(100)
			}
			if maintain {
				c.Invalidate(data)
			}
			second = c.Load(data)
		})
		if err := RunAll(eng, []*Core{c0, c1}); err != nil {
			t.Fatal(err)
		}
		return first, second
	}
	if f, s := run(false); f != 0 || s != 0 {
		t.Errorf("without maintenance: read %d then %d, want stale 0 then 0", f, s)
	}
	if f, s := run(true); f != 0 || s != 1 {
		t.Errorf("with flush/invalidate: read %d then %d, want 0 then 1", f, s)
	}
}

// tagPort records the tags of the accesses it sees.
type tagPort struct {
	*fakePort
	ids []mem.OpID
}

func (p *tagPort) Hit(a *mem.Access) (uint64, sim.Time, bool) {
	p.ids = append(p.ids, a.ID)
	return p.fakePort.Hit(a)
}

func TestTag(t *testing.T) {
	eng := sim.New(1)
	m := newFakeMem(eng, 1, 1)
	m.hold(0, 0x1000)
	tp := &tagPort{fakePort: m.ports[0]}
	c := New(eng, 0, testConfig(ns), tp, nil)
	var prev []uint32
	c.Start(func(c arch.Core) {
		prev = append(prev, c.Tag(7))
		c.Load(0x1000)
		c.Store(0x1000, 1)
		prev = append(prev, c.Tag(9))
		c.Load(0x1008)
		c.Fence()
		prev = append(prev, c.Tag(0))
	})
	if err := RunAll(eng, []*Core{c}); err != nil {
		t.Fatal(err)
	}
	// load 7; the store drains (tag 7, kept from when it was issued) one
	// cycle later, before the next load's boundary; load 9.
	want := []mem.OpID{7, 7, 9}
	got := tp.ids
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("tags %v, want %v", got, want)
	}
	if prev[0] != 0 || prev[1] != 7 || prev[2] != 9 {
		t.Errorf("previous tags %v", prev)
	}
}

func TestDeadlockNamesStates(t *testing.T) {
	r := newRig(3, 1, nil)
	defer r.close()
	r.m.hold(1, 0x1000)
	r.cores[0].Start(func(c arch.Core) {})
	r.cores[1].Start(func(c arch.Core) {
		c.SpinUntil(0x1000, func(v uint64) bool { return v == 1 }, 0)
	})
	r.cores[2].Start(func(c arch.Core) {
		c.SetInterrupts(true)
		c.Halt()
	})
	err := r.g.Run()
	var d *DeadlockError
	if !errors.As(err, &d) {
		t.Fatalf("got %v, want a deadlock", err)
	}
	msg := err.Error()
	t.Log(msg)
	for _, s := range []string{"core0 idle", "core1 spin", "line 0x1000 (watching)", "core2 halted"} {
		if !strings.Contains(msg, s) {
			t.Errorf("deadlock report %q lacks %q", msg, s)
		}
	}
}

func TestGroupRunsAgain(t *testing.T) {
	r := newRig(2, 1, nil)
	defer r.close()
	var got []uint64
	r.run(t, func(c arch.Core) { c.Store(0x1000, 5) }, nil)
	r.run(t, nil, func(c arch.Core) { got = append(got, c.Load(0x1000)) })
	r.run(t, func(c arch.Core) { got = append(got, c.FetchAdd(0x1000, 1)) }, func(c arch.Core) { c.Compute(10) })
	if len(got) != 2 || got[0] != 5 || got[1] != 5 || r.m.word(0x1000) != 6 {
		t.Errorf("got %v, memory %d", got, r.m.word(0x1000))
	}
}

func TestProgramPanicPropagates(t *testing.T) {
	r := newRig(1, 1, nil)
	defer func() {
		p := recover()
		ie, ok := p.(*sim.InvariantError)
		if !ok || !strings.Contains(ie.Error(), "not 8-byte aligned") {
			t.Fatalf("recovered %v", p)
		}
	}()
	r.cores[0].Start(func(c arch.Core) { c.Load(3) })
	r.g.Run()
	t.Fatal("no panic")
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 50; i++ {
		r := newRig(4, uint64(i), nil)
		r.cores[0].Start(func(c arch.Core) { c.Store(0x1000, 1) })
		r.cores[1].Start(func(c arch.Core) {
			c.SpinUntil(0x1000, func(v uint64) bool { return v == 1 }, 0)
		})
		r.cores[2].Start(func(c arch.Core) { c.SetInterrupts(true); c.Halt() }) // never woken
		if err := r.g.Run(); err == nil {
			t.Fatal("want deadlock")
		}
		r.close()
	}
	runtime.GC()
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Errorf("goroutines: %d before, %d after 50 closed groups", before, after)
	}
}
