package experiments

import (
	"fmt"

	"mksim/arch"
	"mksim/sim/interconnect"
	"mksim/sim/machine"
	"mksim/topologies"
)

// The latency probe measures load-to-use latency the way a researcher does
// on real hardware (lmbench, the HotOS table): it puts a line where it
// wants it by ordinary loads and stores from ordinary programs, then times
// one load on the measuring core with its TSC. Nothing is read from the
// cache model's configuration, so the probe checks the whole composition of
// cache, controller and link latencies, and is what calibration tunes
// against.

// ProbeLevel is one measured latency.
type ProbeLevel struct {
	Level  string      `json:"level"`
	Cycles arch.Cycles `json:"cycles"`
}

// ProbeResult is a probe run: the latencies in the measuring core's
// cycles, and the interconnect counters over the whole run.
type ProbeResult struct {
	Machine   string               `json:"machine"`
	Latencies []ProbeLevel         `json:"latencies"`
	Links     *interconnect.Report `json:"-"`
}

// probeCore is the measuring core.
const probeCore arch.CoreID = 0

// Probe measures spec's load-to-use latencies on core 0: L1, L2, L3 (where
// there is one), memory 0..N hops away, and a line dirty in another core's
// cache on the same package and N hops away.
func Probe(spec *topologies.Spec, seed uint64) (*ProbeResult, error) {
	m, err := machine.New(spec, machine.Options{Seed: seed})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	p := &prober{m: m, spec: spec, alloc: m.Allocator(), res: &ProbeResult{Machine: spec.Name}}
	if err := p.run(); err != nil {
		return nil, fmt.Errorf("probe %s: %w", spec.Name, err)
	}
	p.res.Links = m.Network().Snapshot()
	return p.res, nil
}

type prober struct {
	m     *machine.Machine
	spec  *topologies.Spec
	alloc *arch.FrameAllocator
	res   *ProbeResult
}

func (p *prober) add(level string, c arch.Cycles) {
	p.res.Latencies = append(p.res.Latencies, ProbeLevel{level, c})
}

// on runs f alone on core id.
func (p *prober) on(id arch.CoreID, f func(c arch.Core)) error {
	p.m.Start(id, f)
	return p.m.Run()
}

// timeLoad is the load-to-use time of one load on c, less the cost of
// reading the TSC, measured back to back first (as lmbench subtracts its
// timing overhead).
func timeLoad(c arch.Core, a arch.Addr) arch.Cycles {
	o0 := c.Now()
	overhead := c.Now() - o0
	t0 := c.Now()
	c.Load(a)
	return c.Now() - t0 - overhead
}

// line allocates a fresh line homed at node, at the start of a page of its
// own: successive probes then never touch neighbouring lines, so the
// hardware stream prefetcher (which does not cross pages) never sees a
// stream and adds no traffic to the measurement, as a latency benchmark's
// scattered pointer chase defeats the real one.
func (p *prober) line(node arch.NodeID) (arch.Addr, error) {
	return p.alloc.Alloc(node, arch.CacheLineSize, pageSize)
}

// pageSize is the x86 small page.
const pageSize = 4096

func (p *prober) run() error {
	info := p.m.Info(probeCore)
	ct := p.spec.CoreType(int(probeCore))
	home := info.Node

	// L1: load twice, time the second.
	a, err := p.line(home)
	if err != nil {
		return err
	}
	var l1 arch.Cycles
	if err := p.on(probeCore, func(c arch.Core) { c.Load(a); l1 = timeLoad(c, a) }); err != nil {
		return err
	}
	p.add("L1", l1)

	// L2 and L3: load the line, then evict it from the L1 (and the L2) by
	// loading lines that map to the same sets. The L1 and L2 set strides
	// are sets×line; loading ways+1 conflicting lines evicts it.
	l1Stride := uint64(ct.L1D.Sets) * uint64(ct.L1D.Line)
	if ct.L2 != nil {
		l2Stride := uint64(ct.L2.Sets) * uint64(ct.L2.Line)
		stride := max(l1Stride, l2Stride)
		region, err := p.alloc.Alloc(home, stride*uint64(ct.L2.Ways+ct.L1D.Ways+2), stride)
		if err != nil {
			return err
		}
		var l2 arch.Cycles
		if err := p.on(probeCore, func(c arch.Core) {
			c.Load(region)
			for i := 1; i <= ct.L1D.Ways+1; i++ {
				c.Load(region + arch.Addr(uint64(i)*l1Stride))
			}
			l2 = timeLoad(c, region)
		}); err != nil {
			return err
		}
		p.add("L2", l2)
		if p.spec.Packages[info.Package].L3 != nil {
			region, err := p.alloc.Alloc(home, stride*uint64(ct.L2.Ways+ct.L1D.Ways+2), stride)
			if err != nil {
				return err
			}
			var l3 arch.Cycles
			if err := p.on(probeCore, func(c arch.Core) {
				c.Load(region)
				for i := 1; i <= ct.L2.Ways+1; i++ {
					c.Load(region + arch.Addr(uint64(i)*l2Stride))
				}
				l3 = timeLoad(c, region)
			}); err != nil {
				return err
			}
			p.add("L3", l3)
		}
	}

	// Memory and cache-to-cache, by distance from the probe core's node.
	myNode := p.spec.Cores[probeCore].Node
	maxHops := 0
	for _, r := range p.spec.MemoryRanges() {
		maxHops = max(maxHops, p.spec.Hops(myNode, r.Node))
	}
	for h := 0; h <= maxHops; h++ {
		node, ok := p.memoryAt(myNode, h)
		if !ok {
			continue
		}
		a, err := p.line(arch.NodeID(node))
		if err != nil {
			return err
		}
		var t arch.Cycles
		if err := p.on(probeCore, func(c arch.Core) { t = timeLoad(c, a) }); err != nil {
			return err
		}
		name := "mem-local"
		if h > 0 || node != myNode {
			name = fmt.Sprintf("mem-%dhop", h)
		}
		p.add(name, t)
	}

	// Cache to cache: another core writes a line homed at the probe
	// core's node (so the home is local and only the owner's distance
	// varies), then the probe core loads it.
	if other, ok := p.coreAt(func(c topologies.Core) bool {
		return c.Package == p.spec.Cores[probeCore].Package && p.spec.SharedCacheLevel(int(probeCore), c.ID) != 2
	}); ok {
		if err := p.c2c("c2c-package", other, home); err != nil {
			return err
		}
	}
	for h := 1; h <= p.spec.Diameter(); h++ {
		other, ok := p.coreAt(func(c topologies.Core) bool {
			return c.Package != p.spec.Cores[probeCore].Package && p.spec.Hops(myNode, c.Node) == h
		})
		if !ok {
			continue
		}
		if err := p.c2c(fmt.Sprintf("c2c-%dhop", h), other, home); err != nil {
			return err
		}
	}
	return nil
}

// c2c times core 0's load of a line that core other has just written.
func (p *prober) c2c(level string, other arch.CoreID, home arch.NodeID) error {
	a, err := p.line(home)
	if err != nil {
		return err
	}
	if err := p.on(other, func(c arch.Core) { c.Store(a, 1); c.Fence() }); err != nil {
		return err
	}
	var t arch.Cycles
	if err := p.on(probeCore, func(c arch.Core) { t = timeLoad(c, a) }); err != nil {
		return err
	}
	p.add(level, t)
	return nil
}

// coreAt is the lowest-numbered coherent core satisfying ok.
func (p *prober) coreAt(ok func(topologies.Core) bool) (arch.CoreID, bool) {
	for _, c := range p.spec.Cores {
		if arch.CoreID(c.ID) != probeCore && p.spec.CoreTypes[c.Type].Coherent && ok(c) {
			return arch.CoreID(c.ID), true
		}
	}
	return 0, false
}

// memoryAt is the lowest-numbered node with memory h hops from n.
func (p *prober) memoryAt(n topologies.NodeID, h int) (topologies.NodeID, bool) {
	for _, r := range p.spec.MemoryRanges() {
		if p.spec.Hops(n, r.Node) == h {
			return r.Node, true
		}
	}
	return 0, false
}
