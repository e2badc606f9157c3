package cores

import (
	"testing"

	"mksim/arch"
	"mksim/sim"
	"mksim/sim/mem"
)

const flagAddr = 0x4000

// spinScenario: core 1 works for a while (L1-hit loads over private data,
// interleaved with misses if noisy), then sets the flag; core 0 waits for
// it, either with SpinUntil or with the naive loop SpinUntil stands for. A
// third core, if noisy, streams misses the whole time, so there are events
// the spinner could wake up for.
type spinResult struct {
	done    sim.Time // core 0's clock when it saw the flag
	ok      bool
	loads   uint64 // core 0's loads (SpinUntil counts the skipped ones)
	resumes uint64 // switches into core 0
	events  uint64 // engine events in the whole run
}

func spinRun(t *testing.T, naive, watch, noisy, held bool, maxCycles arch.Cycles, poll arch.Cycles) spinResult {
	t.Helper()
	r := newRig(3, 1, func(i int) Config {
		c := testConfig(ns)
		c.SpinPollCycles = poll
		return c
	})
	defer r.close()
	if !watch {
		r.cores[0].SetWatcher(nil)
	}
	for a := mem.Addr(0x8000); a < 0x8000+64*64; a += 64 {
		r.m.hold(1, a)
	}
	if held {
		r.m.hold(0, flagAddr)
	}
	var res spinResult
	c0 := r.cores[0]
	spinner := func(c arch.Core) {
		if naive {
			var deadline sim.Time = sim.Never
			if maxCycles > 0 {
				deadline = c0.Time() + sim.Time(maxCycles)*ns
			}
			for {
				v := c.Load(flagAddr)
				c.Compute(2) // SpinLoopCycles at CPI 1
				if v == 1 {
					res.ok = true
					break
				}
				if c0.Time() >= deadline {
					break
				}
			}
		} else {
			_, res.ok = c.SpinUntil(flagAddr, func(v uint64) bool { return v == 1 }, maxCycles)
		}
		res.done = c0.Time()
	}
	writer := func(c arch.Core) {
		for i := 0; i < 20000; i++ {
			c.Load(arch.Addr(0x8000 + 8*(i%512)))
			if noisy && i%1000 == 999 {
				c.Load(arch.Addr(0x20000 + 64*(i/1000))) // a miss: events
			}
		}
		c.Store(flagAddr, 1)
	}
	var noise arch.Program
	if noisy {
		noise = func(c arch.Core) {
			for i := 0; i < 400; i++ {
				c.Load(arch.Addr(0x80000 + 64*i))
				c.Compute(37)
			}
		}
	}
	r.run(t, spinner, writer, noise)
	s := c0.Stats()
	res.loads, res.resumes = s.Loads, s.Resumes
	res.events = r.eng.Stats().Events
	return res
}

func TestSpinUntilMatchesNaiveLoop(t *testing.T) {
	iter := sim.Time(3*ns/2 /* hit */ + 2*ns)
	for _, tc := range []struct {
		name               string
		watch, noisy, held bool
		poll               arch.Cycles
	}{
		{"watch", true, false, true, 0},
		{"watch/cold", true, false, false, 0},
		{"watch/noisy", true, true, true, 0},
		{"fallback", false, false, true, 0},
		{"fallback/noisy", false, true, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := spinRun(t, true, tc.watch, tc.noisy, tc.held, 0, tc.poll)
			s := spinRun(t, false, tc.watch, tc.noisy, tc.held, 0, tc.poll)
			if !n.ok || !s.ok {
				t.Fatalf("flag not seen: naive %v, spin %v", n.ok, s.ok)
			}
			d := s.done - n.done
			if d < 0 {
				d = -d
			}
			if d > iter {
				t.Errorf("SpinUntil returned at %v, the naive loop at %v: more than one iteration (%v) apart", s.done, n.done, iter)
			}
			dl := int64(s.loads) - int64(n.loads)
			if dl < -1 || dl > 1 {
				t.Errorf("SpinUntil counted %d loads, the naive loop made %d", s.loads, n.loads)
			}
			t.Logf("naive: done %v, %d loads, %d resumes, %d events; SpinUntil: done %v, %d resumes, %d events",
				n.done, n.loads, n.resumes, n.events, s.done, s.resumes, s.events)
			if tc.watch && s.events*10 > n.events {
				t.Errorf("SpinUntil ran %d events, the naive loop %d: want far fewer", s.events, n.events)
			}
			if s.resumes > n.resumes {
				t.Errorf("SpinUntil resumed %d times, more than the naive loop's %d", s.resumes, n.resumes)
			}
		})
	}
}

func TestSpinUntilTimeout(t *testing.T) {
	iter := sim.Time(3*ns/2 + 2*ns)
	for _, watch := range []bool{true, false} {
		n := spinRun(t, true, watch, true, true, 5000, 0)
		s := spinRun(t, false, watch, true, true, 5000, 0)
		if n.ok || s.ok {
			t.Fatalf("watch=%v: flag seen before the timeout: naive %v spin %v", watch, n.ok, s.ok)
		}
		d := s.done - n.done
		if d < 0 {
			d = -d
		}
		if d > iter {
			t.Errorf("watch=%v: timed out at %v, naive loop at %v", watch, s.done, n.done)
		}
		if s.done < 5000*ns {
			t.Errorf("watch=%v: gave up at %v, before 5000 cycles", watch, s.done)
		}
	}
}

func TestSpinUntilLaxPolling(t *testing.T) {
	// With SpinPollCycles the fallback may be late by up to the period.
	n := spinRun(t, true, false, true, true, 0, 0)
	s := spinRun(t, false, false, true, true, 0, 500)
	if !s.ok || s.done < n.done-4*ns || s.done > n.done+500*ns+4*ns {
		t.Errorf("lax polling returned at %v (ok %v), naive at %v", s.done, s.ok, n.done)
	}
	exact := spinRun(t, false, false, true, true, 0, 0)
	t.Logf("fallback resumes: exact %d, lax %d", exact.resumes, s.resumes)
	if s.resumes > exact.resumes {
		t.Errorf("lax polling resumed more (%d) than exact (%d)", s.resumes, exact.resumes)
	}
}

func TestSpinUntilSeesOwnBufferedStore(t *testing.T) {
	r := newRig(1, 1, nil)
	defer r.close()
	var v uint64
	var ok bool
	r.run(t, func(c arch.Core) {
		c.Store(flagAddr, 3) // a miss: stays buffered for a while
		v, ok = c.SpinUntil(flagAddr, func(v uint64) bool { return v == 3 }, 0)
	})
	if !ok || v != 3 {
		t.Errorf("got %d %v", v, ok)
	}
}

func TestMixedClocks(t *testing.T) {
	// Core 0 at 2 GHz, core 1 at 3 GHz; the flag's line starts in core 1's
	// L1 so core 0's store must take it away (60 ns).
	r := newRig(2, 1, func(i int) Config {
		if i == 0 {
			return testConfig(500)
		}
		return testConfig(333)
	})
	defer r.close()
	r.m.hold(1, flagAddr)
	var storeAt, seenAt arch.Cycles
	r.run(t,
		func(c arch.Core) {
			c.Compute(1000)
			storeAt = c.Now()
			c.Store(flagAddr, 1)
		},
		func(c arch.Core) {
			c.SpinUntil(flagAddr, func(v uint64) bool { return v == 1 }, 0)
			seenAt = c.Now()
		})
	if storeAt != 1000 {
		t.Errorf("core 0 stored at %d of its cycles, want 1000", storeAt)
	}
	// Store issued at 500 ns + 0.5 (Now) ; enters the buffer at 501 ns,
	// drains at 501.5, visible at 561.5 ns; core 1 notices at its next
	// iteration boundary (< 2.4 ns later) and misses (60 ns): about 622 ns,
	// 1868 cycles at 333 ps.
	want := arch.Cycles((561500 + 60000) / 333)
	if seenAt < want || seenAt > want+10 {
		t.Errorf("core 1 saw the flag at %d of its cycles, want about %d", seenAt, want)
	}
}

func TestFlatPortMessagePassing(t *testing.T) {
	for _, naive := range []bool{false, true} {
		eng := sim.New(1)
		fp := NewFlatPort(2 * ns)
		c0 := New(eng, 0, testConfig(ns), fp, nil)
		c1 := New(eng, 1, testConfig(ns), fp, nil)
		var got [2]uint64
		var at arch.Cycles
		c0.Start(func(c arch.Core) {
			c.Compute(3000)
			c.Store(0x1008, 77)
			c.Store(0x1000, 1)
		})
		c1.Start(func(c arch.Core) {
			if naive {
				for {
					v := c.Load(0x1000)
					c.Compute(2)
					if v == 1 {
						break
					}
				}
			} else {
				c.SpinUntil(0x1000, func(v uint64) bool { return v == 1 }, 0)
			}
			at = c.Now()
			got[0], got[1] = c.Load(0x1000), c.Load(0x1008)
		})
		if err := RunAll(eng, []*Core{c0, c1}); err != nil {
			t.Fatal(err)
		}
		// The flag drains at 3000 + 1 + 1 + 1 (after the data at 3002); the
		// poll period is 4 cycles.
		if got != [2]uint64{1, 77} || at < 3003 || at > 3003+4+4 {
			t.Errorf("naive=%v: got %v at %d", naive, got, at)
		}
		t.Logf("naive=%v: seen at %d, %d events", naive, at, eng.Stats().Events)
	}
}
