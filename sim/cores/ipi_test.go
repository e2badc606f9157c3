package cores

import (
	"strings"
	"testing"

	"mksim/arch"
	"mksim/sim"
)

// newRig's fabric delivers in 500 ns (500 cycles at 1 GHz); the trap costs
// 800 cycles and sending 100.

func TestIPIWakesHaltedCore(t *testing.T) {
	r := newRig(2, 1, nil)
	defer r.close()
	var sentAt, afterSend, handlerAt, haltReturned arch.Cycles
	var from arch.CoreID = -1
	var vec arch.Vector
	r.cores[1].SetInterruptHandler(7, func(c arch.Core, v arch.Vector, f arch.CoreID) {
		handlerAt = c.Now()
		vec, from = v, f
	})
	r.run(t,
		func(c arch.Core) {
			c.Compute(1000)
			sentAt = c.Now()
			c.SendIPI(1, 7)
			afterSend = c.Now()
		},
		func(c arch.Core) {
			c.SetInterrupts(true)
			c.Halt()
			haltReturned = c.Now()
		})
	// Now() costs a cycle: the IPI leaves at 1001, arrives at 1501, the
	// handler starts after the 800-cycle trap.
	if afterSend-sentAt != 1+100 {
		t.Errorf("sending took %d cycles, want 1 + 100", afterSend-sentAt)
	}
	if handlerAt != 1001+500+800 {
		t.Errorf("handler ran at %d, want %d", handlerAt, 1001+500+800)
	}
	if vec != 7 || from != 0 {
		t.Errorf("handler got vector %d from %v", vec, from)
	}
	if haltReturned <= handlerAt {
		t.Errorf("Halt returned at %d, before the handler ran at %d", haltReturned, handlerAt)
	}
	s := r.cores[1].Stats()
	if s.Interrupts != 1 || s.IPIsReceived != 1 || s.HaltedTime != 1501*ns {
		t.Errorf("target stats: %+v", s)
	}
}

func TestIPIInterruptsCompute(t *testing.T) {
	r := newRig(2, 1, nil)
	defer r.close()
	var handlerAt, end arch.Cycles
	r.cores[1].SetInterruptHandler(1, func(c arch.Core, v arch.Vector, f arch.CoreID) {
		handlerAt = c.Now()
		c.Compute(50)
	})
	r.run(t,
		func(c arch.Core) { c.SendIPI(1, 1) },
		func(c arch.Core) {
			c.SetInterrupts(true) // costs nothing
			c.Compute(100000)
			end = c.Now()
		})
	if handlerAt != 500+800 {
		t.Errorf("handler ran at %d, want 1300 (arrival + trap, in the middle of Compute)", handlerAt)
	}
	// 100000 of work + 800 trap + 1 (Now) + 50 handler work.
	if want := arch.Cycles(100000 + 800 + 1 + 50); end != want {
		t.Errorf("compute ended at %d, want %d", end, want)
	}
}

func TestInterruptsDisabledStayPending(t *testing.T) {
	r := newRig(2, 1, nil)
	defer r.close()
	var handlerAt, enabledAt arch.Cycles
	var haltReturnedAt arch.Cycles
	r.cores[1].SetInterruptHandler(2, func(c arch.Core, v arch.Vector, f arch.CoreID) {
		handlerAt = c.Now()
	})
	r.run(t,
		func(c arch.Core) { c.SendIPI(1, 2) },
		func(c arch.Core) {
			c.SetInterrupts(false)
			c.Compute(2000)
			c.Halt() // pending and disabled: returns at once, handler not run
			haltReturnedAt = c.Now()
			if handlerAt != 0 {
				panic("handler ran with interrupts disabled")
			}
			enabledAt = c.Now()
			c.SetInterrupts(true)
			c.Compute(10) // the next instruction boundary takes it
		})
	if haltReturnedAt != 2000 {
		t.Errorf("Halt returned at %d, want 2000", haltReturnedAt)
	}
	if handlerAt != enabledAt+1+800 {
		t.Errorf("handler at %d, enabled at %d", handlerAt, enabledAt)
	}
}

func TestHaltDisabledPanics(t *testing.T) {
	r := newRig(1, 1, nil)
	defer func() {
		p := recover()
		if ie, ok := p.(*sim.InvariantError); !ok || !strings.Contains(ie.Error(), "never return") {
			t.Fatalf("recovered %v", p)
		}
	}()
	r.cores[0].Start(func(c arch.Core) {
		c.SetInterrupts(false)
		c.Halt()
	})
	r.g.Run()
}

func TestIdleCoreRunsHandler(t *testing.T) {
	// Core 1 has no program; its handler answers core 0's IPI by storing to
	// memory, which core 0 polls.
	r := newRig(2, 1, nil)
	defer r.close()
	r.cores[1].SetInterruptHandler(3, func(c arch.Core, v arch.Vector, f arch.CoreID) {
		c.Store(flagAddr, uint64(f)+100)
	})
	var got uint64
	var at arch.Cycles
	r.run(t, func(c arch.Core) {
		c.SendIPI(1, 3)
		got, _ = c.SpinUntil(flagAddr, func(v uint64) bool { return v != 0 }, 0)
		at = c.Now()
	}, nil)
	if got != 100 {
		t.Errorf("got %d", got)
	}
	if at < 500+800 {
		t.Errorf("answer seen at %d, before delivery plus trap", at)
	}
	// A core whose program has returned takes interrupts too.
	r.run(t, func(c arch.Core) {
		c.Store(flagAddr, 0)
		c.SendIPI(1, 3)
		got, _ = c.SpinUntil(flagAddr, func(v uint64) bool { return v != 0 }, 0)
	}, func(c arch.Core) {})
	if got != 100 {
		t.Errorf("second run got %d", got)
	}
}

func TestIPIInterruptsSpin(t *testing.T) {
	r := newRig(2, 1, nil)
	defer r.close()
	r.m.hold(1, flagAddr)
	var handlerAt, seenAt arch.Cycles
	r.cores[1].SetInterruptHandler(4, func(c arch.Core, v arch.Vector, f arch.CoreID) {
		handlerAt = c.Now()
	})
	r.run(t,
		func(c arch.Core) {
			c.SendIPI(1, 4)
			c.Compute(5000)
			c.Store(flagAddr, 1)
		},
		func(c arch.Core) {
			c.SetInterrupts(true)
			c.SpinUntil(flagAddr, func(v uint64) bool { return v == 1 }, 0)
			seenAt = c.Now()
		})
	if handlerAt < 500+800 || handlerAt > 500+800+4 {
		t.Errorf("handler ran at %d, want about 1300", handlerAt)
	}
	if seenAt < 5100 {
		t.Errorf("flag seen at %d", seenAt)
	}
	if s := r.cores[1].Stats(); s.Interrupts != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestSpuriousInterruptCounted(t *testing.T) {
	r := newRig(2, 1, nil)
	defer r.close()
	r.run(t, func(c arch.Core) {
		c.SendIPI(1, 9)
		c.Compute(2000)
	}, nil)
	if s := r.cores[1].Stats(); s.SpuriousInterrupts != 1 || s.Interrupts != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestKernelEntryCosts(t *testing.T) {
	cfg := testConfig(ns)
	cfg.SyscallCycles, cfg.AddrSpaceSwitchCycles, cfg.InvlpgCycles = 70, 300, 120
	r := newRig(1, 1, func(int) Config { return cfg })
	defer r.close()
	var d [3]arch.Cycles
	r.run(t, func(c arch.Core) {
		t0 := c.Now()
		c.Syscall()
		t1 := c.Now()
		c.SwitchAddressSpace()
		t2 := c.Now()
		c.InvalidateTLBEntry(0x1000)
		t3 := c.Now()
		d = [3]arch.Cycles{t1 - t0 - 1, t2 - t1 - 1, t3 - t2 - 1}
	})
	if d != [3]arch.Cycles{70, 300, 120} {
		t.Errorf("costs %v", d)
	}
}
