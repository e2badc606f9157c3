package cache

import (
	"mksim/sim"
	"mksim/sim/mem"
)

// The probe engine: a node snoops its caches for one probe at a time.
//
// Every probe a node handles, whether a home's probe or forward arriving
// from the network or a sibling probe of an on-chip transfer, looks up the
// tags of every cache on the chip (the L3 and each core's L2 and L1 on the
// K10, which has no probe filter here). A probe keeps that lookup busy for
// its occupancy, and a probe arriving meanwhile waits its turn, in arrival
// order. With no contention this costs nothing (a lone probe starts at
// once), but under contention it serialises the coherence transactions
// that touch the node, whatever the line.
//
// The two kinds of probe have their own occupancy:
//
//   - Package.ProbeOccupancy, a probe from the network. Every miss on an
//     HT broadcast machine probes every node, so this bounds the whole
//     machine's miss rate: at 20 ns a node could look up at most 50 M
//     probes a second, 3.2 GB/s of lines for all sockets together, far
//     below what a four-socket K10 moves. The shipped topologies give it a
//     few northbridge cycles.
//   - Package.SiblingOccupancy, a sibling probe: an on-chip transfer that
//     takes another core's copy (its data for a read, its invalidation
//     for a write). On the K10 these are slow (Table 2's same-package
//     throughput, Fig. 3's shared-memory threads on one package), and
//     the shipped AMD topologies calibrate it there.
//
// 0 means that kind takes no engine time (it still waits for the probes
// ahead of it if the other kind has an occupancy).

// probeWake is the handler that runs deferred probes. Each deferred probe
// has its slot on the engine reserved when it arrives and an event at the
// slot's start; the slots are in arrival order, so the events pop the queue
// in order.
type probeWake struct{ p *pkg }

func (w *probeWake) Name() string { return w.p.name + ".probes" }

// Handle runs the oldest deferred probe: its slot has begun.
func (w *probeWake) Handle(uint64) {
	p := w.p
	if p.probeHead == len(p.probeQ) {
		sim.Failf(p.name, "probe engine", "wake with no deferred probe")
	}
	m := p.probeQ[p.probeHead]
	p.probeQ[p.probeHead] = nil
	p.probeHead++
	if p.probeHead == len(p.probeQ) {
		p.probeQ, p.probeHead = p.probeQ[:0], 0
	}
	p.runProbe(m)
}

// probeSlot reserves the engine for one probe of length occ from the
// earliest time it is free (now or later) and returns that start.
func (p *pkg) probeSlot(occ sim.Time) sim.Time {
	start := max(p.s.e.Now(), p.probeFree)
	p.probeFree = start + occ
	return start
}

// deferProbe queues a probe from the network for its slot on the busy
// engine. (receive runs it at once when the engine is free: a probeSlot
// starting now, written out there.)
func (p *pkg) deferProbe(m *mem.Msg) {
	p.probeQ = append(p.probeQ, m)
	p.s.e.Post(p.probeSlot(p.probeOcc), &p.probeWake, 0)
}

// siblingProbe accounts an on-chip transfer to r from a sibling cluster
// and returns its latency: the wait for the probe engine, then the probe.
func (p *pkg) siblingProbe(r *req) sim.Time {
	p.stats.OnChip++
	r.src = SrcPackage
	wait := sim.Time(0)
	if p.sibOcc > 0 {
		wait = p.probeSlot(p.sibOcc) - p.s.e.Now()
	}
	if r.ordered {
		// The home's probe reached this node with the others' and was
		// answered while the requester waited for theirs.
		return wait
	}
	return wait + p.cfg.SiblingProbe
}
