package archtest

import (
	"errors"
	"strings"
	"testing"

	"mksim/arch"
)

func TestLoadStoreNowCompute(t *testing.T) {
	m := New(Config{})
	a := m.Allocator().MustAlloc(0, 64, 64)
	var got uint64
	var t0, t1 arch.Cycles
	m.Start(0, func(c arch.Core) {
		t0 = c.Now()
		c.Store(a, 42)
		c.Compute(10)
		got = c.Load(a)
		t1 = c.Now()
	})
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	if got != 42 {
		t.Fatalf("load = %d, want 42", got)
	}
	if d := t1 - t0; d != 12 {
		t.Fatalf("elapsed %d cycles, want 12 (2 ops + Compute(10))", d)
	}
	if m.Peek(a) != 42 {
		t.Fatalf("Peek = %d", m.Peek(a))
	}
}

func TestInfoAndRegions(t *testing.T) {
	m := New(Config{Cores: 8, CoresPerPackage: 4})
	if m.NumCores() != 8 {
		t.Fatal("NumCores")
	}
	if i := m.Info(5); i.Package != 1 || i.Node != 1 || !i.Coherent || i.ID != 5 {
		t.Fatalf("Info(5) = %+v", i)
	}
	if l := m.SharedCacheLevel(0, 3); l != 3 {
		t.Fatalf("SharedCacheLevel(0,3) = %d", l)
	}
	if l := m.SharedCacheLevel(0, 4); l != 0 {
		t.Fatalf("SharedCacheLevel(0,4) = %d", l)
	}
	rs := m.Regions()
	if len(rs) != 2 || rs[1].Node != 1 {
		t.Fatalf("Regions = %+v", rs)
	}
	al := m.Allocator()
	x := al.MustAlloc(1, 4096, 4096)
	if x < rs[1].Base || x >= rs[1].Base+arch.Addr(rs[1].Size) {
		t.Fatalf("node-1 allocation %#x outside node 1", x)
	}
}

// A producer writes data then a flag; the consumer spins on the flag and
// must see the data (sequential consistency), for every interleaving.
func TestSpinUntilMessagePassing(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		m := New(Config{Cores: 2, Seed: seed})
		al := m.Allocator()
		data, flag := al.MustAlloc(0, 64, 64), al.MustAlloc(0, 64, 64)
		var seen []uint64
		m.Start(0, func(c arch.Core) {
			for i := uint64(1); i <= 20; i++ {
				c.SpinUntil(flag, func(v uint64) bool { return v == 0 }, 0)
				c.Store(data, i*7)
				c.Store(flag, i)
			}
		})
		m.Start(1, func(c arch.Core) {
			for i := 0; i < 20; i++ {
				v, ok := c.SpinUntil(flag, func(v uint64) bool { return v != 0 }, 0)
				if !ok {
					panic("spin failed")
				}
				seen = append(seen, c.Load(data)/7*1000+v)
				c.Store(flag, 0)
			}
		})
		if err := m.Run(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		for i, s := range seen {
			want := uint64(i+1)*1000 + uint64(i+1)
			if s != want {
				t.Fatalf("seed %d: message %d = %d, want %d", seed, i, s, want)
			}
		}
	}
}

// Non-atomic increments lose updates under some interleavings, FetchAdd
// never does; the same seed always gives the same run.
func TestInterleavingsVaryBySeedAndAreDeterministic(t *testing.T) {
	run := func(seed uint64, atomic bool) (uint64, int64) {
		m := New(Config{Cores: 3, Seed: seed})
		a := m.Allocator().MustAlloc(0, 64, 64)
		for i := 0; i < 3; i++ {
			m.Start(arch.CoreID(i), func(c arch.Core) {
				for k := 0; k < 50; k++ {
					if atomic {
						c.FetchAdd(a, 1)
					} else {
						c.Store(a, c.Load(a)+1)
					}
				}
			})
		}
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		return m.Peek(a), m.Steps()
	}
	lost := 0
	for seed := uint64(0); seed < 50; seed++ {
		v, steps := run(seed, false)
		if v2, steps2 := run(seed, false); v2 != v || steps2 != steps {
			t.Fatalf("seed %d not deterministic: %d/%d vs %d/%d", seed, v, steps, v2, steps2)
		}
		if v < 150 {
			lost++
		}
		if a, _ := run(seed, true); a != 150 {
			t.Fatalf("seed %d: FetchAdd total %d, want 150", seed, a)
		}
	}
	if lost == 0 {
		t.Fatal("no seed interleaved the non-atomic increments")
	}
}

func TestDeadlockDetected(t *testing.T) {
	m := New(Config{Cores: 2})
	al := m.Allocator()
	x, y := al.MustAlloc(0, 64, 64), al.MustAlloc(0, 64, 64)
	nz := func(v uint64) bool { return v != 0 }
	m.Start(0, func(c arch.Core) { c.SpinUntil(x, nz, 0); c.Store(y, 1) })
	m.Start(1, func(c arch.Core) { c.SpinUntil(y, nz, 0); c.Store(x, 1) })
	err := m.Run()
	if !errors.Is(err, ErrDeadlock) {
		t.Fatalf("err = %v, want deadlock", err)
	}
	if !strings.Contains(err.Error(), "spinning on") {
		t.Fatalf("deadlock report lacks core states: %v", err)
	}
	t.Log(err)
}

func TestSpinTimeout(t *testing.T) {
	m := New(Config{Cores: 2, Seed: 3})
	al := m.Allocator()
	x := al.MustAlloc(0, 64, 64)
	var ok bool
	var start, end arch.Cycles
	m.Start(0, func(c arch.Core) {
		start = c.Now()
		_, ok = c.SpinUntil(x, func(v uint64) bool { return v == 99 }, 1000)
		end = c.Now()
	})
	m.Start(1, func(c arch.Core) {
		for i := 0; i < 2000; i++ {
			c.Compute(1)
			c.Load(x)
		}
	})
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Fatal("cond held?")
	}
	if end-start < 1000 {
		t.Fatalf("timed out after %d cycles, want >= 1000", end-start)
	}
}

func TestIPIWakesHaltAndRunsHandler(t *testing.T) {
	for seed := uint64(0); seed < 50; seed++ {
		m := New(Config{Cores: 2, Seed: seed})
		x := m.Allocator().MustAlloc(0, 64, 64)
		var from arch.CoreID = -1
		var took int
		m.Start(0, func(c arch.Core) {
			rung := false
			c.SetInterruptHandler(0x40, func(hc arch.Core, v arch.Vector, f arch.CoreID) {
				if hc != c || v != 0x40 {
					panic("wrong handler args")
				}
				from, rung = f, true
				took++
			})
			c.Store(x, 1) // "ready"
			for !rung {
				c.Halt()
			}
		})
		m.Start(1, func(c arch.Core) {
			c.SpinUntil(x, func(v uint64) bool { return v == 1 }, 0)
			c.SendIPI(0, 0x40)
		})
		if err := m.Run(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if from != 1 || took != 1 {
			t.Fatalf("seed %d: handler from=%v took=%d", seed, from, took)
		}
	}
}

func TestMaskedInterruptStaysPendingAndCoalesces(t *testing.T) {
	m := New(Config{Cores: 2})
	al := m.Allocator()
	x, y := al.MustAlloc(0, 64, 64), al.MustAlloc(0, 64, 64)
	var took, tookWhileOff int
	m.Start(0, func(c arch.Core) {
		c.SetInterruptHandler(7, func(arch.Core, arch.Vector, arch.CoreID) { took++ })
		c.SetInterrupts(false)
		c.Store(x, 1)
		c.SpinUntil(y, func(v uint64) bool { return v == 1 }, 0)
		tookWhileOff = took
		c.SetInterrupts(true) // both IPIs coalesced into one delivery here
	})
	m.Start(1, func(c arch.Core) {
		c.SpinUntil(x, func(v uint64) bool { return v == 1 }, 0)
		c.SendIPI(0, 7)
		c.SendIPI(0, 7)
		c.Store(y, 1)
	})
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	if tookWhileOff != 0 || took != 1 {
		t.Fatalf("took %d while masked, %d total; want 0 and 1", tookWhileOff, took)
	}
}

func TestInterruptDuringSpinReevaluatesCond(t *testing.T) {
	m := New(Config{Cores: 2})
	x := m.Allocator().MustAlloc(0, 64, 64)
	flag := false
	m.Start(0, func(c arch.Core) {
		c.SetInterruptHandler(9, func(arch.Core, arch.Vector, arch.CoreID) { flag = true })
		c.Store(x, 1)
		c.SpinUntil(x, func(uint64) bool { return flag }, 0)
	})
	m.Start(1, func(c arch.Core) {
		c.SpinUntil(x, func(v uint64) bool { return v == 1 }, 0)
		c.SendIPI(0, 9)
	})
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
}

func TestHaltMaskedWithNothingPendingPanics(t *testing.T) {
	m := New(Config{})
	m.Start(0, func(c arch.Core) { c.SetInterrupts(false); c.Halt() })
	err := m.Run()
	if err == nil || !strings.Contains(err.Error(), "halted with interrupts disabled") {
		t.Fatalf("err = %v", err)
	}
}

func TestPanicReportedWithStack(t *testing.T) {
	m := New(Config{})
	m.Start(0, func(c arch.Core) { panic("boom") })
	err := m.Run()
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "machine_test.go") {
		t.Fatalf("err = %v", err)
	}
}

func TestBadAddressPanics(t *testing.T) {
	m := New(Config{})
	m.Start(0, func(c arch.Core) { c.Load(3) })
	if err := m.Run(); err == nil || !strings.Contains(err.Error(), "misaligned") {
		t.Fatalf("err = %v", err)
	}
	m = New(Config{})
	m.Start(0, func(c arch.Core) { c.Load(1 << 40) })
	if err := m.Run(); err == nil || !strings.Contains(err.Error(), "outside every memory region") {
		t.Fatalf("err = %v", err)
	}
}

func TestStepLimit(t *testing.T) {
	m := New(Config{MaxSteps: 1000})
	x := m.Allocator().MustAlloc(0, 64, 64)
	m.Start(0, func(c arch.Core) {
		for {
			c.Load(x)
		}
	})
	if err := m.Run(); !errors.Is(err, ErrStepLimit) {
		t.Fatalf("err = %v", err)
	}
}

func TestCostsCharged(t *testing.T) {
	m := New(Config{Costs: Costs{Syscall: 100, SwitchAddressSpace: 300, InvalidateTLBEntry: 50}})
	var d arch.Cycles
	m.Start(0, func(c arch.Core) {
		t0 := c.Now()
		c.Syscall()
		c.SwitchAddressSpace()
		c.InvalidateTLBEntry(0)
		d = c.Now() - t0
	})
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	if d != 450 {
		t.Fatalf("charged %d, want 450", d)
	}
	if s := m.Stats(0); s.Syscalls != 1 || s.AddressSpaceSwitches != 1 || s.TLBInvalidations != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestRecorder(t *testing.T) {
	m := New(Config{Cores: 2})
	al := m.Allocator()
	a, b := al.MustAlloc(0, 128, 64), al.MustAlloc(0, 64, 64)
	var r *Recorder
	var inHandler bool
	m.Start(0, func(c arch.Core) {
		r = NewRecorder(c)
		r.SetInterruptHandler(1, func(hc arch.Core, _ arch.Vector, _ arch.CoreID) {
			inHandler = hc == arch.Core(r)
			hc.Load(b)
		})
		r.Store(a, 1)
		r.Load(a + 8)
		r.Load(a + 64)
		r.Pause()
		r.Load(b + 8) // not recorded
		r.Resume()
		r.Syscall()
		r.Store(b+16, 1)
		r.SpinUntil(b+24, func(v uint64) bool { return v == 5 }, 0)
	})
	m.Start(1, func(c arch.Core) {
		c.SpinUntil(b+16, func(v uint64) bool { return v == 1 }, 0)
		c.SendIPI(0, 1)
		c.Store(b+24, 5)
	})
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	if !inHandler {
		t.Fatal("handler did not get the Recorder")
	}
	lines := r.Lines()
	if len(lines) != 3 || lines[0] != a || lines[1] != a+64 || lines[2] != b {
		t.Fatalf("lines = %#x", lines)
	}
	if w := r.LinesWritten(); len(w) != 2 || w[0] != a || w[1] != b {
		t.Fatalf("written = %#x", w)
	}
	if c := r.Counts(); c.Loads != 3 || c.Stores != 2 || c.Syscalls != 1 || c.Spins != 1 {
		t.Fatalf("counts = %+v", c)
	}
	if !strings.Contains(r.String(), "RW") {
		t.Fatalf("String = %q", r.String())
	}
}
