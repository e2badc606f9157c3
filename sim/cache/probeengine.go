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

// probeWake is the handler that runs deferred probes.
type probeWake struct{ p *pkg }

func (w *probeWake) Name() string { return w.p.name + ".probes" }

// Handle runs the oldest deferred probe if the engine is free, and
// reschedules itself while probes remain.
func (w *probeWake) Handle(uint64) {
	p := w.p
	now := p.s.e.Now()
	if now < p.probeFree {
		// An on-chip sibling probe took the engine meanwhile.
		p.s.e.Schedule(p.probeFree, w, 0)
		return
	}
	m := p.probeQ[p.probeHead]
	p.probeQ[p.probeHead] = nil
	p.probeHead++
	if p.probeHead == len(p.probeQ) {
		p.probeQ, p.probeHead = p.probeQ[:0], 0
	}
	p.probeFree = now + p.cfg.ProbeOccupancy
	p.runProbe(m)
	if p.probeHead < len(p.probeQ) {
		p.s.e.Schedule(p.probeFree, w, 0)
	}
}

// admitProbe decides whether a probe from the network runs now: it does if
// the engine is free and nothing waits before it; otherwise it is queued
// (and false returned).
func (p *pkg) admitProbe(m *mem.Msg) bool {
	occ := p.cfg.ProbeOccupancy
	if occ <= 0 {
		return true
	}
	now := p.s.e.Now()
	if p.probeHead == len(p.probeQ) && now >= p.probeFree {
		p.probeFree = now + occ
		return true
	}
	if p.probeHead == len(p.probeQ) {
		p.s.e.Schedule(p.probeFree, &p.probeWake, 0)
	}
	p.probeQ = append(p.probeQ, m)
	return false
}

// siblingProbeWait takes the engine for an on-chip sibling probe starting
// now and returns how long the probe waits for it first.
func (p *pkg) siblingProbeWait() sim.Time {
	occ := p.cfg.ProbeOccupancy
	if occ <= 0 {
		return 0
	}
	now := p.s.e.Now()
	start := max(now, p.probeFree)
	if n := len(p.probeQ) - p.probeHead; n > 0 {
		// Probes from the network queued earlier go first.
		start = max(start, p.probeFree+sim.Time(n)*occ)
	}
	p.probeFree = start + occ
	return start - now
}
