package kernel

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"mksim/arch"
	"mksim/arch/archtest"
)

func boot(c arch.Core, m *archtest.Machine, al *arch.FrameAllocator, o Options) *CPUDriver {
	k, err := Boot(c, al, m.Info(c.ID()).Node, o)
	if err != nil {
		panic(err)
	}
	return k
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// runOne boots a CPU driver on core 0 of a fresh machine, lets setup create
// dispatchers, and runs it. It returns the driver and Run's error.
// mPeek reads memory of the machine runOne is running (a test back door).
var mPeek func(arch.Addr) uint64

func runOne(t *testing.T, cfg archtest.Config, o Options, setup func(k *CPUDriver)) (*CPUDriver, *archtest.Machine, error) {
	t.Helper()
	m := archtest.New(cfg)
	mPeek = m.Peek
	al := m.Allocator()
	var k *CPUDriver
	var kerr error
	m.Start(0, func(c arch.Core) {
		k = boot(c, m, al, o)
		setup(k)
		kerr = k.Run()
	})
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	return k, m, kerr
}

func TestLRPCBench(t *testing.T) {
	for _, same := range []bool{false, true} {
		m := archtest.New(archtest.Config{Costs: archtest.Costs{Syscall: 100, SwitchAddressSpace: 200}})
		al := m.Allocator()
		var ab, ba []arch.Cycles
		var err error
		var k *CPUDriver
		m.Start(0, func(c arch.Core) {
			k = boot(c, m, al, Options{})
			ab, ba, err = k.LRPCBench(50, same)
		})
		if e := m.Run(); e != nil {
			t.Fatal(e)
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(ab) != 50 || len(ba) != 50 {
			t.Fatalf("got %d and %d samples", len(ab), len(ba))
		}
		// Steady state: every one-way trip after warm-up costs the same
		// on the functional fake.
		if slices.Min(ab[5:]) != slices.Max(ab[5:]) {
			t.Fatalf("one-way latency varies in steady state: %v", ab)
		}
		s := k.Stats()
		t.Logf("same vspace %v: one-way A->B %d, B->A %d cycles; %+v", same, ab[10], ba[10], s)
		if s.LRPCFast != 100 || s.LRPCSlow != 0 {
			t.Fatalf("fast %d slow %d, want 100 fast", s.LRPCFast, s.LRPCSlow)
		}
		if same && s.AddressSpaceSwitches != 1 || !same && s.AddressSpaceSwitches < 100 {
			t.Fatalf("address-space switches %d with same=%v", s.AddressSpaceSwitches, same)
		}
		if !same && ab[10]-ba[10] > 1 && ba[10]-ab[10] > 1 {
			t.Fatalf("asymmetric one-way latencies %d and %d", ab[10], ba[10])
		}
	}
}

// LRPC carries the right words, in order, and the receiver's user code
// sees them whether it was blocked in Recv (stream) or mid-call (ping-pong).
func TestLRPCInOrderStream(t *testing.T) {
	const n = 100
	var got []uint64
	var ca, cb *LMPChan
	k, _, err := runOne(t, archtest.Config{}, Options{}, func(k *CPUDriver) {
		a := must(k.NewDispatcher(DispatcherConfig{Name: "a"}, func(d *Dispatcher) {
			for i := uint64(0); i < n; i++ {
				if err := ca.LRPC([4]uint64{i, i * 2, i * 3, i * 4}); err != nil {
					panic(err)
				}
			}
		}))
		b := must(k.NewDispatcher(DispatcherConfig{Name: "b"}, func(d *Dispatcher) {
			for i := 0; i < n; i++ {
				m := cb.Recv()
				if m.Len != 4 || m.Words[1] != 2*m.Words[0] || m.Words[3] != 4*m.Words[0] {
					panic(fmt.Sprintf("bad message %v", m))
				}
				got = append(got, m.Words[0])
			}
		}))
		ca, cb = must2(k.NewLMPChannel(a, b))
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != uint64(i) {
			t.Fatalf("message %d carries %d", i, v)
		}
	}
	if len(got) != n {
		t.Fatalf("received %d of %d", len(got), n)
	}
	s := k.Stats()
	if s.Yields == 0 || s.LRPCFast == 0 {
		t.Fatalf("expected the receiver to block between messages: %+v", s)
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// LMP without the fast path: the buffer holds 22 words, one kept free, so
// four 4-word messages (5 words each with the header) fit and the fifth
// overflows; the receiver gets them in order with the right lengths.
func TestLMPSendBufferAndOrder(t *testing.T) {
	var errs []error
	var got []LMPMsg
	var ca, cb *LMPChan
	_, _, err := runOne(t, archtest.Config{}, Options{}, func(k *CPUDriver) {
		a := must(k.NewDispatcher(DispatcherConfig{Name: "a"}, func(d *Dispatcher) {
			for i := uint64(1); i <= 5; i++ {
				errs = append(errs, ca.Send([]uint64{i, i, i, i}, 0))
			}
			// Wait for b to drain, then a longer message.
			for ca.peer.d.Alive() && len(got) < 4 {
				d.Yield()
			}
			errs = append(errs, ca.Send([]uint64{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, FlagSync))
		}))
		b := must(k.NewDispatcher(DispatcherConfig{Name: "b"}, func(d *Dispatcher) {
			for i := 0; i < 5; i++ {
				got = append(got, cb.Recv())
			}
		}))
		ca, cb = must2(k.NewLMPChannel(a, b))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []error{nil, nil, nil, nil, ErrLMPBufOverflow, nil}
	if len(errs) != len(want) {
		t.Fatalf("send results %v", errs)
	}
	for i := range want {
		if !errors.Is(errs[i], want[i]) && errs[i] != want[i] {
			t.Fatalf("send %d: %v, want %v", i, errs[i], want[i])
		}
	}
	if len(got) != 5 || got[3].Words[0] != 4 || got[4].Len != 10 || got[4].Words[9] != 0 || got[4].Words[0] != 9 {
		t.Fatalf("received %v", got)
	}
}

// Hard real-time dispatchers released together run earliest deadline first.
func TestEDFOrder(t *testing.T) {
	var order []string
	deadlines := map[string]arch.Cycles{"d300": 300_000, "d100": 100_000, "d200": 200_000, "d150": 150_000}
	names := []string{"d300", "d100", "d200", "d150"}
	_, _, err := runOne(t, archtest.Config{}, Options{}, func(k *CPUDriver) {
		for _, n := range names {
			n := n
			must(k.NewDispatcher(DispatcherConfig{Name: n, Type: HardRT, WCET: 10_000, Period: 1_000_000,
				Deadline: deadlines[n]}, func(d *Dispatcher) {
				order = append(order, n)
			}))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "d100 d150 d200 d300" {
		t.Fatalf("ran %s, want EDF order d100 d150 d200 d300", got)
	}
}

// Real-time reservations are admitted only up to 1 - BETA.
func TestRBEDAdmission(t *testing.T) {
	_, _, _ = runOne(t, archtest.Config{}, Options{}, func(k *CPUDriver) {
		if _, err := k.NewDispatcher(DispatcherConfig{Type: HardRT, WCET: 500, Period: 1000}, func(*Dispatcher) {}); err != nil {
			t.Error(err)
		}
		if _, err := k.NewDispatcher(DispatcherConfig{Type: SoftRT, WCET: 450, Period: 1000}, func(*Dispatcher) {}); err == nil {
			t.Error("overload admitted")
		}
	})
}

// Best-effort dispatchers that yield take turns (round robin).
func TestBestEffortRoundRobin(t *testing.T) {
	var trace []string
	_, _, err := runOne(t, archtest.Config{}, Options{}, func(k *CPUDriver) {
		for _, n := range []string{"x", "y", "z"} {
			n := n
			must(k.NewDispatcher(DispatcherConfig{Name: n}, func(d *Dispatcher) {
				for i := 0; i < 3; i++ {
					trace = append(trace, n)
					d.Yield()
				}
			}))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(trace, ""); got != "xyzxyzxyz" {
		t.Fatalf("trace %s, want xyzxyzxyz", got)
	}
}

// A higher-weight best-effort task gets a larger budget per period.
func TestBestEffortWeights(t *testing.T) {
	var wa, wb uint64
	var da, db *Dispatcher
	_, _, err := runOne(t, archtest.Config{}, Options{Timeslice: 10_000}, func(k *CPUDriver) {
		da = must(k.NewDispatcher(DispatcherConfig{Name: "a", Weight: 3}, func(d *Dispatcher) {
			d.Yield()
			d.Yield()
		}))
		db = must(k.NewDispatcher(DispatcherConfig{Name: "b", Weight: 1}, func(d *Dispatcher) {
			d.Yield()
			// a has run twice and b once, all with both runnable.
			wa, wb = mPeek(word(da.dcb, dcbWCET)), mPeek(word(db.dcb, dcbWCET))
			d.Yield()
		}))
	})
	if err != nil {
		t.Fatal(err)
	}
	if wa != 3*wb || wa != 15_000 {
		t.Fatalf("wcet a=%d b=%d, want 15000 and 5000 (3:1 of a 20000-cycle period)", wa, wb)
	}
}

func TestDispatcherPanicIsReported(t *testing.T) {
	m := archtest.New(archtest.Config{})
	al := m.Allocator()
	m.Start(0, func(c arch.Core) {
		k := boot(c, m, al, Options{})
		must(k.NewDispatcher(DispatcherConfig{Name: "bad"}, func(d *Dispatcher) {
			d.Core().Compute(1)
			panic("oops")
		}))
		k.Run()
	})
	err := m.Run()
	if err == nil || !strings.Contains(err.Error(), "oops") || !strings.Contains(err.Error(), "kernel_test.go") {
		t.Fatalf("err = %v", err)
	}
}

func TestStuckReported(t *testing.T) {
	var cb *LMPChan
	_, _, err := runOne(t, archtest.Config{}, Options{}, func(k *CPUDriver) {
		a := must(k.NewDispatcher(DispatcherConfig{}, func(d *Dispatcher) {}))
		b := must(k.NewDispatcher(DispatcherConfig{}, func(d *Dispatcher) { cb.Recv() }))
		_, cb = must2(k.NewLMPChannel(a, b))
	})
	if !errors.Is(err, ErrStuck) {
		t.Fatalf("err = %v, want ErrStuck", err)
	}
}

func TestBadCapabilities(t *testing.T) {
	var errs []error
	var ca *LMPChan
	_, _, err := runOne(t, archtest.Config{}, Options{}, func(k *CPUDriver) {
		a := must(k.NewDispatcher(DispatcherConfig{}, func(d *Dispatcher) {
			c := d.Core()
			remote := word(ca.base, chRemote)
			good := c.Load(remote)
			c.Store(remote, 0) // slot 0 holds the dispatcher cap
			errs = append(errs, ca.LRPC([4]uint64{}))
			c.Store(remote, 99) // beyond the CNode
			errs = append(errs, ca.Send(nil, 0))
			c.Store(remote, 5) // an empty slot
			errs = append(errs, ca.LRPC([4]uint64{}))
			c.Store(remote, good)
			errs = append(errs, ca.LRPC([4]uint64{}))
		}))
		b := must(k.NewDispatcher(DispatcherConfig{}, func(d *Dispatcher) {}))
		ca, _ = must2(k.NewLMPChannel(a, b))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []error{ErrNotEndpoint, ErrSlotInvalid, ErrNotEndpoint, nil}
	if fmt.Sprint(errs) != fmt.Sprint(want) {
		t.Fatalf("errors %v, want %v", errs, want)
	}
}

// lrpcLines runs a ping-pong under a Recorder and returns the distinct lines
// touched by one steady-state one-way LRPC (A's send to B's receive), split
// into user-sender, kernel and user-receiver parts by the dispatcher frames
// and kernel objects they belong to.
func TestLinesPerLRPC(t *testing.T) {
	m := archtest.New(archtest.Config{})
	al := m.Allocator()
	var rec *archtest.Recorder
	var lines []arch.Addr
	var counts archtest.Counts
	var ca, cb *LMPChan
	var k *CPUDriver
	m.Start(0, func(c arch.Core) {
		rec = archtest.NewRecorder(c)
		k = boot(rec, m, al, Options{})
		a := must(k.NewDispatcher(DispatcherConfig{Name: "a"}, func(d *Dispatcher) {
			for i := 0; i < 20; i++ {
				if i == 10 {
					rec.Reset()
				}
				ca.LRPC([4]uint64{uint64(i)})
				ca.Recv()
			}
		}))
		b := must(k.NewDispatcher(DispatcherConfig{Name: "b"}, func(d *Dispatcher) {
			for i := 0; i < 20; i++ {
				cb.Recv()
				if i == 10 {
					lines, counts = rec.Lines(), rec.Counts()
				}
				cb.LRPC([4]uint64{uint64(i)})
			}
		}))
		ca, cb = must2(k.NewLMPChannel(a, b))
		if err := k.Run(); err != nil {
			panic(err)
		}
	})
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	ds := k.Dispatchers()
	var byOwner = map[string]int{}
	for _, l := range lines {
		switch {
		case l >= ds[0].frame && l < ds[0].frame+frameBytes:
			byOwner["a frame"]++
		case l >= ds[1].frame && l < ds[1].frame+frameBytes:
			byOwner["b frame"]++
		case l >= k.kcb && l < k.kcb+kcbWords*8:
			byOwner["kcb"]++
		case l == ds[0].dcb || l == ds[1].dcb || l == ds[0].dcb+64 || l == ds[1].dcb+64:
			byOwner["dcb"]++
		case l >= ds[0].cnode && l < ds[0].cnode+4096 || l >= ds[1].cnode && l < ds[1].cnode+4096:
			byOwner["cnode"]++
		default:
			byOwner["other"]++
		}
	}
	t.Logf("one-way LRPC touches %d distinct lines %v; loads %d stores %d syscalls %d as-switches %d compute %d",
		len(lines), byOwner, counts.Loads, counts.Stores, counts.Syscalls, counts.AddressSpaceSwitches, counts.Computed)
	if byOwner["other"] != 0 || counts.Syscalls != 1 || counts.AddressSpaceSwitches != 1 {
		t.Fatalf("unexpected footprint %v %+v", byOwner, counts)
	}
	if len(lines) != wantLRPCLines {
		t.Fatalf("one-way LRPC touches %d lines, want %d (update wantLRPCLines if the code path changed on purpose)", len(lines), wantLRPCLines)
	}
}

// wantLRPCLines pins the D-cache footprint of a one-way LRPC.
const wantLRPCLines = 17

// Two CPU drivers on two cores use disjoint memory: no line is touched by
// both cores.
func TestCPUDriversShareNoMemory(t *testing.T) {
	m := archtest.New(archtest.Config{Cores: 2, CoresPerPackage: 1, Seed: 5})
	al := m.Allocator()
	var recs [2]*archtest.Recorder
	for i := 0; i < 2; i++ {
		i := i
		m.Start(arch.CoreID(i), func(c arch.Core) {
			recs[i] = archtest.NewRecorder(c)
			k := boot(recs[i], m, al, Options{})
			if _, _, err := k.LRPCBench(30, false); err != nil {
				panic(err)
			}
		})
	}
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	t0 := recs[0].Touched()
	for _, l := range recs[1].Lines() {
		if _, ok := t0[l]; ok {
			t.Fatalf("line %#x touched by both CPU drivers", uint64(l))
		}
	}
	if len(t0) == 0 || len(recs[1].Lines()) == 0 {
		t.Fatal("nothing recorded")
	}
}

// A dispatcher blocked until a notification (Halt) lets the other
// dispatcher of its core run; an IPI from another core wakes it through the
// kernel's IRQ routing, and its handler runs in its own context.
func TestNotificationWakesBlockedDispatcher(t *testing.T) {
	const vec = 0x50
	for seed := uint64(0); seed < 30; seed++ {
		m := archtest.New(archtest.Config{Cores: 2, Seed: seed})
		al := m.Allocator()
		ready, data := al.MustAlloc(0, 64, 64), al.MustAlloc(0, 64, 64)
		var got []uint64
		var workerRan int
		var handlerOK = true
		var k *CPUDriver
		m.Start(1, func(c arch.Core) {
			k = boot(c, m, al, Options{})
			must(k.NewDispatcher(DispatcherConfig{Name: "waiter"}, func(d *Dispatcher) {
				uc := d.Core()
				rung := false
				uc.SetInterruptHandler(vec, func(hc arch.Core, v arch.Vector, from arch.CoreID) {
					handlerOK = handlerOK && hc == uc && v == vec && from == 0
					rung = true
				})
				for i := uint64(1); i <= 5; i++ {
					rung = false
					uc.Store(ready, i) // "waiting for message i"
					for !rung && uc.Load(data) < i {
						uc.Halt()
					}
					uc.SpinUntil(data, func(v uint64) bool { return v >= i }, 0)
					got = append(got, uc.Load(data))
				}
			}))
			must(k.NewDispatcher(DispatcherConfig{Name: "worker"}, func(d *Dispatcher) {
				for i := 0; i < 50; i++ {
					workerRan++
					d.Core().Compute(10)
					d.Yield()
				}
			}))
			if err := k.Run(); err != nil {
				panic(err)
			}
		})
		m.Start(0, func(c arch.Core) {
			for i := uint64(1); i <= 5; i++ {
				c.SpinUntil(ready, func(v uint64) bool { return v >= i }, 0)
				c.Compute(int64(seed * 13 % 200))
				c.Store(data, i)
				c.SendIPI(1, vec)
			}
		})
		if err := m.Run(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if fmt.Sprint(got) != "[1 2 3 4 5]" || !handlerOK || workerRan != 50 {
			t.Fatalf("seed %d: got %v handler ok %v worker %d", seed, got, handlerOK, workerRan)
		}
		if k.Stats().IRQs == 0 {
			t.Fatalf("seed %d: no IRQ taken", seed)
		}
	}
}

// Interrupts at random points (including inside upcalls, while dispatchers
// are disabled) preempt and resume dispatchers without disturbing an LRPC
// ping-pong and an LMP stream running on the same core.
func TestInterruptStress(t *testing.T) {
	const vec = 0x60
	var preempt, resumes int64
	for seed := uint64(0); seed < 12; seed++ {
		m := archtest.New(archtest.Config{Cores: 2, Seed: seed})
		al := m.Allocator()
		stop := al.MustAlloc(0, 64, 64)
		var k *CPUDriver
		var bad error
		m.Start(0, func(c arch.Core) {
			k = boot(c, m, al, Options{})
			var ca, cb, cs, cr *LMPChan
			a := must(k.NewDispatcher(DispatcherConfig{Name: "a"}, func(d *Dispatcher) {
				for i := uint64(0); i < 60; i++ {
					if err := ca.LRPC([4]uint64{i, ^i}); err != nil {
						panic(err)
					}
					if m := ca.Recv(); m.Words[0] != i+1000 && bad == nil {
						bad = fmt.Errorf("a got %v for %d", m, i)
					}
				}
			}))
			b := must(k.NewDispatcher(DispatcherConfig{Name: "b"}, func(d *Dispatcher) {
				for i := uint64(0); i < 60; i++ {
					m := cb.Recv()
					if (m.Words[0] != i || m.Words[1] != ^i) && bad == nil {
						bad = fmt.Errorf("b got %v for %d", m, i)
					}
					if err := cb.LRPC([4]uint64{i + 1000}); err != nil {
						panic(err)
					}
				}
			}))
			// A notified dispatcher that counts IRQs and an LMP stream.
			must(k.NewDispatcher(DispatcherConfig{Name: "irq"}, func(d *Dispatcher) {
				uc := d.Core()
				uc.SetInterruptHandler(vec, func(arch.Core, arch.Vector, arch.CoreID) {})
				for uc.Load(stop) == 0 {
					uc.Halt()
				}
			}))
			s := must(k.NewDispatcher(DispatcherConfig{Name: "s"}, func(d *Dispatcher) {
				for i := uint64(0); i < 40; i++ {
					for cs.Send([]uint64{i}, 0) != nil {
						d.Yield()
					}
				}
			}))
			r := must(k.NewDispatcher(DispatcherConfig{Name: "r"}, func(d *Dispatcher) {
				for i := uint64(0); i < 40; i++ {
					if m := cr.Recv(); m.Words[0] != i && bad == nil {
						bad = fmt.Errorf("r got %v for %d", m, i)
					}
				}
				d.Core().Store(stop, 1)
			}))
			ca, cb = must2(k.NewLMPChannel(a, b))
			cs, cr = must2(k.NewLMPChannel(s, r))
			if err := k.Run(); err != nil {
				panic(err)
			}
		})
		m.Start(1, func(c arch.Core) {
			// Pace the interrupts by core 0's progress: the timed spin
			// expires once core 0's clock has passed the deadline.
			rng := rand.New(rand.NewPCG(seed, 9))
			for {
				if _, done := c.SpinUntil(stop, func(v uint64) bool { return v != 0 }, arch.Cycles(1+rng.IntN(1500))); done {
					break
				}
				c.SendIPI(0, vec)
			}
			c.SendIPI(0, vec)
		})
		if err := m.Run(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if bad != nil {
			t.Fatalf("seed %d: %v", seed, bad)
		}
		preempt += k.Stats().Preemptions
		resumes += k.Stats().Resumes
	}
	t.Logf("preemptions %d, resumes from the disabled area %d", preempt, resumes)
	if preempt == 0 || resumes == 0 {
		t.Fatalf("stress did not preempt (%d) or resume disabled dispatchers (%d)", preempt, resumes)
	}
}
