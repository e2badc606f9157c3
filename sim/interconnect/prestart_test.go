package interconnect

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// A busy channel starts the messages queued on it ahead of time where their
// start is certain (channel.startQueued), without the wake-up event at the
// end of each serialization. That may change the order of simultaneous
// events, nothing else: these tests run the same traffic with and without
// it (noPrestart) and require every message to be delivered at the same
// time, and every report, taken and reset mid-run, to be the same. The
// traffic is sent at random picosecond times, so that few events of a run
// share a time. Some still do (a message may reach a node just as a
// channel there frees, both at the end of equal delays), and there the
// order decides one thing: whether the message found the one before it
// still queued, counted in MaxQueue, or started; so MaxQueue may differ
// by one.

// timedSender sends msgs[arg] at its time.
type timedSender struct {
	n    *Network
	msgs []timedMsg
}

type timedMsg struct {
	at    sim.Time
	src   mem.NodeID
	dsts  []mem.NodeID // more than one: a broadcast
	class mem.Class
	id    mem.OpID
}

func (s *timedSender) Handle(i uint64) {
	t := s.msgs[i]
	m := s.n.NewMsg()
	m.Src, m.Class, m.ID, m.Txn = t.src, t.class, t.id, i
	if len(t.dsts) > 1 {
		s.n.Broadcast(m, t.dsts)
		return
	}
	m.Dst = t.dsts[0]
	s.n.Send(m)
}

// deliveryLog records when each copy of each message arrives.
type deliveryLog struct {
	e   *sim.Engine
	n   *Network
	got map[[2]uint64]sim.Time // (Txn, Dst) -> delivery time
}

func (l *deliveryLog) Receive(m *mem.Msg) {
	l.got[[2]uint64{m.Txn, uint64(m.Dst)}] = l.e.Now()
	l.n.Free(m)
}

// reporter takes a report (arg 0) or resets the counters (arg 1).
type reporter struct {
	n   *Network
	out []*Report
}

func (r *reporter) Handle(arg uint64) {
	if arg == 1 {
		r.n.Reset()
		return
	}
	r.out = append(r.out, r.n.Snapshot())
}

// sameReports compares reports, allowing MaxQueue to differ by one.
func sameReports(got, want []*Report) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d reports, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := *got[i], *want[i]
		if len(g.Channels) != len(w.Channels) {
			return fmt.Errorf("report %d: %d channels, want %d", i, len(g.Channels), len(w.Channels))
		}
		g.Channels = slices.Clone(g.Channels)
		for k := range g.Channels {
			if d := g.Channels[k].MaxQueue - w.Channels[k].MaxQueue; d >= -1 && d <= 1 {
				g.Channels[k].MaxQueue = w.Channels[k].MaxQueue
			}
		}
		if gs, ws := g.String(), w.String(); gs != ws {
			gl, wl := strings.Split(gs, "\n"), strings.Split(ws, "\n")
			for j := range min(len(gl), len(wl)) {
				if gl[j] != wl[j] {
					return fmt.Errorf("report %d differs at line %d:\ngot:  %s\nwant: %s", i, j, gl[j], wl[j])
				}
			}
			return fmt.Errorf("report %d differs in length", i)
		}
	}
	return nil
}

func runTimed(t *testing.T, cfg Config, seed uint64, msgs, window int, noPrestart bool) (map[[2]uint64]sim.Time, []*Report, []*Deadlock, uint64, int) {
	t.Helper()
	e := sim.New(seed)
	cfg.CheckOwnership = true
	n, err := New(e, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.noPrestart = noPrestart
	var kicks int
	e.AddHook(releaseKicks{&kicks})
	log := &deliveryLog{e: e, n: n, got: map[[2]uint64]sim.Time{}}
	for i := 0; i < cfg.Nodes; i++ {
		n.Attach(mem.NodeID(i), log)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	s := &timedSender{n: n}
	for i := 0; i < msgs; i++ {
		tm := timedMsg{
			at:    sim.Time(r.Int64N(int64(window) * int64(sim.Nanosecond))),
			src:   mem.NodeID(r.IntN(cfg.Nodes)),
			class: mem.Class(r.IntN(int(mem.NumClasses))),
			id:    mem.OpID(r.IntN(4)),
		}
		if r.IntN(5) == 0 {
			for d := 0; d < cfg.Nodes; d++ {
				if r.IntN(2) == 0 {
					tm.dsts = append(tm.dsts, mem.NodeID(d))
				}
			}
		}
		if len(tm.dsts) < 2 {
			tm.dsts = []mem.NodeID{mem.NodeID(r.IntN(cfg.Nodes))}
		}
		s.msgs = append(s.msgs, tm)
		e.Schedule(tm.at, s, uint64(i))
	}
	rep := &reporter{n: n}
	// Reports at odd picoseconds, through the busy part of the run and
	// after it, and one reset.
	for k := 1; k <= 8; k++ {
		e.Schedule(sim.Time(k)*sim.Time(window)*sim.Nanosecond/6+7, rep, 0)
	}
	e.Schedule(sim.Time(window)*sim.Nanosecond/2+3, rep, 1)
	e.RunUntilIdle()
	rep.Handle(0)
	return log.got, rep.out, n.Deadlocks(), e.Stats().Events, kicks
}

func TestPrestartKeepsTiming(t *testing.T) {
	for _, tc := range shortcutShapes() {
		fewer, kicks := false, 0
		for seed := uint64(1); seed <= 4; seed++ {
			window := []int{2000, 10000, 40000}[seed%3] // heavy to light load
			got, rep, dl, ev, k := runTimed(t, tc.cfg, seed, 3000, window, false)
			want, wantRep, wantDl, wantEv, _ := runTimed(t, tc.cfg, seed, 3000, window, true)
			kicks += k
			if len(got) != len(want) {
				t.Fatalf("%s seed %d: %d deliveries, want %d", tc.name, seed, len(got), len(want))
			}
			for k, at := range want {
				if got[k] != at {
					t.Fatalf("%s seed %d: message %d to node %d delivered at %v, want %v", tc.name, seed, k[0], k[1], got[k], at)
				}
			}
			if err := sameReports(rep, wantRep); err != nil {
				t.Fatalf("%s seed %d: %v", tc.name, seed, err)
			}
			if fmt.Sprint(dl) != fmt.Sprint(wantDl) {
				t.Fatalf("%s seed %d: deadlocks differ:\n%v\nwant\n%v", tc.name, seed, dl, wantDl)
			}
			if ev > wantEv {
				t.Fatalf("%s seed %d: %d events, %d without starting ahead", tc.name, seed, ev, wantEv)
			}
			fewer = fewer || ev < wantEv
		}
		// (On a bus, or with one credit, whose slot the message in flight
		// holds, no start is ever certain ahead.)
		if !fewer && tc.name != "bus" && tc.name != "ring-1-credit" {
			t.Errorf("%s: no message was started ahead", tc.name)
		}
		// With two credits, messages wait for slots that messages
		// started ahead release later.
		if kicks == 0 && tc.name == "gruyere-2-credits" {
			t.Errorf("%s: no channel waited for a slot released by a start made ahead", tc.name)
		}
	}
}

// TestPrestartReportMidQueue checks the counters of a channel with messages
// started ahead but not yet started: a report then shows them queued, not
// sent, and after a reset they count in the new window.
func TestPrestartReportMidQueue(t *testing.T) {
	e := sim.New(1)
	n, err := New(e, line(2))
	if err != nil {
		t.Fatal(err)
	}
	log := &deliveryLog{e: e, n: n, got: map[[2]uint64]sim.Time{}}
	n.Attach(0, log)
	n.Attach(1, log)
	for i := 0; i < 3; i++ {
		m := n.NewMsg()
		m.Src, m.Dst, m.Class, m.ID, m.Txn = 0, 1, mem.ClassData, 5, uint64(i)
		n.Send(m)
	}
	c := n.chans[0]
	if c.q.n != 0 || c.pre.n != 2 {
		t.Fatalf("queue %d, started ahead %d: want 0 and 2", c.q.n, c.pre.n)
	}
	occ := c.occ[mem.ClassData]
	e.RunUntil(occ + occ/2) // the second message is crossing, the third waits
	r := n.Snapshot().Link(0, 1)
	if got := r.TotalMsgs(); got != 2 {
		t.Errorf("mid-run report: %d messages started, want 2", got)
	}
	if r.QueueDelay != occ {
		t.Errorf("mid-run report: queueing delay %v, want %v", r.QueueDelay, occ)
	}
	if len(r.Ops) != 1 || r.Ops[0].Msgs != 2 || r.MaxQueue != 2 {
		t.Errorf("mid-run report: ops %v, max queue %d; want 2 messages of op 5, 2", r.Ops, r.MaxQueue)
	}
	n.Reset()
	e.RunUntilIdle()
	r = n.Snapshot().Link(0, 1)
	// The third message's whole wait counts when it starts, in the new
	// window, as it would without starting ahead.
	if got := r.TotalMsgs(); got != 1 || r.QueueDelay != 2*occ || r.MaxQueue != 1 {
		t.Errorf("after reset: %d messages, queueing delay %v, max queue %d; want 1, %v, 1", got, r.QueueDelay, r.MaxQueue, 2*occ)
	}
	if len(log.got) != 3 {
		t.Errorf("%d deliveries, want 3", len(log.got))
	}
}

// releaseKicks counts the channel events that try a channel again when a
// slot a message started ahead of time held is released (evRelease).
type releaseKicks struct{ n *int }

func (r releaseKicks) EventStart(now sim.Time, h sim.Handler, arg uint64) {
	if _, ok := h.(*channel); ok && arg == evRelease {
		*r.n++
	}
}

func (r releaseKicks) EventEnd(sim.Time, sim.Handler, uint64) {}
