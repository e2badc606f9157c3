package machine

import (
	"fmt"

	"mksim/arch"
	"mksim/sim"
	"mksim/sim/cache"
	"mksim/sim/cores"
	"mksim/sim/interconnect"
	"mksim/sim/mem"
	"mksim/topologies"
)

// Options are the run-time choices that are not part of the topology.
type Options struct {
	// Seed derives every component's random stream.
	Seed uint64
}

// Machine is a simulated machine built from a topology. It implements
// arch.Machine.
type Machine struct {
	spec   *topologies.Spec
	eng    *sim.Engine
	memory *mem.Memory
	homes  *mem.HomeMap
	net    *interconnect.Network
	caches *cache.System
	cores  []*cores.Core
	group  *cores.Group
	fabric *ipiFabric
	infos  []arch.CoreInfo
	closed bool
}

var _ arch.Machine = (*Machine)(nil)

// New builds the machine a spec describes. Errors name the topology's
// source; a spec that Load accepted should never fail here.
func New(spec *topologies.Spec, opts Options) (*Machine, error) {
	m := &Machine{spec: spec, eng: sim.New(opts.Seed), memory: mem.NewMemory()}
	var ranges []mem.Range
	for _, r := range spec.MemoryRanges() {
		ranges = append(ranges, mem.Range{Base: mem.Addr(r.Base), Size: uint64(r.Size), Home: mem.NodeID(r.Node)})
	}
	homes, err := mem.NewHomeMap(ranges)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Source, err)
	}
	m.homes = homes
	if m.net, err = buildNetwork(m.eng, spec); err != nil {
		return nil, err
	}
	ccfg, err := cacheConfig(spec)
	if err != nil {
		return nil, err
	}
	if m.caches, err = cache.New(m.eng, ccfg, m.memory, homes); err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Source, err)
	}
	m.caches.SetNetwork(m.net)

	m.fabric = &ipiFabric{net: m.net}
	for _, c := range spec.Cores {
		m.fabric.nodeOf = append(m.fabric.nodeOf, mem.NodeID(c.Node))
	}
	cacheNodes := map[mem.NodeID]bool{}
	for _, n := range m.caches.Nodes() {
		cacheNodes[n] = true
	}
	// IPIs go to the cores, everything else straight to the node's
	// coherence controller.
	m.net.AttachClass(mem.ClassIPI, m.fabric)
	for _, n := range spec.Nodes {
		var r mem.Receiver = noCache{}
		if cacheNodes[mem.NodeID(n.ID)] {
			r = m.caches.Receiver(mem.NodeID(n.ID))
		}
		m.net.Attach(mem.NodeID(n.ID), r)
	}

	configs := make([]cores.Config, len(spec.CoreTypes))
	for i := range spec.CoreTypes {
		configs[i] = coreConfig(&spec.CoreTypes[i])
		if err := configs[i].Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", spec.Source, err)
		}
	}
	for _, c := range spec.Cores {
		id := arch.CoreID(c.ID)
		var port mem.Port
		t := &spec.CoreTypes[c.Type]
		if t.Coherent {
			port = m.caches.L1(c.ID)
		} else {
			port = newNCPort(fmt.Sprintf("pkg[%d].core[%d].l1d", c.Package, c.ID), m.eng, m.memory, homes, m.net,
				mem.NodeID(c.Node), int(t.L1D.Size), t.L1D.Ways,
				sim.Time(t.L1D.Latency)*sim.Time(t.Clock.Period()), m.dramLatency)
		}
		core := cores.New(m.eng, id, configs[c.Type], port, m.fabric)
		if t.Coherent {
			core.SetWatcher(newL1Watcher(m.caches.L1(c.ID)))
		}
		m.cores = append(m.cores, core)
		m.infos = append(m.infos, arch.CoreInfo{
			ID:       id,
			Package:  arch.PackageID(c.Package),
			Node:     m.localMemoryNode(c.Node),
			Type:     t.Name,
			Coherent: t.Coherent,
			TSCHz:    int64(t.Clock),
		})
	}
	m.group = cores.NewGroup(m.eng, m.cores)
	m.fabric.sink = m.group
	return m, nil
}

// dramLatency is the DRAM access time at a node's memory controller.
func (m *Machine) dramLatency(n mem.NodeID) sim.Time {
	if mm := m.spec.NodeMemory(topologies.NodeID(n)); mm != nil {
		return sim.Time(mm.Latency)
	}
	return 0
}

// localMemoryNode is the memory node nearest to a coherence node: its own
// if it has a memory controller, else the closest one by hops (lowest ID on
// a tie), as the BIOS's SRAT would tell software.
func (m *Machine) localMemoryNode(n topologies.NodeID) arch.NodeID {
	if m.spec.NodeMemory(n) != nil {
		return arch.NodeID(n)
	}
	best, bestHops := topologies.NodeID(-1), 1<<30
	for _, r := range m.spec.MemoryRanges() {
		if h := m.spec.Hops(n, r.Node); h < bestHops || (h == bestHops && r.Node < best) {
			best, bestHops = r.Node, h
		}
	}
	return arch.NodeID(best)
}

// Spec is the topology the machine was built from.
func (m *Machine) Spec() *topologies.Spec { return m.spec }

// Engine is the machine's event engine.
func (m *Machine) Engine() *sim.Engine { return m.eng }

// Network is the machine's interconnect, with its per-link counters.
func (m *Machine) Network() *interconnect.Network { return m.net }

// Caches is the machine's memory hierarchy.
func (m *Machine) Caches() *cache.System { return m.caches }

// Memory is the machine's physical memory (the backing store below the
// caches; it does not see data that is dirty in a cache).
func (m *Machine) Memory() *mem.Memory { return m.memory }

// Core returns the simulated core id.
func (m *Machine) Core(id arch.CoreID) *cores.Core { return m.cores[id] }

// CoreStats returns core id's counters.
func (m *Machine) CoreStats(id arch.CoreID) cores.Stats { return m.cores[id].Stats() }

// NumCores implements arch.Machine.
func (m *Machine) NumCores() int { return len(m.cores) }

// Info implements arch.Machine.
func (m *Machine) Info(id arch.CoreID) arch.CoreInfo { return m.infos[id] }

// SharedCacheLevel implements arch.Machine.
func (m *Machine) SharedCacheLevel(a, b arch.CoreID) int {
	return m.spec.SharedCacheLevel(int(a), int(b))
}

// Regions implements arch.Machine.
func (m *Machine) Regions() []arch.Region {
	var rs []arch.Region
	for _, r := range m.spec.MemoryRanges() {
		rs = append(rs, arch.Region{Node: arch.NodeID(r.Node), Base: arch.Addr(r.Base), Size: uint64(r.Size)})
	}
	return rs
}

// Allocator returns a fresh frame allocator over the machine's memory.
func (m *Machine) Allocator() *arch.FrameAllocator { return arch.NewFrameAllocator(m.Regions()) }

// Start implements arch.Machine.
func (m *Machine) Start(id arch.CoreID, p arch.Program) { m.cores[id].Start(p) }

// Run implements arch.Machine: it runs every started program to completion.
func (m *Machine) Run() error {
	if m.closed {
		return fmt.Errorf("machine %s: Run after Close", m.spec.Name)
	}
	return m.group.Run()
}

// Close ends the cores' coroutines. A machine must be closed when done.
func (m *Machine) Close() {
	if !m.closed {
		m.group.Close()
		m.closed = true
	}
}
