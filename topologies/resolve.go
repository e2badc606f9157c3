package topologies

import (
	"fmt"
	"regexp"
	"sort"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]*$`)

// resolver turns a rawFile into a Spec, reporting every semantic problem.
type resolver struct {
	s    *errorSink
	f    *rawFile
	spec *Spec

	typeByName map[string]int
	lineOwner  pos // where the machine's line size was first set
	nodePos    []pos
}

func resolve(s *errorSink, f *rawFile, source string) *Spec {
	r := &resolver{s: s, f: f, typeByName: map[string]int{}}
	r.spec = &Spec{Name: f.name, Description: f.description, Source: source, AddressBits: f.addressBits}
	if f.name != "" && !nameRE.MatchString(f.name) {
		s.add(f.namePos.line, f.namePos.path, "bad name %q (letters, digits and _.+- only)", f.name)
	}
	r.coreTypes()
	before := len(s.errs)
	r.nodes()
	nodesOK := len(s.errs) == before
	r.packages()
	r.hubs()
	r.memory()
	if nodesOK {
		// Links name nodes: with bad node ids, every link would fail too.
		r.links()
		r.coherence()
	}
	if len(s.errs) > 0 {
		return nil
	}
	r.connected()
	if len(s.errs) > 0 {
		return nil
	}
	r.routing()
	if len(s.errs) > 0 {
		return nil
	}
	return r.spec
}

// toPs resolves a quantity to picoseconds, counting cycles in clock (whose
// origin is named in clockName for the error message).
// A positive result is required: a zero latency is reported too.
func (r *resolver) toPs(q quantity, p pos, clock Hz, clockName string) Picoseconds {
	ps := q.ps
	if q.isCycles {
		if clock == 0 {
			r.s.add(p.line, p.path, "%s needs a clock to count cycles in: give %s, or write a time (e.g. 40ns)", q, clockName)
			return 0
		}
		var err error
		if ps, err = cyclesToPs(q.cycles, clock); err != nil {
			r.s.add(p.line, p.path, "%v", err)
			return 0
		}
	}
	if ps <= 0 {
		r.s.add(p.line, p.path, "latency must be positive")
	}
	return ps
}

// toCycles resolves a quantity to cycles of a core clock.
func (r *resolver) toCycles(q quantity, p pos, clock Hz) Cycles {
	if q.isCycles {
		return q.cycles
	}
	c := psToCycles(q.ps, clock)
	if c > maxCycles {
		r.s.add(p.line, p.path, "%s is too long", q)
	}
	return c
}

// geometry checks a cache's shape.
func (r *resolver) geometry(c *rawCache) (Geometry, bool) {
	g := Geometry{Size: c.size, Ways: c.ways, Line: c.line}
	ok := true
	if !isPow2(int64(c.line)) {
		r.s.add(c.linePos.line, c.linePos.path, "line size %dB is not a power of two", c.line)
		return g, false
	}
	if c.line < 8 || c.line > 4096 {
		r.s.add(c.linePos.line, c.linePos.path, "line size %dB is out of range [8B, 4KiB]", c.line)
		return g, false
	}
	if r.spec.LineSize == 0 {
		r.spec.LineSize, r.lineOwner = c.line, c.linePos
	} else if c.line != r.spec.LineSize {
		r.s.add(c.linePos.line, c.linePos.path, "line size %s differs from the machine's %s (%s, line %d)", c.line, r.spec.LineSize, r.lineOwner.path, r.lineOwner.line)
		ok = false
	}
	if c.size <= 0 {
		r.s.add(c.sizePos.line, c.sizePos.path, "size must be positive")
		return g, false
	}
	way := Bytes(c.ways) * c.line
	if c.size%way != 0 {
		r.s.add(c.sizePos.line, c.sizePos.path, "size %s does not divide into %d ways of %dB lines", c.size, c.ways, c.line)
		return g, false
	}
	sets := int64(c.size / way)
	if !isPow2(sets) {
		r.s.add(c.sizePos.line, c.sizePos.path, "%s / (%d ways × %dB) = %d sets, not a power of two", c.size, c.ways, c.line, sets)
		ok = false
	}
	g.Sets = int(sets)
	return g, ok
}

func (r *resolver) coreTypes() {
	for _, rt := range r.f.coreTypes {
		ct := CoreType{Name: rt.name, Clock: rt.clock, CPI: rt.cpi, Coherent: rt.coherent, StoreBuffer: rt.storeBuffer, MSHRs: rt.mshrs, PrefetchDegree: rt.prefetch}
		if !nameRE.MatchString(rt.name) {
			r.s.add(rt.namePos.line, rt.namePos.path, "bad core type name %q (letters, digits and _.+- only)", rt.name)
		} else if prev, dup := r.typeByName[rt.name]; dup {
			r.s.add(rt.namePos.line, rt.namePos.path, "duplicated core type %q (first at line %d)", rt.name, r.f.coreTypes[prev].namePos.line)
		}
		if rt.cpi <= 0 || rt.cpi > 1000 {
			r.s.add(rt.cpiPos.line, rt.cpiPos.path, "cpi %g is out of range (0, 1000]", rt.cpi)
		}
		if rt.l1d != nil {
			g, _ := r.geometry(rt.l1d)
			ct.L1D = CoreCache{Geometry: g, Latency: r.toCycles(rt.l1d.latency, rt.l1d.latPos, rt.clock), Shared: PerCore}
			if ct.L1D.Latency < 1 {
				r.s.add(rt.l1d.latPos.line, rt.l1d.latPos.path, "hit latency must be at least 1 cycle")
			}
		}
		if rt.l2 != nil {
			g, _ := r.geometry(rt.l2)
			ct.L2 = &CoreCache{Geometry: g, Latency: r.toCycles(rt.l2.latency, rt.l2.latPos, rt.clock), Shared: Sharing(rt.l2.shared)}
			if ct.L2.Latency < 1 {
				r.s.add(rt.l2.latPos.line, rt.l2.latPos.path, "hit latency must be at least 1 cycle")
			}
			if rt.l2.hasSnoop {
				ct.L2.L1Snoop = r.toCycles(rt.l2.snoop, rt.l2.snoopPos, rt.clock)
				if ct.L2.Shared != PerDie {
					r.s.add(rt.l2.snoopPos.line, rt.l2.snoopPos.path, "l1_snoop needs an L2 shared by the die (shared: die): a private L2 has no other L1 to snoop")
				}
			}
		}
		costs := [6]*Cycles{&ct.Costs.Trap, &ct.Costs.Syscall, &ct.Costs.ContextSwitch, &ct.Costs.AddressSpaceSwitch, &ct.Costs.InvalidatePage, &ct.Costs.IPISend}
		for i, c := range rt.costs {
			*costs[i] = r.toCycles(c.q, c.p, rt.clock)
		}
		if _, dup := r.typeByName[rt.name]; !dup {
			r.typeByName[rt.name] = len(r.spec.CoreTypes)
		}
		r.spec.CoreTypes = append(r.spec.CoreTypes, ct)
	}
}

// nodes checks that package and hub node ids are unique and dense, and
// builds Spec.Nodes.
func (r *resolver) nodes() {
	type def struct {
		p            pos
		kind         NodeKind
		index, owner int
	}
	byID := map[int]def{}
	add := func(id int, p pos, kind NodeKind, index int) {
		if prev, dup := byID[id]; dup {
			r.s.add(p.line, p.path, "duplicated node id %d (also %s, line %d)", id, prev.p.path, prev.p.line)
			return
		}
		byID[id] = def{p: p, kind: kind, index: index}
	}
	for i, p := range r.f.packages {
		add(p.node, p.nodePos, NodePackage, i)
	}
	for i, h := range r.f.hubs {
		add(h.node, h.nodePos, NodeHub, i)
	}
	n := len(byID)
	r.spec.Nodes = make([]Node, n)
	r.nodePos = make([]pos, n)
	ids := make([]int, 0, n)
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		d := byID[id]
		if id >= n {
			r.s.add(d.p.line, d.p.path, "node ids must be 0..%d without gaps, got %d", n-1, id)
			continue
		}
		r.spec.Nodes[id] = Node{ID: NodeID(id), Kind: d.kind, Index: d.index}
		r.nodePos[id] = d.p
	}
}

func (r *resolver) packages() {
	byID := map[int]pos{}
	before := len(r.s.errs)
	for _, p := range r.f.packages {
		if prev, dup := byID[p.id]; dup {
			r.s.add(p.idPos.line, p.idPos.path, "duplicated package id %d (first at line %d)", p.id, prev.line)
			continue
		}
		byID[p.id] = p.idPos
		if p.id >= len(r.f.packages) {
			r.s.add(p.idPos.line, p.idPos.path, "package ids must be 0..%d without gaps, got %d", len(r.f.packages)-1, p.id)
		}
	}
	if len(r.s.errs) > before {
		return
	}
	raw := make([]rawPackage, len(r.f.packages))
	for _, p := range r.f.packages {
		raw[p.id] = p
	}
	total := 0
	for _, rp := range raw {
		for _, d := range rp.dies {
			for _, c := range d.cores {
				total += c.count
			}
		}
		if total > maxCoresTotal {
			r.s.add(rp.p.line, rp.p.path, "too many cores (at most %d in a machine)", maxCoresTotal)
			return
		}
	}
	for _, rp := range raw {
		pk := Package{ID: rp.id, Node: NodeID(rp.node), Clock: rp.clock}
		if int(pk.Node) < len(r.spec.Nodes) {
			r.spec.Nodes[pk.Node].Name = fmt.Sprintf("P%d", pk.ID)
			r.spec.Nodes[pk.Node].Index = pk.ID
		}
		clocks := map[Hz]bool{}
		badCores := false
		for di, rd := range rp.dies {
			var die Die
			dieShared, dieL2 := -1, -1 // the type whose L2 the die shares, and that L2
			for _, ref := range rd.cores {
				ti, ok := r.typeByName[ref.typ]
				if !ok {
					r.s.add(ref.p.line, ref.p.path, "unknown core type %q", ref.typ)
					badCores = true
					continue
				}
				ct := r.spec.CoreTypes[ti]
				clocks[ct.Clock] = true
				if ct.L2 != nil && ct.L2.Shared == PerDie {
					if dieShared == -1 {
						dieShared, dieL2 = ti, len(r.spec.L2s)
						r.spec.L2s = append(r.spec.L2s, L2Instance{Type: ti, Package: pk.ID, Die: di})
					}
				}
				for range ref.count {
					c := Core{ID: len(r.spec.Cores), Package: pk.ID, Die: di, Node: pk.Node, Type: ti, L2: -1}
					switch {
					case ct.L2 == nil:
					case ct.L2.Shared == PerDie:
						c.L2 = dieL2
					default:
						c.L2 = len(r.spec.L2s)
						r.spec.L2s = append(r.spec.L2s, L2Instance{Type: ti, Package: pk.ID, Die: di})
					}
					if c.L2 >= 0 {
						r.spec.L2s[c.L2].Cores = append(r.spec.L2s[c.L2].Cores, c.ID)
					}
					die.Cores = append(die.Cores, c.ID)
					r.spec.Cores = append(r.spec.Cores, c)
				}
			}
			if dieShared >= 0 {
				for _, id := range die.Cores {
					if t := r.spec.Cores[id].Type; t != dieShared {
						r.s.add(rd.p.line, rd.p.path, "core types %q and %q cannot share a die: %q's L2 is shared by the die", r.spec.CoreTypes[dieShared].Name, r.spec.CoreTypes[t].Name, r.spec.CoreTypes[dieShared].Name)
						break
					}
				}
			}
			pk.Dies = append(pk.Dies, die)
		}
		if badCores {
			// The package's clock is unknown: checking its L3 and memory
			// now would only repeat the same error.
			r.spec.Packages = append(r.spec.Packages, pk)
			continue
		}
		if pk.Clock == 0 && len(clocks) == 1 {
			for c := range clocks {
				pk.Clock = c
			}
		}
		clockName := fmt.Sprintf("%s.clock (its cores have different clocks)", rp.p.path)
		if rp.l3 != nil {
			g, _ := r.geometry(rp.l3)
			pk.L3 = &PackageCache{Geometry: g, Latency: r.toPs(rp.l3.latency, rp.l3.latPos, pk.Clock, clockName), Kind: L3Kind(rp.l3.kind)}
		}
		if rp.memory != nil {
			pk.Memory = r.mem(rp.memory, pk.Clock, clockName)
		}
		r.spec.Packages = append(r.spec.Packages, pk)
	}
}

func (r *resolver) mem(m *rawMemory, clock Hz, clockName string) *Memory {
	out := &Memory{Base: m.base, Size: m.size, Latency: r.toPs(m.latency, m.latPos, clock, clockName), Bandwidth: m.bandwidth}
	if m.hasCycle {
		out.Banks, out.Row, out.RowCycle = m.banks, m.row, r.toPs(m.rowCycle, m.cyclePos, clock, clockName)
		if m.row < 64 || m.row&(m.row-1) != 0 {
			r.s.add(m.rowPos.line, m.rowPos.path, "row %s is not a power of two of at least one 64B line", m.row)
		}
		if out.RowCycle <= 0 {
			r.s.add(m.cyclePos.line, m.cyclePos.path, "row_cycle must be positive (omit it to leave the banks unmodelled)")
		}
	}
	const page = 4096
	if m.base%page != 0 {
		r.s.add(m.basePos.line, m.basePos.path, "base %#x is not 4KiB-aligned", int64(m.base))
	}
	if m.size <= 0 || m.size%page != 0 {
		r.s.add(m.sizePos.line, m.sizePos.path, "size %s is not a positive multiple of 4KiB", m.size)
	}
	if limit := Bytes(1) << r.spec.AddressBits; m.base >= limit || m.size > limit-m.base {
		r.s.add(m.sizePos.line, m.sizePos.path, "range [%#x, %#x) is beyond the %d-bit physical address space", int64(m.base), int64(m.base)+int64(m.size), r.spec.AddressBits)
	}
	return out
}

func (r *resolver) hubs() {
	names := map[string]int{}
	for _, rh := range r.f.hubs {
		h := Hub{Name: rh.name, Node: NodeID(rh.node), Clock: rh.clock}
		if h.Name == "" {
			h.Name = fmt.Sprintf("hub%d", rh.node)
		}
		np := pos{rh.p.line, join(rh.p.path, "name")}
		if !nameRE.MatchString(h.Name) {
			r.s.add(np.line, np.path, "bad hub name %q (letters, digits and _.+- only)", h.Name)
		} else if first, dup := names[h.Name]; dup {
			r.s.add(np.line, np.path, "duplicated hub name %q (first at line %d)", h.Name, first)
		}
		names[h.Name] = rh.p.line
		if rh.memory != nil {
			h.Memory = *r.mem(rh.memory, rh.clock, join(rh.p.path, "clock"))
		}
		if int(h.Node) < len(r.spec.Nodes) {
			r.spec.Nodes[h.Node].Name = h.Name
			r.spec.Nodes[h.Node].Index = len(r.spec.Hubs)
		}
		r.spec.Hubs = append(r.spec.Hubs, h)
	}
}

// memory checks that memory ranges do not overlap.
func (r *resolver) memory() {
	type rng struct {
		base, end Bytes
		m         *rawMemory
	}
	var all []rng
	for _, p := range r.f.packages {
		if p.memory != nil {
			all = append(all, rng{p.memory.base, p.memory.base + p.memory.size, p.memory})
		}
	}
	for _, h := range r.f.hubs {
		if h.memory != nil {
			all = append(all, rng{h.memory.base, h.memory.base + h.memory.size, h.memory})
		}
	}
	if len(all) == 0 {
		r.s.add(r.f.packagesPos.line, r.f.packagesPos.path, "the machine has no memory: give a package or a hub a memory controller")
		return
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].base < all[j].base })
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if b.base < a.end {
			later, earlier := b, a
			if later.m.p.line < earlier.m.p.line {
				later, earlier = earlier, later
			}
			r.s.add(later.m.basePos.line, later.m.basePos.path, "memory range [%#x, %#x) overlaps %s [%#x, %#x) (line %d)",
				int64(later.base), int64(later.end), earlier.m.p.path, int64(earlier.base), int64(earlier.end), earlier.m.p.line)
		}
	}
}

func (r *resolver) links() {
	names := map[string]int{}
	// Explicit names first, so a default name never takes an explicit one.
	for _, rl := range r.f.links {
		if rl.name == "" {
			continue
		}
		if !nameRE.MatchString(rl.name) {
			r.s.add(rl.namePos.line, rl.namePos.path, "bad link name %q (letters, digits and _.+- only)", rl.name)
		} else if first, dup := names[rl.name]; dup {
			r.s.add(rl.namePos.line, rl.namePos.path, "duplicated link name %q (first at line %d)", rl.name, first)
		}
		names[rl.name] = rl.namePos.line
	}
	for _, rl := range r.f.links {
		l := Link{Name: rl.name, Kind: LinkKind(rl.kind), Width: rl.width, Clock: rl.clock, TransfersPerClock: rl.tpc}
		l.Latency = r.toPs(rl.latency, rl.latPos, rl.clock, join(rl.p.path, "clock"))
		seen := map[int]bool{}
		for i, n := range rl.nodes {
			np := rl.nodePos[i]
			switch {
			case n < 0 || n >= len(r.spec.Nodes):
				r.s.add(np.line, np.path, "undefined node %d (no package or hub has node: %d)", n, n)
			case seen[n]:
				r.s.add(np.line, np.path, "node %d is listed twice", n)
			}
			seen[n] = true
			l.Nodes = append(l.Nodes, NodeID(n))
		}
		if rl.kind == string(FSB) && len(rl.nodes) < 2 {
			r.s.add(rl.nodesPos.line, rl.nodesPos.path, "a bus joins at least 2 nodes, got %d", len(rl.nodes))
		}
		if rl.kind != string(FSB) && rl.kind != "" && len(rl.nodes) != 2 {
			r.s.add(rl.nodesPos.line, rl.nodesPos.path, "a %s link joins exactly 2 nodes, got %d", rl.kind, len(rl.nodes))
		}
		if l.Name == "" {
			base := rl.kind
			for i, n := range rl.nodes {
				if i > 0 {
					base += "-"
				}
				base += fmt.Sprint(n)
			}
			l.Name = base
			for k := 2; names[l.Name] != 0; k++ {
				l.Name = fmt.Sprintf("%s#%d", base, k)
			}
			names[l.Name] = rl.p.line
		}
		r.spec.Links = append(r.spec.Links, l)
	}
}

func (r *resolver) coherence() {
	c := r.f.coherence
	r.spec.Coherence.Scheme = Scheme(c.scheme)
	if c.scheme == string(FSBSnoop) {
		bus := false
		for _, l := range r.spec.Links {
			bus = bus || l.Kind == FSB
		}
		if !bus {
			r.s.add(c.schemePos.line, c.schemePos.path, "fsb-snoop needs a link of kind fsb")
		}
	}
	if c.onChip != "" && c.scheme != string(HTBroadcast) {
		r.s.add(c.onChipPos.line, c.onChipPos.path, "on_chip applies to ht-broadcast only")
	}
	r.spec.Coherence.LocalOnChip = c.onChip == "local"
	if c.scheme == string(Directory) && c.filter == nil {
		r.s.add(c.p.line, join(c.p.path, "filter"), "the directory scheme needs a filter (the directory)")
	}
	sibling := false // sibling_occupancy given
	for _, u := range c.uncore {
		ps := r.toPs(u.q, u.p, c.clock, join(c.p.path, "clock"))
		switch u.key {
		case "to_controller":
			r.spec.Coherence.Uncore.ToController = ps
		case "from_controller":
			r.spec.Coherence.Uncore.FromController = ps
		case "sibling_probe":
			r.spec.Coherence.Uncore.SiblingProbe = ps
		case "request_out":
			r.spec.Coherence.Uncore.RequestOut = ps
		case "probe_response":
			r.spec.Coherence.Uncore.ProbeResponse = ps
		case "probe_occupancy":
			r.spec.Coherence.Uncore.ProbeOccupancy = ps
		case "sibling_occupancy":
			r.spec.Coherence.Uncore.SiblingOccupancy = ps
			sibling = true
		case "home":
			r.spec.Coherence.Uncore.Home = ps
		}
	}
	if !sibling {
		// One engine cost for every probe, as before the two were told
		// apart.
		r.spec.Coherence.Uncore.SiblingOccupancy = r.spec.Coherence.Uncore.ProbeOccupancy
	}
	if c.filter == nil {
		return
	}
	f := &Filter{Coverage: c.filter.coverage, Ways: c.filter.ways}
	f.Latency = r.toPs(c.filter.latency, c.filter.latPos, c.clock, join(c.p.path, "clock"))
	line := r.spec.LineSize
	if line == 0 {
		line = 64
	}
	way := Bytes(f.Ways) * line
	switch {
	case f.Coverage <= 0:
		r.s.add(c.filter.covPos.line, c.filter.covPos.path, "coverage must be positive")
	case f.Coverage%way != 0:
		r.s.add(c.filter.covPos.line, c.filter.covPos.path, "coverage %s does not divide into %d ways of %dB lines", f.Coverage, f.Ways, line)
	case !isPow2(int64(f.Coverage / way)):
		r.s.add(c.filter.covPos.line, c.filter.covPos.path, "%s / (%d ways × %dB) = %d sets, not a power of two", f.Coverage, f.Ways, line, f.Coverage/way)
	default:
		f.Sets = int(f.Coverage / way)
	}
	r.spec.Coherence.Filter = f
}

// adjacency[a][b] is the lowest-index link joining a and b, or -1.
func (r *resolver) adjacency() [][]int {
	n := len(r.spec.Nodes)
	adj := make([][]int, n)
	for i := range adj {
		adj[i] = make([]int, n)
		for j := range adj[i] {
			adj[i][j] = -1
		}
	}
	for li, l := range r.spec.Links {
		for _, a := range l.Nodes {
			for _, b := range l.Nodes {
				if a != b && adj[a][b] == -1 {
					adj[a][b] = li
				}
			}
		}
	}
	return adj
}

// connected checks that every node can reach node 0.
func (r *resolver) connected() {
	adj := r.adjacency()
	dist := bfs(adj, 0)
	for id, d := range dist {
		if d < 0 {
			p := r.nodePos[id]
			r.s.add(p.line, p.path, "node %d is not connected to node 0: no links reach it", id)
		}
	}
}

// bfs returns hop distances from dst over adj (-1: unreachable).
func bfs(adj [][]int, dst int) []int {
	dist := make([]int, len(adj))
	for i := range dist {
		dist[i] = -1
	}
	dist[dst] = 0
	queue := []int{dst}
	for len(queue) > 0 {
		a := queue[0]
		queue = queue[1:]
		for b, l := range adj[a] {
			if l >= 0 && dist[b] < 0 {
				dist[b] = dist[a] + 1
				queue = append(queue, b)
			}
		}
	}
	return dist
}
