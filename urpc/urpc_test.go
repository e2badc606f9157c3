package urpc

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"mksim/arch"
	"mksim/arch/archtest"
)

func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []Header{{0, TypeAck, 0}, {1, 5, 65535}, {1, TypeCapAck, 12345}, {0, MaxType, 1}} {
		w := EncodeHeader(h)
		if w>>32 != 0 {
			t.Fatalf("%v uses high bits: %#x", h, w)
		}
		if got := DecodeHeader(w); got != h {
			t.Fatalf("decode(encode(%v)) = %v", h, got)
		}
	}
	if s := (Msg{Type: 3, Words: [7]uint64{1, 2}}).String(); s != "t3[1 2 0 0 0 0 0]" {
		t.Fatalf("Msg.String = %q", s)
	}
	if s := DecodeHeader(EncodeHeader(Header{1, TypeAck, 7})).String(); s != "e1 ack ack=7" {
		t.Fatalf("Header.String = %q", s)
	}
}

func newMachine(t testing.TB, cores int, seed uint64) (*archtest.Machine, *arch.FrameAllocator) {
	t.Helper()
	m := archtest.New(archtest.Config{Cores: cores, CoresPerPackage: 2, Seed: seed})
	return m, m.Allocator()
}

func mustConnect(t testing.TB, m arch.Machine, al *arch.FrameAllocator, a, b arch.CoreID, o Options) *Channel {
	t.Helper()
	ch, err := Connect(m, al, a, b, o)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func msgN(i int) Msg {
	var m Msg
	m.Type = MsgType(1 + i%int(MaxType))
	for k := range m.Words {
		m.Words[k] = uint64(i)*10 + uint64(k)
	}
	return m
}

func checkMsg(i int, m Msg) error {
	if want := msgN(i); m != want {
		return fmt.Errorf("message %d = %v, want %v", i, m, want)
	}
	return nil
}

// optionSets are the channel configurations every property test runs with.
var optionSets = []Options{
	{},
	{Prefetch: 2},
	{Notify: true, PollBudget: 50},
	{Notify: true, PollBudget: 3, Prefetch: 1},
}

// One-way streams with random delays on both sides: order kept, nothing
// lost or duplicated, over many seeds and every option set.
func TestStreamManySeeds(t *testing.T) {
	const n = 300
	for oi, o := range optionSets {
		for seed := uint64(0); seed < 40; seed++ {
			m, al := newMachine(t, 2, seed)
			ch := mustConnect(t, m, al, 0, 1, o)
			a, b := ch.Endpoints()
			rng := rand.New(rand.NewPCG(seed, 1))
			da, db := rng.IntN(40), rng.IntN(40)
			var errs []error
			m.Start(0, func(c arch.Core) {
				for i := 0; i < n; i++ {
					c.Compute(int64(rng.IntN(da + 1)))
					a.Send(c, msgN(i))
				}
			})
			m.Start(1, func(c arch.Core) {
				for i := 0; i < n; i++ {
					c.Compute(int64(rng.IntN(db + 1)))
					if err := checkMsg(i, b.Recv(c)); err != nil && len(errs) == 0 {
						errs = append(errs, err)
					}
				}
			})
			if err := m.Run(); err != nil {
				t.Fatalf("options %d seed %d: %v", oi, seed, err)
			}
			if len(errs) > 0 {
				t.Fatalf("options %d seed %d: %v", oi, seed, errs[0])
			}
			if sa := a.State(m.Peek); sa.Sent != n || sa.Recv == 0 {
				// B must have sent forced acks (it never sends otherwise).
				t.Fatalf("options %d seed %d: A state %v (want %d sent, acks received)", oi, seed, sa, n)
			}
		}
	}
}

// Ping-pong in both directions; each reply echoes the request.
func TestPingPongManySeeds(t *testing.T) {
	const n = 200
	for oi, o := range optionSets {
		for seed := uint64(0); seed < 40; seed++ {
			m, al := newMachine(t, 4, seed)
			ch := mustConnect(t, m, al, 0, 3, o) // across packages
			a, b := ch.Endpoints()
			var bad error
			m.Start(0, func(c arch.Core) {
				for i := 0; i < n; i++ {
					a.Send(c, msgN(i))
					r := a.Recv(c)
					r.Type--
					if err := checkMsg(i, r); err != nil && bad == nil {
						bad = err
					}
				}
			})
			m.Start(3, func(c arch.Core) {
				for i := 0; i < n; i++ {
					r := b.Recv(c)
					r.Type++
					b.Send(c, r)
				}
			})
			if err := m.Run(); err != nil {
				t.Fatalf("options %d seed %d: %v", oi, seed, err)
			}
			if bad != nil {
				t.Fatalf("options %d seed %d: %v", oi, seed, bad)
			}
		}
	}
}

// Both sides stream to each other at once, interleaving TrySend and TryRecv
// (the synchronous Send could deadlock with two full windows, see Send).
func TestBidirectionalStreams(t *testing.T) {
	const n = 400
	for oi, o := range optionSets {
		for seed := uint64(0); seed < 30; seed++ {
			m, al := newMachine(t, 2, seed)
			ch := mustConnect(t, m, al, 0, 1, o)
			eps := [2]*Endpoint{}
			eps[0], eps[1] = ch.Endpoints()
			var bad error
			for side := 0; side < 2; side++ {
				ep := eps[side]
				rng := rand.New(rand.NewPCG(seed, uint64(side)))
				m.Start(arch.CoreID(side), func(c arch.Core) {
					sent, got := 0, 0
					for sent < n || got < n {
						if sent < n && rng.IntN(2) == 0 && ep.TrySend(c, msgN(sent)) {
							sent++
						}
						if got < n {
							if r, ok := ep.TryRecv(c); ok {
								if err := checkMsg(got, r); err != nil && bad == nil {
									bad = err
								}
								got++
							}
						}
					}
				})
			}
			if err := m.Run(); err != nil {
				t.Fatalf("options %d seed %d: %v", oi, seed, err)
			}
			if bad != nil {
				t.Fatalf("options %d seed %d: %v", oi, seed, bad)
			}
		}
	}
}

// A stalled receiver: the sender gets exactly one window of messages in,
// then TrySend fails; the ring still holds all 32 unread messages intact;
// once the receiver drains them the sender continues.
func TestStalledReceiverBlocksSender(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		m, al := newMachine(t, 2, seed)
		ch := mustConnect(t, m, al, 0, 1, Options{})
		a, b := ch.Endpoints()
		flag := al.MustAlloc(0, 64, 64)
		var accepted int
		var ringOK error
		var bad error
		m.Start(0, func(c arch.Core) {
			for i := 0; i < 40; i++ {
				if !a.TrySend(c, msgN(i)) {
					break
				}
				accepted++
			}
			// Every slot still holds its message: nothing overwritten.
			for i := 0; i < RingSlots; i++ {
				var got Msg
				for k := range got.Words {
					got.Words[k] = m.Peek(a.TxSlot(i) + arch.Addr(8*k))
				}
				got.Type = DecodeHeader(m.Peek(a.TxSlot(i) + headerOffset)).Type
				if err := checkMsg(i, got); err != nil && ringOK == nil {
					ringOK = err
				}
			}
			c.Store(flag, 1)
			for i := accepted; i < 100; i++ {
				a.Send(c, msgN(i))
			}
		})
		m.Start(1, func(c arch.Core) {
			c.SpinUntil(flag, func(v uint64) bool { return v == 1 }, 0)
			for i := 0; i < 100; i++ {
				if err := checkMsg(i, b.Recv(c)); err != nil && bad == nil {
					bad = err
				}
			}
		})
		if err := m.Run(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if accepted != RingSlots {
			t.Fatalf("seed %d: accepted %d messages with a stalled receiver, want %d", seed, accepted, RingSlots)
		}
		if ringOK != nil || bad != nil {
			t.Fatalf("seed %d: ring %v, recv %v", seed, ringOK, bad)
		}
	}
}

// The 16-bit counters wrap: start both directions just before 2^16 (on a
// lap boundary where the expected epoch is 1, matching zeroed headers).
func TestCounterWrap(t *testing.T) {
	const start = 65536 - 2*RingSlots
	for seed := uint64(0); seed < 10; seed++ {
		m, al := newMachine(t, 2, seed)
		ch := mustConnect(t, m, al, 0, 1, Options{Notify: true, PollBudget: 20})
		a, b := ch.Endpoints()
		for _, ep := range []*Endpoint{a, b} {
			for _, w := range []int{stSent, stAcked, stRecv, stLastAck} {
				m.Poke(ep.st(w), start)
			}
		}
		var bad error
		m.Start(0, func(c arch.Core) {
			for i := 0; i < 300; i++ {
				a.Send(c, msgN(i))
				if i%7 == 0 {
					if err := checkMsg(i, a.Recv(c)); err != nil && bad == nil {
						bad = err
					}
				}
			}
		})
		m.Start(1, func(c arch.Core) {
			for i := 0; i < 300; i++ {
				r := b.Recv(c)
				if err := checkMsg(i, r); err != nil && bad == nil {
					bad = err
				}
				if i%7 == 0 {
					b.Send(c, r)
				}
			}
		})
		if err := m.Run(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if bad != nil {
			t.Fatalf("seed %d: %v", seed, bad)
		}
		if s := a.State(m.Peek); s.Sent >= start {
			t.Fatalf("seed %d: counter did not wrap: %v", seed, s)
		}
	}
}

// A receiver that polls briefly then blocks is woken by the sender's IPI;
// no wake-up is lost over many seeds (a lost one deadlocks Run).
func TestBlockingReceiverWokenByIPI(t *testing.T) {
	halted := 0
	for seed := uint64(0); seed < 100; seed++ {
		m, al := newMachine(t, 2, seed)
		ch := mustConnect(t, m, al, 0, 1, Options{Notify: true, PollBudget: 5})
		a, b := ch.Endpoints()
		var bad error
		m.Start(0, func(c arch.Core) {
			for i := 0; i < 20; i++ {
				c.Compute(int64(seed % 50))
				a.Send(c, msgN(i))
			}
		})
		m.Start(1, func(c arch.Core) {
			for i := 0; i < 20; i++ {
				if err := checkMsg(i, b.Recv(c)); err != nil && bad == nil {
					bad = err
				}
			}
		})
		if err := m.Run(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if bad != nil {
			t.Fatalf("seed %d: %v", seed, bad)
		}
		halted += int(m.Stats(1).Halts)
		if s := b.State(m.Peek); s.Waiting {
			t.Fatalf("seed %d: receiver still advertises waiting: %v", seed, s)
		}
	}
	if halted == 0 {
		t.Fatal("no seed exercised the blocking path")
	}
}

// A full mesh of channels between four cores; each core sends to every
// other core and receives through a Waitset. Per-channel order is checked.
func TestMeshWaitset(t *testing.T) {
	const cores, n = 4, 60
	for oi, o := range []Options{{}, {Notify: true, PollBudget: 40}} {
		for seed := uint64(0); seed < 15; seed++ {
			m, al := newMachine(t, cores, seed)
			// eps[i][j]: core i's endpoint towards core j.
			var eps [cores][cores]*Endpoint
			for i := 0; i < cores; i++ {
				for j := i + 1; j < cores; j++ {
					ch := mustConnect(t, m, al, arch.CoreID(i), arch.CoreID(j), o)
					eps[i][j], eps[j][i] = ch.Endpoints()
				}
			}
			var bad error
			for i := 0; i < cores; i++ {
				i := i
				m.Start(arch.CoreID(i), func(c arch.Core) {
					var w *Waiter
					if o.Notify {
						w = NewWaiter(c, DefaultVector)
					}
					ws := NewWaitset(w, 40)
					from := map[*Endpoint]int{}
					for j := 0; j < cores; j++ {
						if j != i {
							ws.Add(eps[i][j])
							from[eps[i][j]] = j
						}
					}
					next := make([]int, cores)
					total := n * (cores - 1)
					sent, got := 0, 0
					deliver := func(ep *Endpoint, r Msg) {
						j := from[ep]
						if err := checkMsg(next[j], r); err != nil && bad == nil {
							bad = fmt.Errorf("core %d from %d: %w", i, j, err)
						}
						next[j]++
						got++
					}
					// Interleave non-blocking sends and receives while
					// sending (a receive-only loop could miss credit
					// returning), then block in the waitset.
					for sent < total {
						j := sent % (cores - 1)
						if j >= i {
							j++
						}
						if eps[i][j].TrySend(c, msgN(sent/(cores-1))) {
							sent++
						}
						if ep, r, ok := ws.TryRecv(c); ok {
							deliver(ep, r)
						}
					}
					for got < total {
						deliver(ws.Recv(c))
					}
				})
			}
			if err := m.Run(); err != nil {
				t.Fatalf("options %d seed %d: %v", oi, seed, err)
			}
			if bad != nil {
				t.Fatalf("options %d seed %d: %v", oi, seed, bad)
			}
		}
	}
}

// Each ring line is written by one core and read by the other; each state
// line is touched by its owner only; each notify line is written by its
// owner and read by the peer only.
func TestSingleWriterLines(t *testing.T) {
	for _, o := range optionSets {
		m, al := newMachine(t, 2, 7)
		ch := mustConnect(t, m, al, 0, 1, o)
		a, b := ch.Endpoints()
		var ra, rb *archtest.Recorder
		m.Start(0, func(c arch.Core) {
			ra = archtest.NewRecorder(c)
			for i := 0; i < 100; i++ {
				a.Send(ra, msgN(i))
				if i%3 == 0 {
					a.Recv(ra)
				}
			}
		})
		m.Start(1, func(c arch.Core) {
			rb = archtest.NewRecorder(c)
			for i := 0; i < 100; i++ {
				r := b.Recv(rb)
				if i%3 == 0 {
					b.Send(rb, r)
				}
			}
		})
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		ta, tb := ra.Touched(), rb.Touched()
		for l, acc := range ta {
			if bacc, ok := tb[l]; ok && (acc|bacc)&(archtest.Write|archtest.Atomic) != 0 {
				// Shared and written: must be a ring or notify line
				// with exactly one writer.
				aw, bw := acc&archtest.Write != 0, bacc&archtest.Write != 0
				if aw == bw {
					t.Fatalf("options %+v: line %#x touched %v by A and %v by B", o, uint64(l), acc, bacc)
				}
			}
		}
		for _, ep := range []*Endpoint{a, b} {
			other := tb
			if ep == b {
				other = ta
			}
			if _, ok := other[ep.StateLine()]; ok {
				t.Fatalf("state line of %v touched by the peer", ep.Side())
			}
		}
		for i := 0; i < RingSlots; i++ {
			if ta[a.RxSlot(i)]&archtest.Write != 0 || tb[b.RxSlot(i)]&archtest.Write != 0 {
				t.Fatal("a receiver wrote its receive ring")
			}
			if ta[a.TxSlot(i)]&archtest.Read != 0 || tb[b.TxSlot(i)]&archtest.Read != 0 {
				t.Fatal("a sender read its transmit ring")
			}
		}
	}
}

// LinesPerMessage measures, in a steady-state ping-pong, the distinct lines
// each side touches per one-way message. It is the URPC row of the paper's
// Table 3 (D-cache lines), counted functionally.
func TestLinesPerMessage(t *testing.T) {
	for _, tc := range []struct {
		o            Options
		send, recv   int // lines per send on the sender, per receive on the receiver
		shared, note string
	}{
		{o: Options{}, send: 2, recv: 2, note: "polled"},
		{o: Options{Notify: true, PollBudget: 1 << 40}, send: 3, recv: 2, note: "notify (never blocks)"},
	} {
		m, al := newMachine(t, 2, 1)
		ch := mustConnect(t, m, al, 0, 1, tc.o)
		a, b := ch.Endpoints()
		var sendLines, recvLines []int
		var all []arch.Addr
		m.Start(0, func(c arch.Core) {
			r := archtest.NewRecorder(c)
			for i := 0; i < 50; i++ {
				r.Reset()
				a.Send(r, msgN(i))
				sendLines = append(sendLines, len(r.Lines()))
				a.Recv(r)
			}
		})
		m.Start(1, func(c arch.Core) {
			r := archtest.NewRecorder(c)
			for i := 0; i < 50; i++ {
				r.Reset()
				x := b.Recv(r)
				recvLines = append(recvLines, len(r.Lines()))
				if i == 49 {
					all = r.Lines()
				}
				b.Send(c, x)
			}
		})
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		s, rcv := slices.Max(sendLines[5:]), slices.Max(recvLines[5:])
		t.Logf("%s: lines per send %d, per receive %d (receive touches %#x)", tc.note, s, rcv, all)
		if s != tc.send || rcv != tc.recv {
			t.Fatalf("%s: send %d recv %d lines, want %d and %d", tc.note, s, rcv, tc.send, tc.recv)
		}
	}
}

func TestWrongCorePanics(t *testing.T) {
	m, al := newMachine(t, 2, 0)
	ch := mustConnect(t, m, al, 0, 1, Options{})
	a, _ := ch.Endpoints()
	m.Start(1, func(c arch.Core) { a.TrySend(c, msgN(0)) })
	if err := m.Run(); err == nil {
		t.Fatal("using A's endpoint from core 1 did not panic")
	}
}

func BenchmarkPingPongArchtest(b *testing.B) {
	m, al := newMachine(b, 2, 0)
	ch := mustConnect(b, m, al, 0, 1, Options{})
	x, y := ch.Endpoints()
	m.Start(0, func(c arch.Core) {
		for i := 0; i < b.N; i++ {
			x.Send(c, msgN(i))
			x.Recv(c)
		}
	})
	m.Start(1, func(c arch.Core) {
		for i := 0; i < b.N; i++ {
			y.Send(c, y.Recv(c))
		}
	})
	b.ResetTimer()
	if err := m.Run(); err != nil {
		b.Fatal(err)
	}
}
