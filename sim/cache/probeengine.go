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
// K10, which has no probe filter here). Package.ProbeOccupancy is how long
// one probe keeps that lookup busy; a probe arriving meanwhile waits its
// turn, in arrival order. With no contention this costs nothing (a lone
// probe starts at once), but under contention it serialises every
// coherence transaction that touches the node, whatever the line: on the
// HT broadcast machines every miss probes every node, so sixteen cores
// updating a few shared lines are limited by it, not by the lines.
// ProbeOccupancy 0 means the engine is fully pipelined (no limit).

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

// probeSlot reserves the engine for one probe from the earliest time it is
// free (now or later) and returns that start.
func (p *pkg) probeSlot() sim.Time {
	start := max(p.s.e.Now(), p.probeFree)
	p.probeFree = start + p.probeOcc
	return start
}

// admitProbe decides whether a probe from the network runs now: it does if
// the engine is free; otherwise it is queued for its reserved slot (and
// false returned).
func (p *pkg) admitProbe(m *mem.Msg) bool {
	if p.probeOcc <= 0 {
		return true
	}
	start := p.probeSlot()
	if start == p.s.e.Now() {
		return true
	}
	p.probeQ = append(p.probeQ, m)
	p.s.e.Schedule(start, &p.probeWake, 0)
	return false
}

// siblingProbe accounts an on-chip transfer to r from a sibling cluster
// and returns its latency: the wait for the probe engine, then the probe.
func (p *pkg) siblingProbe(r *req) sim.Time {
	p.stats.OnChip++
	r.src = SrcPackage
	wait := sim.Time(0)
	if p.probeOcc > 0 {
		wait = p.probeSlot() - p.s.e.Now()
	}
	if r.ordered {
		// The home's probe reached this node with the others' and was
		// answered while the requester waited for theirs.
		return wait
	}
	return wait + p.cfg.SiblingProbe
}
