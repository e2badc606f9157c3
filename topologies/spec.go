package topologies

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
)

// Spec is a machine, resolved and validated: every reference checked, every
// default applied and every quantity converted to a typed unit. The simulator
// (sim/machine) builds itself from a Spec and never sees YAML.
//
// Units, once for all: latencies of things inside a core type (L1, L2, kernel
// entry costs) are Cycles of that core type's clock; every other latency (L3,
// memory, links, coherence filter) is Picoseconds. Where the file gave cycles
// for a Picoseconds field, they were converted with the clock's integer period
// (Hz.Period, the rounding sim.NewClockHz uses), so 75 cycles at 2.0 GHz is
// exactly 37500 ps. Where the file gave a time for a Cycles field, it was
// rounded to the nearest cycle.
//
// IDs are dense: packages 0..P-1, nodes 0..N-1, cores 0..C-1, each slice
// indexed by its ID.
//
// Build a Spec only with Load (or LoadFile, LoadShipped, Open): the methods
// rely on what Load checked (routes that terminate, indices in range) and
// treat the Spec as read-only.
type Spec struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Source is the file the spec was loaded from ("gruyere.yaml" for a
	// shipped one). It is not part of Hash.
	Source string `json:"source"`

	// AddressBits is the physical address width; every memory range lies
	// below 1<<AddressBits.
	AddressBits int `json:"address_bits"`
	// LineSize is the coherence granule, the line size of every cache.
	LineSize Bytes `json:"line_size_bytes"`

	Coherence Coherence  `json:"coherence"`
	CoreTypes []CoreType `json:"core_types"`
	Packages  []Package  `json:"packages"`
	Hubs      []Hub      `json:"hubs,omitempty"`
	Links     []Link     `json:"links"`

	// Nodes lists every coherence node, indexed by NodeID: packages and hubs.
	Nodes []Node `json:"nodes"`
	// Cores is the flattened list of cores, indexed by core ID. Cores are
	// numbered in package-id order, then die order, then the order written.
	Cores []Core `json:"cores"`
	// L2s lists the L2 instances: one per core for a private L2, one per die
	// for an L2 shared by a die. Core.L2 indexes it.
	L2s []L2Instance `json:"l2s"`
	// Routes is every node's routing table: Routes[src][dst] is the next hop
	// from src towards dst. Routes[n][n] is {Next: n, Link: -1}. Tables are
	// followed hop by hop (the next node consults its own table), and Load
	// has checked that every route reaches its destination.
	Routes [][]Hop `json:"routes"`
}

// Scheme is the machine's cache-coherence scheme.
type Scheme string

// The coherence schemes.
const (
	// HTBroadcast: each package's memory controller is the home of its
	// addresses; every miss broadcasts probes to all nodes and waits for all
	// responses (AMD Opteron HyperTransport). A Filter emulates HT Assist.
	HTBroadcast Scheme = "ht-broadcast"
	// FSBSnoop: one shared front-side bus; every transaction is snooped by
	// every agent on the bus. A Filter is the memory controller hub's snoop
	// filter, which spares the other bus a snoop when no cache there holds
	// the line (Intel 5000-series chipsets).
	FSBSnoop Scheme = "fsb-snoop"
	// Directory: home snooping with a directory at each home node (QPI
	// machines); probes go only to the caches the directory names. Filter is
	// the directory and is required.
	Directory Scheme = "directory"
)

// Coherence is the coherence scheme and its parameters.
type Coherence struct {
	Scheme Scheme `json:"scheme"`
	// Filter is the snoop filter, probe filter or directory kept at each
	// home node (each memory controller); nil if there is none.
	Filter *Filter `json:"filter,omitempty"`
	// LocalOnChip (ht-broadcast; YAML `on_chip: local`) serves a transfer
	// between two L2s of a package on chip even for a line homed on
	// another node. The default (`on_chip: home`) is the K10's: the home
	// orders it, probing every other node. Lines homed on the package are
	// shared on chip either way.
	LocalOnChip bool `json:"local_on_chip,omitempty"`
	// Uncore is the on-chip controller's latencies, the same in every
	// package of the machine.
	Uncore Uncore `json:"uncore"`
}

// Uncore holds the latencies of a package's on-chip coherence controller
// (AMD: the system request queue and crossbar; Intel: the bus interface)
// and of the home memory controller's request ordering. They are hardware
// parameters, calibrated against measured load-to-use latencies; see
// sim/cache's doc.go for how they compose into a miss's latency.
type Uncore struct {
	// ToController: an L2 miss is known -> the request is at the package
	// controller.
	ToController Picoseconds `json:"to_controller_ps"`
	// FromController: the controller grants -> the data is in the L1 and
	// the core.
	FromController Picoseconds `json:"from_controller_ps"`
	// SiblingProbe: probing another core's L1/L2 on the same chip and
	// moving its data.
	SiblingProbe Picoseconds `json:"sibling_probe_ps"`
	// RequestOut: the controller decides to go off chip -> the request
	// leaves on the interconnect.
	RequestOut Picoseconds `json:"request_out_ps"`
	// ProbeResponse: a probe arrives -> its response leaves (the on-chip
	// probe of every cache).
	ProbeResponse Picoseconds `json:"probe_response_ps"`
	// ProbeOccupancy: how long one probe from the network keeps the
	// node's probe engine (the tag lookups of every cache on the chip)
	// busy; probes arriving meanwhile, and on-chip sibling probes, wait
	// their turn. 0: no limit.
	ProbeOccupancy Picoseconds `json:"probe_occupancy_ps,omitempty"`
	// SiblingOccupancy: how long one on-chip sibling probe (a core's
	// request served from, or invalidating, another core's caches on the
	// chip) keeps the same engine busy. Omitted in YAML: ProbeOccupancy.
	SiblingOccupancy Picoseconds `json:"sibling_occupancy_ps,omitempty"`
	// Home: a request arrives at its home memory controller -> probes or
	// the grant leave (request ordering; a directory lookup adds the
	// filter's latency).
	Home Picoseconds `json:"home_ps"`
}

// Filter is a snoop filter, probe filter or directory: a set-associative
// table of line addresses kept at each home node.
type Filter struct {
	// Coverage is the amount of cached data it can track (entries × line).
	Coverage Bytes `json:"coverage_bytes"`
	Ways     int   `json:"ways"`
	Sets     int   `json:"sets"`
	// Latency is one lookup.
	Latency Picoseconds `json:"latency_ps"`
}

// CoreType is a kind of core. Machines may mix types.
type CoreType struct {
	Name  string `json:"name"`
	Clock Hz     `json:"clock_hz"`
	// CPI is the cycles per instruction charged by arch.Core.Compute.
	CPI float64 `json:"cpi"`
	// Coherent is false for cores whose caches take no part in coherence:
	// software must Flush and Invalidate.
	Coherent bool `json:"coherent"`
	// L1D is the private level-1 data cache.
	L1D CoreCache `json:"l1d"`
	// L2 is the level-2 cache, private or shared by a die; nil if none.
	L2 *CoreCache `json:"l2,omitempty"`
	// Costs are kernel-entry and TLB costs in cycles of Clock.
	Costs Costs `json:"costs"`
	// StoreBuffer is the number of store-buffer entries.
	StoreBuffer int `json:"store_buffer"`
	// MSHRs is the number of outstanding L1 misses (miss address buffers).
	MSHRs int `json:"mshrs"`
	// PrefetchDegree is how many lines the L1's hardware stream prefetcher
	// keeps ahead of an ascending run of loads (0: no prefetcher).
	PrefetchDegree int `json:"prefetch_degree,omitempty"`
}

// Sharing says which cores share a core-type cache.
type Sharing string

// Cache sharing.
const (
	PerCore Sharing = "core" // private to one core
	PerDie  Sharing = "die"  // shared by all cores of a die
)

// Geometry is a set-associative cache's shape. Sets*Ways*Line == Size, and
// Sets and Line are powers of two.
type Geometry struct {
	Size Bytes `json:"size_bytes"`
	Ways int   `json:"ways"`
	Line Bytes `json:"line_bytes"`
	Sets int   `json:"sets"`
}

func (g Geometry) String() string {
	return fmt.Sprintf("%s %d-way (%d sets × %dB lines)", g.Size, g.Ways, g.Sets, g.Line)
}

// CoreCache is an L1 or L2 of a core type.
type CoreCache struct {
	Geometry
	// Latency is the load-to-use hit latency in cycles of the core's clock.
	Latency Cycles `json:"latency_cycles"`
	// Shared is PerCore or PerDie (always PerCore for an L1).
	Shared Sharing `json:"shared"`
	// L1Snoop (an L2 shared by a die) is what a hit costs beyond Latency
	// when the L2 must snoop another core's L1: to take the line modified
	// there, or, for a write, to invalidate a copy there.
	L1Snoop Cycles `json:"l1_snoop_cycles,omitempty"`
}

// Costs are what a core type charges for kernel entries and TLB operations,
// in cycles of its clock.
type Costs struct {
	// Trap is taking an interrupt or exception: entry, and the iret.
	Trap Cycles `json:"trap_cycles"`
	// Syscall is one syscall/sysret pair.
	Syscall Cycles `json:"syscall_cycles"`
	// ContextSwitch is saving and restoring a register context.
	ContextSwitch Cycles `json:"context_switch_cycles"`
	// AddressSpaceSwitch is loading a page-table root, with the TLB flush
	// it implies.
	AddressSpaceSwitch Cycles `json:"address_space_switch_cycles"`
	// InvalidatePage is invalidating one TLB entry (invlpg).
	InvalidatePage Cycles `json:"invlpg_cycles"`
	// IPISend is writing the local APIC to send an inter-processor interrupt.
	IPISend Cycles `json:"ipi_send_cycles"`
}

// L3Kind says how an L3 relates to the caches above it.
type L3Kind string

// L3 kinds.
const (
	Victim    L3Kind = "victim"    // filled by L2 evictions, non-inclusive (AMD K10)
	Inclusive L3Kind = "inclusive" // holds a copy of every line above it
	Exclusive L3Kind = "exclusive" // never holds a line an upper cache holds
)

// PackageCache is a cache shared by every core of a package (the L3).
type PackageCache struct {
	Geometry
	// Latency is the hit latency seen by a core of the package.
	Latency Picoseconds `json:"latency_ps"`
	Kind    L3Kind      `json:"kind"`
}

// Memory is a memory controller and the physical range it is home for.
type Memory struct {
	Base Bytes `json:"base"`
	Size Bytes `json:"size_bytes"`
	// Latency is a DRAM access at the controller, from request arrival to
	// data ready; the on-chip and link paths are charged separately.
	Latency Picoseconds `json:"latency_ps"`
	// Bandwidth is the controller's peak. It is reported, not modelled (a
	// line's transfer is far under a row cycle; see sim/cache doc.go).
	Bandwidth BytesPerSecond `json:"bandwidth_bytes_per_s,omitempty"`
	// RowCycle, when not zero, models the DRAM banks: the range is
	// interleaved over Banks banks in rows of Row bytes (row i in bank
	// i mod Banks), and one bank starts an access (read or write) at most
	// every RowCycle: tRC, a closed-page controller opening and closing a
	// row for every access. 0 means accesses never wait for each other.
	Banks    int         `json:"banks,omitempty"`
	Row      Bytes       `json:"row_bytes,omitempty"`
	RowCycle Picoseconds `json:"row_cycle_ps,omitempty"`
}

// End is the first address after the range.
func (m Memory) End() Bytes { return m.Base + m.Size }

// Package is a socket: one coherence node with its cores, optional L3 and
// optional memory controller.
type Package struct {
	ID   int    `json:"id"`
	Node NodeID `json:"node"`
	// Clock is the package's uncore clock: the file's clock, or its cores'
	// clock when they all share one; 0 if neither.
	Clock Hz `json:"clock_hz,omitempty"`
	// Dies hold the package's cores; a package written without dies has
	// one.
	Dies   []Die         `json:"dies"`
	L3     *PackageCache `json:"l3,omitempty"`
	Memory *Memory       `json:"memory,omitempty"`
}

// Cores lists the package's core IDs in order.
func (p Package) Cores() []int {
	var out []int
	for _, d := range p.Dies {
		out = append(out, d.Cores...)
	}
	return out
}

// Die is one die of a package.
type Die struct {
	Cores []int `json:"cores"` // core IDs
}

// Hub is a node without cores: a memory controller hub on a bus, or a
// standalone memory controller.
type Hub struct {
	Name   string `json:"name"`
	Node   NodeID `json:"node"`
	Clock  Hz     `json:"clock_hz,omitempty"`
	Memory Memory `json:"memory"`
}

// LinkKind is the kind of an interconnect link.
type LinkKind string

// Link kinds.
const (
	HT    LinkKind = "ht"    // HyperTransport, point to point
	QPI   LinkKind = "qpi"   // QuickPath, point to point
	FSB   LinkKind = "fsb"   // front-side bus, shared by two or more nodes
	Cable LinkKind = "cable" // an off-board HyperTransport cable, point to point
)

// Link joins two nodes (or, for a bus, two or more).
type Link struct {
	Name  string   `json:"name"`
	Kind  LinkKind `json:"kind"`
	Nodes []NodeID `json:"nodes"`
	// Latency is one traversal, wire and both ends, for the first flit.
	Latency Picoseconds `json:"latency_ps"`
	// Width is bits per transfer in each direction.
	Width int `json:"width_bits"`
	Clock Hz  `json:"clock_hz"`
	// TransfersPerClock is 2 for a double-pumped link (HT), 4 for a
	// quad-pumped FSB.
	TransfersPerClock int `json:"transfers_per_clock"`
}

// Bandwidth is the link's peak in each direction.
func (l Link) Bandwidth() BytesPerSecond {
	return BytesPerSecond(int64(l.Clock) * int64(l.TransfersPerClock) * int64(l.Width) / 8)
}

// Bus reports whether the link is a shared bus rather than point to point.
func (l Link) Bus() bool { return l.Kind == FSB }

// Joins reports whether the link touches node n.
func (l Link) Joins(n NodeID) bool {
	for _, m := range l.Nodes {
		if m == n {
			return true
		}
	}
	return false
}

// NodeKind says what a node is.
type NodeKind string

// Node kinds.
const (
	NodePackage NodeKind = "package"
	NodeHub     NodeKind = "hub"
)

// Node is one coherence node.
type Node struct {
	ID    NodeID   `json:"id"`
	Kind  NodeKind `json:"kind"`
	Index int      `json:"index"` // into Spec.Packages or Spec.Hubs
	Name  string   `json:"name"`  // "P3" for package 3, the hub's name for a hub
}

// Core is one core of the flattened list.
type Core struct {
	ID      int    `json:"id"`
	Package int    `json:"package"`
	Die     int    `json:"die"` // index within the package
	Node    NodeID `json:"node"`
	Type    int    `json:"type"` // index into Spec.CoreTypes
	L2      int    `json:"l2"`   // index into Spec.L2s; -1 if the type has no L2
}

// L2Instance is one physical L2 and the cores that use it.
type L2Instance struct {
	Type    int   `json:"type"`
	Package int   `json:"package"`
	Die     int   `json:"die"`
	Cores   []int `json:"cores"`
}

// Hop is one routing-table entry: towards a destination, go to Next over
// Link (an index into Spec.Links).
type Hop struct {
	Next NodeID `json:"next"`
	Link int    `json:"link"`
	// Explicit is true if the file's routing table gave this entry; false
	// if it is the computed shortest path.
	Explicit bool `json:"explicit,omitempty"`
}

// NumCores is the number of cores.
func (s *Spec) NumCores() int { return len(s.Cores) }

// CoreType returns the type of core id.
func (s *Spec) CoreType(id int) *CoreType { return &s.CoreTypes[s.Cores[id].Type] }

// Route is the path from src to dst, both ends included, following each
// node's routing table. Route(n, n) is [n].
func (s *Spec) Route(src, dst NodeID) []NodeID {
	path := []NodeID{src}
	for n := src; n != dst; {
		n = s.Routes[n][dst].Next
		path = append(path, n)
	}
	return path
}

// RouteLinks is the links (indices into Links) that Route(src, dst) crosses.
func (s *Spec) RouteLinks(src, dst NodeID) []int {
	var links []int
	for n := src; n != dst; n = s.Routes[n][dst].Next {
		links = append(links, s.Routes[n][dst].Link)
	}
	return links
}

// Hops is the number of links crossed from src to dst.
func (s *Spec) Hops(src, dst NodeID) int { return len(s.Route(src, dst)) - 1 }

// HopMatrix is Hops for every pair of nodes, indexed [src][dst].
func (s *Spec) HopMatrix() [][]int {
	m := make([][]int, len(s.Nodes))
	for i := range m {
		m[i] = make([]int, len(s.Nodes))
		for j := range m[i] {
			m[i][j] = s.Hops(NodeID(i), NodeID(j))
		}
	}
	return m
}

// Diameter is the largest hop count over all pairs of nodes.
func (s *Spec) Diameter() int {
	d := 0
	for _, row := range s.HopMatrix() {
		for _, h := range row {
			d = max(d, h)
		}
	}
	return d
}

// SharedCacheLevel is the level of the nearest cache cores a and b share: 1
// if a == b, 2 for a shared L2, 3 for a shared L3, 0 for none. It is what
// arch.Machine.SharedCacheLevel reports.
func (s *Spec) SharedCacheLevel(a, b int) int {
	ca, cb := s.Cores[a], s.Cores[b]
	switch {
	case a == b:
		return 1
	case ca.L2 >= 0 && ca.L2 == cb.L2:
		return 2
	case ca.Package == cb.Package && s.Packages[ca.Package].L3 != nil:
		return 3
	}
	return 0
}

// MemoryRange is a span of physical memory and its home node.
type MemoryRange struct {
	Node NodeID
	Memory
}

// MemoryRanges lists every memory controller's range in address order.
func (s *Spec) MemoryRanges() []MemoryRange {
	var out []MemoryRange
	for _, n := range s.Nodes {
		if m := s.NodeMemory(n.ID); m != nil {
			out = append(out, MemoryRange{Node: n.ID, Memory: *m})
		}
	}
	sortRanges(out)
	return out
}

// NodeMemory is node n's memory controller, or nil if it has none.
func (s *Spec) NodeMemory(n NodeID) *Memory {
	nd := s.Nodes[n]
	if nd.Kind == NodeHub {
		return &s.Hubs[nd.Index].Memory
	}
	return s.Packages[nd.Index].Memory
}

// Home is the node whose memory controller holds address a, or -1.
func (s *Spec) Home(a Bytes) NodeID {
	for _, r := range s.MemoryRanges() {
		if a >= r.Base && a < r.End() {
			return r.Node
		}
	}
	return -1
}

// Hash is a stable content hash of the machine: the SHA-256 of its JSON form,
// in 64 hex digits.
// It covers everything but Source, so the same machine loaded from a
// different path, or with different comments, hashes the same; any change of
// a value changes it. It is stable for a given mksim version (a change to
// the Spec type may change it).
func (s *Spec) Hash() string {
	c := *s
	c.Source = ""
	js, err := json.Marshal(&c)
	if err != nil {
		// Marshal of plain structs cannot fail except on NaN CPI, which
		// Load rejects.
		panic("topologies: hashing spec: " + err.Error())
	}
	sum := sha256.Sum256(js)
	return hex.EncodeToString(sum[:])
}

func sortRanges(r []MemoryRange) {
	sort.SliceStable(r, func(i, j int) bool { return r[i].Base < r[j].Base })
}
