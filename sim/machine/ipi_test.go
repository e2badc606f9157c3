package machine

import (
	"fmt"
	"testing"

	"mksim/arch"
	"mksim/sim"
	"mksim/sim/mem"
	"mksim/topologies"
)

// ipiResult is one IPI from core 0 to a halted core, timed on the TSCs
// (which share one time base on gruyere: every core runs at 2 GHz from
// time zero).
type ipiResult struct {
	target    arch.CoreID
	hops      int
	sent      arch.Cycles // the sender's TSC as the IPI leaves
	handler   arch.Cycles // the target's TSC as its handler starts
	woke      arch.Cycles // the target's TSC as Halt returns
	net       sim.Time    // the IPI message's Send-to-Receive time on the interconnect
	delivered uint64      // interconnect deliveries during the run
	ipiMsgs   map[[2]mem.NodeID]uint64
	ipiTotal  uint64
	other     uint64 // messages of other classes
	from, to  [2]uint64
	vec       arch.Vector
	sender    arch.CoreID
	ran       int
}

const testVector arch.Vector = 42

// sendIPI has core 0 send an IPI to target, which has halted with
// interrupts enabled and a handler installed.
func sendIPI(t *testing.T, name string, target arch.CoreID) ipiResult {
	t.Helper()
	m := build(t, name, 1)
	s := m.Spec()
	r := ipiResult{target: target, hops: s.Hops(s.Cores[0].Node, s.Cores[target].Node), sender: -1}
	m.Network().Reset()
	m.Start(target, func(c arch.Core) {
		c.SetInterruptHandler(testVector, func(c arch.Core, v arch.Vector, from arch.CoreID) {
			r.handler = c.Now()
			r.vec, r.sender = v, from
			r.ran++
		})
		c.SetInterrupts(true)
		c.Halt()
		r.woke = c.Now()
	})
	m.Start(0, func(c arch.Core) {
		c.Compute(1000)      // the target is halted long before
		r.sent = c.Now() + 1 // Now costs one cycle; the IPI leaves after it
		c.SendIPI(target, testVector)
	})
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	settle(m)
	rep := m.Network().Snapshot()
	r.net, r.delivered = rep.Latency, rep.Delivered
	r.ipiMsgs = map[[2]mem.NodeID]uint64{}
	for _, ch := range rep.Channels {
		if ch.Bus {
			continue
		}
		r.ipiMsgs[[2]mem.NodeID{ch.From, ch.To}] += ch.Msgs[mem.ClassIPI]
		r.ipiTotal += ch.Msgs[mem.ClassIPI]
		r.other += ch.TotalMsgs() - ch.Msgs[mem.ClassIPI]
	}
	st0, stT := m.CoreStats(0), m.CoreStats(target)
	r.from = [2]uint64{st0.IPIsSent, st0.IPIsReceived}
	r.to = [2]uint64{stT.IPIsReceived, stT.Interrupts}
	return r
}

// TestIPIAcrossInterconnect: core 0 of gruyere sends an IPI to a halted
// core 0, 1, 2 and 3 hops away. The target wakes, its handler runs after
// the trap cost of its core type (800 cycles), the delivery time grows with
// the hop count, and the IPI shows up as one ClassIPI message on every
// link direction of the route, and nowhere else.
func TestIPIAcrossInterconnect(t *testing.T) {
	const name = "gruyere"
	t.Logf("seed 1")
	spec, err := topologies.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	trap := arch.Cycles(spec.CoreType(0).Costs.Trap)
	if trap != 800 {
		t.Fatalf("gruyere's trap cost is %d cycles; this test expects the paper's 800", trap)
	}
	period := sim.Time(spec.CoreType(0).Clock.Period())
	// One target per distance from node 0: a sibling on package 0, then the
	// first core of the first node at 1, 2 and 3 hops.
	targets := []arch.CoreID{1}
	for h := 1; h <= spec.Diameter(); h++ {
		for _, n := range spec.Nodes {
			if spec.Hops(0, n.ID) == h {
				targets = append(targets, coreOnNode(t, spec, n.ID))
				break
			}
		}
	}
	if len(targets) != 4 {
		t.Fatalf("gruyere: targets %v, want one per distance 0..3", targets)
	}
	prev := arch.Cycles(-1)
	for _, target := range targets {
		r := sendIPI(t, name, target)
		t.Run(fmt.Sprintf("%dhop-core%d", r.hops, target), func(t *testing.T) {
			delivery := r.handler - trap - r.sent // send to arrival, in cycles
			t.Logf("sent at %d, handler at %d, Halt returned at %d: delivery %d cycles, trap %d; interconnect %v over %d hops",
				r.sent, r.handler, r.woke, delivery, trap, r.net, r.hops)
			if r.ran != 1 || r.vec != testVector || r.sender != 0 {
				t.Fatalf("handler ran %d times, last with vector %d from %v", r.ran, r.vec, r.sender)
			}
			if r.woke <= r.handler {
				t.Errorf("Halt returned at %d, not after the handler started at %d", r.woke, r.handler)
			}
			if r.from != [2]uint64{1, 0} || r.to != [2]uint64{1, 1} {
				t.Errorf("sender sent/received %v, target received/interrupts %v; want [1 0] and [1 1]", r.from, r.to)
			}
			// Arrival is the message's network time after the send; the
			// handler starts exactly one trap later (±1 cycle of rounding).
			arrival := r.sent + arch.Cycles((r.net+period-1)/period)
			if d := r.handler - arrival - trap; d < -1 || d > 1 {
				t.Errorf("handler at %d: %d cycles after arrival at %d, want the %d-cycle trap", r.handler, r.handler-arrival, arrival, trap)
			}
			if delivery <= prev {
				t.Errorf("delivery over %d hops took %d cycles, not more than the %d of one hop fewer", r.hops, delivery, prev)
			}
			prev = delivery
			// The link counters: one IPI message per link direction of
			// the route, nothing else on the interconnect.
			if r.other != 0 {
				t.Errorf("%d non-IPI messages on the links during an IPI", r.other)
			}
			if r.ipiTotal != uint64(r.hops) {
				t.Errorf("%d IPI link crossings, want %d (one per hop)", r.ipiTotal, r.hops)
			}
			path := spec.Route(0, spec.Cores[target].Node)
			for _, d := range dirLinks(path) {
				if n := r.ipiMsgs[d]; n != 1 {
					t.Errorf("link %d->%d on the route %v: %d IPI messages, want 1", d[0], d[1], path, n)
				}
			}
			if r.delivered != 1 {
				t.Errorf("%d messages delivered, want the IPI alone", r.delivered)
			}
		})
	}
}
