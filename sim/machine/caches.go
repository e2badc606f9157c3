package machine

import (
	"fmt"

	"mksim/sim"
	"mksim/sim/cache"
	"mksim/sim/mem"
	"mksim/topologies"
)

// The topology gives every cache latency as load-to-use, as a researcher
// measures it (the HotOS table: L1 2, L2 15, L3 75 cycles); sim/cache wants
// the increment each level adds on a miss in the level above. cacheConfig
// does the subtraction and refuses a topology whose totals do not grow.

// fillHoldCycles is how long, in core cycles, an L1 keeps a line it has
// just filled before a probe may take it: the seven further stores of a
// URPC message commit in that window. A hardware parameter of every real
// protocol (its forward-progress guarantee), the same for every machine.
const fillHoldCycles = 10

func cacheScheme(s topologies.Scheme) (cache.Scheme, bool, error) {
	switch s {
	case topologies.HTBroadcast:
		return cache.Broadcast, false, nil
	case topologies.FSBSnoop:
		// Intel Core 2 is MESI between packages.
		return cache.SnoopFilter, true, nil
	case topologies.Directory:
		return cache.Directory, false, nil
	}
	return 0, false, fmt.Errorf("unknown coherence scheme %q", s)
}

// cacheConfig converts a spec's caches, on-chip controllers and memory
// controllers into the cache system's configuration. Non-coherent cores get
// no cluster: their private caches sit outside the protocol (ncPort).
func cacheConfig(s *topologies.Spec) (cache.Config, error) {
	scheme, mesi, err := cacheScheme(s.Coherence.Scheme)
	if err != nil {
		return cache.Config{}, fmt.Errorf("%s: %w", s.Source, err)
	}
	cfg := cache.Config{Scheme: scheme, MESI: mesi, LocalOnChip: s.Coherence.LocalOnChip}
	u := s.Coherence.Uncore
	for _, p := range s.Packages {
		cp := cache.Package{
			Node:             mem.NodeID(p.Node),
			ToPackage:        sim.Time(u.ToController),
			FromPackage:      sim.Time(u.FromController),
			SiblingProbe:     sim.Time(u.SiblingProbe),
			RequestOut:       sim.Time(u.RequestOut),
			ProbeResponse:    sim.Time(u.ProbeResponse),
			ProbeOccupancy:   sim.Time(u.ProbeOccupancy),
			SiblingOccupancy: sim.Time(u.SiblingOccupancy),
		}
		var l2Total sim.Time // the package's slowest L2 load-to-use
		var slowest sim.Time // the package's slowest coherent core clock period
		for _, inst := range s.L2s {
			if inst.Package != p.ID {
				continue
			}
			t := &s.CoreTypes[inst.Type]
			if !t.Coherent {
				continue
			}
			period := sim.Time(t.Clock.Period())
			slowest = max(slowest, period)
			l1 := sim.Time(t.L1D.Latency) * period
			l2 := sim.Time(t.L2.Latency) * period
			if l2 <= l1 {
				return cfg, fmt.Errorf("%s: core type %s: L2 load-to-use %v is not above the L1's %v", s.Source, t.Name, t.L2.Latency, t.L1D.Latency)
			}
			l2Total = max(l2Total, l2)
			cp.Clusters = append(cp.Clusters, cache.Cluster{
				Cores:   append([]int(nil), inst.Cores...),
				L1:      cache.Level{Size: int(t.L1D.Size), Ways: t.L1D.Ways, Latency: l1, MSHRs: t.MSHRs},
				L2:      cache.Level{Size: int(t.L2.Size), Ways: t.L2.Ways, Latency: l2 - l1, MSHRs: t.MSHRs},
				L1Snoop: sim.Time(t.L2.L1Snoop) * period,
			})
		}
		for _, id := range p.Cores() {
			t := s.CoreType(id)
			if t.Coherent && t.L2 == nil {
				return cfg, fmt.Errorf("%s: core type %s: a coherent core needs an L2 in this simulator", s.Source, t.Name)
			}
		}
		if len(cp.Clusters) == 0 {
			continue // a package of non-coherent cores only
		}
		// Hold a freshly filled line for fillHoldCycles of the slowest core:
		// time for the stores queued behind a miss to commit, one a cycle.
		cp.FillHold = fillHoldCycles * slowest
		if p.L3 != nil {
			inc := sim.Time(p.L3.Latency) - l2Total - cp.ToPackage - cp.FromPackage
			if inc < 0 {
				return cfg, fmt.Errorf("%s: package %d: L3 load-to-use %v is below L2 + controller latencies (%v)", s.Source, p.ID, p.L3.Latency, l2Total+cp.ToPackage+cp.FromPackage)
			}
			cp.L3 = &cache.Level{Size: int(p.L3.Size), Ways: p.L3.Ways, Latency: inc}
		}
		cfg.Packages = append(cfg.Packages, cp)
	}
	for _, r := range s.MemoryRanges() {
		h := cache.Home{Node: mem.NodeID(r.Node), Latency: sim.Time(u.Home), DRAM: sim.Time(r.Latency),
			Banks: r.Banks, Row: uint64(r.Row), RowCycle: sim.Time(r.RowCycle)}
		if f := s.Coherence.Filter; f != nil {
			h.Latency += sim.Time(f.Latency)
		}
		cfg.Homes = append(cfg.Homes, h)
	}
	return cfg, nil
}
