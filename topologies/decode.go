package topologies

import (
	"gopkg.in/yaml.v3"
)

// The raw* types are the file as written, syntax-checked but not yet
// cross-checked: names unresolved, cycles not yet converted.

type rawFile struct {
	root        pos
	name        string
	namePos     pos
	description string
	addressBits int
	coherence   rawCoherence
	coreTypes   []rawCoreType
	packages    []rawPackage
	packagesPos pos
	hubs        []rawHub
	links       []rawLink
	routing     []rawRouting
}

type rawCoherence struct {
	p         pos
	scheme    string
	schemePos pos
	clock     Hz
	filter    *rawFilter
	uncore    []rawUncoreField
	onChip    string
	onChipPos pos
}

// rawUncoreField is one on-chip controller latency of the uncore block.
type rawUncoreField struct {
	key string
	q   quantity
	p   pos
}

// uncoreKeys are the fields of coherence.uncore, in Spec.Uncore order.
var uncoreKeys = []string{"to_controller", "from_controller", "sibling_probe", "request_out", "probe_response", "probe_occupancy", "sibling_occupancy", "home"}

type rawFilter struct {
	p        pos
	coverage Bytes
	covPos   pos
	ways     int
	waysPos  pos
	latency  quantity
	latPos   pos
}

type rawCache struct {
	p         pos
	size      Bytes
	sizePos   pos
	ways      int
	waysPos   pos
	line      Bytes
	linePos   pos
	latency   quantity
	latPos    pos
	shared    string
	sharedPos pos
	kind      string
	snoop     quantity // l1_snoop (an L2 shared by a die)
	snoopPos  pos
	hasSnoop  bool
}

type rawCost struct {
	q quantity
	p pos
}

type rawCoreType struct {
	p           pos
	name        string
	namePos     pos
	clock       Hz
	cpi         float64
	cpiPos      pos
	coherent    bool
	l1d         *rawCache
	l2          *rawCache
	costs       [6]rawCost // trap, syscall, context_switch, address_space_switch, invlpg, ipi_send
	storeBuffer int
	mshrs       int
	prefetch    int
}

var costKeys = []string{"trap", "syscall", "context_switch", "address_space_switch", "invlpg", "ipi_send"}

type rawCoreRef struct {
	p     pos
	typ   string
	count int
}

type rawDie struct {
	p     pos
	cores []rawCoreRef
}

type rawPackage struct {
	p        pos
	id       int
	idPos    pos
	node     int
	nodePos  pos
	clock    Hz
	clockPos pos
	dies     []rawDie
	l3       *rawCache
	memory   *rawMemory
}

type rawMemory struct {
	p         pos
	base      Bytes
	basePos   pos
	size      Bytes
	sizePos   pos
	latency   quantity
	latPos    pos
	bandwidth BytesPerSecond
	banks     int
	row       Bytes
	rowPos    pos
	rowCycle  quantity
	cyclePos  pos
	hasCycle  bool
}

type rawHub struct {
	p       pos
	name    string
	node    int
	nodePos pos
	clock   Hz
	memory  *rawMemory
}

type rawLink struct {
	p        pos
	name     string
	namePos  pos
	kind     string
	nodes    []int
	nodesPos pos
	nodePos  []pos
	latency  quantity
	latPos   pos
	width    int
	clock    Hz
	tpc      int
}

type rawRouting struct {
	p       pos
	node    int
	nodePos pos
	entries []rawRoute
}

type rawRoute struct {
	p        pos
	dst      int
	nextNode int
	nextLink string
	isLink   bool
}

// Caps keep every input small enough to check quickly.
const (
	maxNodes      = 256
	maxCoresTotal = 4096
	maxCount      = 1024
	maxLinks      = 1024
	maxID         = 1 << 20
)

func decodeFile(s *errorSink, doc *yaml.Node) *rawFile {
	o := s.object(doc, "", "name", "description", "address_bits", "coherence", "core_types", "packages", "hubs", "links", "routing")
	if o == nil {
		return nil
	}
	f := &rawFile{root: pos{doc.Line, ""}, addressBits: 48}
	f.name, _ = o.str("name", true)
	f.namePos = o.pos("name")
	f.description, _ = o.str("description", false)
	if v, ok := o.integer("address_bits", false, 32, 62); ok {
		f.addressBits = int(v)
	}
	if n := o.get("coherence", true); n != nil {
		f.coherence = decodeCoherence(s, n, "coherence")
	}
	if items, ok := o.list("core_types", true); ok {
		if len(items) == 0 {
			s.add(o.pos("core_types").line, "core_types", "need at least one core type")
		}
		for i, n := range items {
			if ct, ok := decodeCoreType(s, n, index("core_types", i)); ok {
				f.coreTypes = append(f.coreTypes, ct)
			}
		}
	}
	f.packagesPos = o.pos("packages")
	if items, ok := o.list("packages", true); ok {
		if len(items) == 0 {
			s.add(f.packagesPos.line, "packages", "need at least one package")
		}
		for i, n := range items {
			if len(f.packages) >= maxNodes {
				s.add(n.Line, index("packages", i), "too many packages (at most %d nodes)", maxNodes)
				break
			}
			if p, ok := decodePackage(s, n, index("packages", i)); ok {
				f.packages = append(f.packages, p)
			}
		}
	}
	if items, ok := o.list("hubs", false); ok {
		for i, n := range items {
			if len(f.hubs)+len(f.packages) >= maxNodes {
				s.add(n.Line, index("hubs", i), "too many nodes (at most %d)", maxNodes)
				break
			}
			if h, ok := decodeHub(s, n, index("hubs", i)); ok {
				f.hubs = append(f.hubs, h)
			}
		}
	}
	if items, ok := o.list("links", false); ok {
		for i, n := range items {
			if i >= maxLinks {
				s.add(n.Line, index("links", i), "too many links (at most %d)", maxLinks)
				break
			}
			if l, ok := decodeLink(s, n, index("links", i)); ok {
				f.links = append(f.links, l)
			}
		}
	}
	if items, ok := o.list("routing", false); ok {
		for i, n := range items {
			if i >= maxNodes {
				s.add(n.Line, index("routing", i), "too many routing tables (at most %d)", maxNodes)
				break
			}
			if r, ok := decodeRouting(s, n, index("routing", i)); ok {
				f.routing = append(f.routing, r)
			}
		}
	}
	return f
}

func decodeCoherence(s *errorSink, n *yaml.Node, path string) rawCoherence {
	c := rawCoherence{p: pos{n.Line, path}}
	o := s.object(n, path, "scheme", "clock", "filter", "uncore", "on_chip")
	if o == nil {
		return c
	}
	if un := o.get("uncore", false); un != nil {
		up := join(path, "uncore")
		if uo := s.object(un, up, uncoreKeys...); uo != nil {
			for _, k := range uncoreKeys {
				if q, ok := uo.duration(k, false); ok {
					c.uncore = append(c.uncore, rawUncoreField{key: k, q: q, p: uo.pos(k)})
				}
			}
		}
	}
	c.scheme, _ = o.enum("scheme", true, string(HTBroadcast), string(FSBSnoop), string(Directory))
	c.schemePos = o.pos("scheme")
	c.onChip, _ = o.enum("on_chip", false, "home", "local")
	c.onChipPos = o.pos("on_chip")
	c.clock, _ = o.frequency("clock", false)
	if fn := o.get("filter", false); fn != nil {
		fp := join(path, "filter")
		if fo := s.object(fn, fp, "coverage", "ways", "latency"); fo != nil {
			f := &rawFilter{p: pos{fn.Line, fp}}
			f.coverage, _ = fo.size("coverage", true)
			f.covPos = fo.pos("coverage")
			w, _ := fo.integer("ways", true, 1, maxCount)
			f.ways, f.waysPos = int(w), fo.pos("ways")
			f.latency, _ = fo.duration("latency", true)
			f.latPos = fo.pos("latency")
			c.filter = f
		}
	}
	return c
}

// decodeCache reads an L1, L2 or L3; extra names the keys allowed beyond
// the geometry and latency ("shared" and "l1_snoop" for an L2, "kind" for
// an L3).
func decodeCache(s *errorSink, n *yaml.Node, path string, extra ...string) *rawCache {
	o := s.object(n, path, append([]string{"size", "ways", "line", "latency"}, extra...)...)
	if o == nil {
		return nil
	}
	c := &rawCache{p: pos{n.Line, path}, line: 64}
	c.size, _ = o.size("size", true)
	c.sizePos = o.pos("size")
	w, _ := o.integer("ways", true, 1, maxCount)
	c.ways, c.waysPos = int(w), o.pos("ways")
	if v, ok := o.size("line", false); ok {
		c.line = v
	}
	c.linePos = o.pos("line")
	c.latency, _ = o.duration("latency", true)
	c.latPos = o.pos("latency")
	for _, k := range extra {
		switch k {
		case "shared":
			c.shared = string(PerCore)
			if v, ok := o.enum("shared", false, string(PerCore), string(PerDie)); ok {
				c.shared = v
			}
			c.sharedPos = o.pos("shared")
		case "kind":
			c.kind, _ = o.enum("kind", true, string(Victim), string(Inclusive), string(Exclusive))
		case "l1_snoop":
			c.snoop, c.hasSnoop = o.duration("l1_snoop", false)
			c.snoopPos = o.pos("l1_snoop")
		}
	}
	return c
}

func decodeCoreType(s *errorSink, n *yaml.Node, path string) (rawCoreType, bool) {
	o := s.object(n, path, "name", "clock", "cpi", "coherent", "l1d", "l2", "costs", "store_buffer", "mshrs", "prefetch_degree")
	if o == nil {
		return rawCoreType{}, false
	}
	ct := rawCoreType{p: pos{n.Line, path}, coherent: true}
	ct.name, _ = o.str("name", true)
	ct.namePos = o.pos("name")
	ct.clock, _ = o.frequency("clock", true)
	ct.cpi, _ = o.float("cpi", true)
	ct.cpiPos = o.pos("cpi")
	if v, ok := o.boolean("coherent", false); ok {
		ct.coherent = v
	}
	if c := o.get("l1d", true); c != nil {
		ct.l1d = decodeCache(s, c, join(path, "l1d"))
	}
	if c := o.get("l2", false); c != nil {
		ct.l2 = decodeCache(s, c, join(path, "l2"), "shared", "l1_snoop")
	}
	if c := o.get("costs", true); c != nil {
		cp := join(path, "costs")
		if co := s.object(c, cp, costKeys...); co != nil {
			for i, k := range costKeys {
				ct.costs[i].q, _ = co.duration(k, true)
				ct.costs[i].p = co.pos(k)
			}
		}
	}
	v, _ := o.integer("store_buffer", true, 0, maxCount)
	ct.storeBuffer = int(v)
	v, _ = o.integer("mshrs", true, 1, maxCount)
	ct.mshrs = int(v)
	v, _ = o.integer("prefetch_degree", false, 0, 8)
	ct.prefetch = int(v)
	return ct, true
}

// decodeCores reads a die's cores: a list of type names and {type, count}
// mappings, or a single {type, count} mapping.
func decodeCores(s *errorSink, n *yaml.Node, path string) []rawCoreRef {
	ref := func(n *yaml.Node, path string) (rawCoreRef, bool) {
		if n.Kind == yaml.MappingNode {
			o := s.object(n, path, "type", "count")
			if o == nil {
				return rawCoreRef{}, false
			}
			t, ok1 := o.str("type", true)
			c, ok2 := o.integer("count", true, 1, maxCount)
			return rawCoreRef{p: o.pos("type"), typ: t, count: int(c)}, ok1 && ok2
		}
		t, ok := s.scalar(n, path, "a core type name or {type: NAME, count: N}")
		return rawCoreRef{p: pos{n.Line, path}, typ: t, count: 1}, ok
	}
	if n.Kind == yaml.MappingNode {
		r, ok := ref(n, path)
		if !ok {
			return nil
		}
		return []rawCoreRef{r}
	}
	items, ok := s.list(n, path)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		s.add(n.Line, path, "need at least one core")
	}
	var out []rawCoreRef
	for i, it := range items {
		if r, ok := ref(it, index(path, i)); ok {
			out = append(out, r)
		}
	}
	return out
}

func decodeMemory(s *errorSink, n *yaml.Node, path string) *rawMemory {
	o := s.object(n, path, "base", "size", "latency", "bandwidth", "banks", "row", "row_cycle")
	if o == nil {
		return nil
	}
	m := &rawMemory{p: pos{n.Line, path}}
	m.base, _ = o.size("base", true)
	m.basePos = o.pos("base")
	m.size, _ = o.size("size", true)
	m.sizePos = o.pos("size")
	m.latency, _ = o.duration("latency", true)
	m.latPos = o.pos("latency")
	m.bandwidth, _ = o.bandwidth("bandwidth", false)
	// Present, even if malformed (that is reported by duration): banks and
	// row are then required, and not reported as meaningless.
	m.hasCycle = o.get("row_cycle", false) != nil
	m.rowCycle, _ = o.duration("row_cycle", false)
	m.cyclePos = o.pos("row_cycle")
	v, _ := o.integer("banks", m.hasCycle, 1, 64)
	m.banks = int(v)
	m.row, _ = o.size("row", m.hasCycle)
	m.rowPos = o.pos("row")
	if !m.hasCycle {
		for _, k := range []string{"banks", "row"} {
			if o.get(k, false) != nil {
				s.add(o.pos(k).line, join(path, k), "%s only means something with row_cycle (the DRAM bank model): give row_cycle too, or drop it", k)
			}
		}
	}
	return m
}

func decodePackage(s *errorSink, n *yaml.Node, path string) (rawPackage, bool) {
	o := s.object(n, path, "id", "node", "clock", "cores", "dies", "l3", "memory")
	if o == nil {
		return rawPackage{}, false
	}
	p := rawPackage{p: pos{n.Line, path}}
	v, _ := o.integer("id", true, 0, maxID)
	p.id, p.idPos = int(v), o.pos("id")
	v, _ = o.integer("node", true, 0, maxID)
	p.node, p.nodePos = int(v), o.pos("node")
	p.clock, _ = o.frequency("clock", false)
	p.clockPos = o.pos("clock")
	cores, dies := o.get("cores", false), o.get("dies", false)
	switch {
	case cores != nil && dies != nil:
		s.add(o.pos("dies").line, join(path, "dies"), "give either cores or dies, not both")
	case cores == nil && dies == nil:
		s.add(n.Line, join(path, "cores"), "missing required field (or dies)")
	case cores != nil:
		p.dies = []rawDie{{p: o.pos("cores"), cores: decodeCores(s, cores, join(path, "cores"))}}
	default:
		dp := join(path, "dies")
		items, ok := s.list(dies, dp)
		if ok && len(items) == 0 {
			s.add(dies.Line, dp, "need at least one die")
		}
		for i, d := range items {
			ip := index(dp, i)
			if do := s.object(d, ip, "cores"); do != nil {
				if c := do.get("cores", true); c != nil {
					p.dies = append(p.dies, rawDie{p: pos{d.Line, ip}, cores: decodeCores(s, c, join(ip, "cores"))})
				}
			}
		}
	}
	if c := o.get("l3", false); c != nil {
		p.l3 = decodeCache(s, c, join(path, "l3"), "kind")
	}
	if m := o.get("memory", false); m != nil {
		p.memory = decodeMemory(s, m, join(path, "memory"))
	}
	return p, true
}

func decodeHub(s *errorSink, n *yaml.Node, path string) (rawHub, bool) {
	o := s.object(n, path, "name", "node", "clock", "memory")
	if o == nil {
		return rawHub{}, false
	}
	h := rawHub{p: pos{n.Line, path}}
	h.name, _ = o.str("name", false)
	v, _ := o.integer("node", true, 0, maxID)
	h.node, h.nodePos = int(v), o.pos("node")
	h.clock, _ = o.frequency("clock", false)
	if m := o.get("memory", true); m != nil {
		h.memory = decodeMemory(s, m, join(path, "memory"))
	}
	return h, true
}

func decodeLink(s *errorSink, n *yaml.Node, path string) (rawLink, bool) {
	o := s.object(n, path, "name", "kind", "nodes", "latency", "width", "clock", "transfers_per_clock")
	if o == nil {
		return rawLink{}, false
	}
	l := rawLink{p: pos{n.Line, path}, tpc: 1}
	l.name, _ = o.str("name", false)
	l.namePos = o.pos("name")
	l.kind, _ = o.enum("kind", true, string(HT), string(QPI), string(FSB), string(Cable))
	l.nodesPos = o.pos("nodes")
	if items, ok := o.list("nodes", true); ok {
		if len(items) > maxNodes {
			s.add(l.nodesPos.line, l.nodesPos.path, "too many nodes")
			items = nil
		}
		for i, it := range items {
			ip := index(l.nodesPos.path, i)
			if v, ok := s.intNode(it, ip); ok {
				l.nodes = append(l.nodes, int(min(max(v, -1), maxID+1)))
				l.nodePos = append(l.nodePos, pos{it.Line, ip})
			}
		}
	}
	l.latency, _ = o.duration("latency", true)
	l.latPos = o.pos("latency")
	v, _ := o.integer("width", true, 1, 1024)
	l.width = int(v)
	l.clock, _ = o.frequency("clock", true)
	if v, ok := o.integer("transfers_per_clock", false, 1, 16); ok {
		l.tpc = int(v)
	}
	return l, true
}

func decodeRouting(s *errorSink, n *yaml.Node, path string) (rawRouting, bool) {
	o := s.object(n, path, "node", "next")
	if o == nil {
		return rawRouting{}, false
	}
	r := rawRouting{p: pos{n.Line, path}}
	v, _ := o.integer("node", true, 0, maxID)
	r.node, r.nodePos = int(v), o.pos("node")
	nn := o.get("next", true)
	if nn == nil {
		return r, true
	}
	np := join(path, "next")
	if nn.Kind != yaml.MappingNode {
		s.add(nn.Line, np, "want a mapping from destination node to next-hop node or link name, got %s", kindName(nn))
		return r, true
	}
	seen := map[int]int{}
	for i := 0; i+1 < len(nn.Content); i += 2 {
		k, val := nn.Content[i], nn.Content[i+1]
		dst, ok := s.intNode(k, np+"[?]")
		if !ok {
			continue
		}
		ep := np + "[" + k.Value + "]"
		if dst < 0 || dst > maxID {
			s.add(k.Line, ep, "no such node %d", dst)
			continue
		}
		if first, dup := seen[int(dst)]; dup {
			s.add(k.Line, ep, "duplicated destination (first given at line %d)", first)
			continue
		}
		seen[int(dst)] = k.Line
		e := rawRoute{p: pos{val.Line, ep}, dst: int(dst)}
		txt, ok := s.scalar(val, ep, "a next-hop node id or link name")
		if !ok {
			continue
		}
		if val.ShortTag() == "!!int" {
			h, ok := s.intNode(val, ep)
			if !ok {
				continue
			}
			e.nextNode = int(min(max(h, -1), maxID+1))
		} else {
			e.nextLink, e.isLink = txt, true
		}
		r.entries = append(r.entries, e)
	}
	return r, true
}
