package cache

import (
	"errors"
	"fmt"

	"mksim/sim"
	"mksim/sim/mem"
)

// Scheme is the inter-node coherence scheme.
type Scheme uint8

const (
	// Broadcast is AMD HyperTransport: the home memory controller orders
	// requests to its lines and broadcasts a probe to every other caching
	// node; the requester collects one response from each of them plus the
	// home's (speculative) memory data.
	Broadcast Scheme = iota
	// SnoopFilter is the Intel front-side bus with a snoop filter in the
	// memory controller hub: one hub node is the home of all memory, orders
	// every request, and snoops only the packages its filter says may hold
	// the line. Protocol-wise it is Directory run at the hub; the bus itself
	// (one transaction seen by all agents) belongs to the interconnect.
	SnoopFilter
	// Directory is home snooping with a directory (QPI) or an AMD probe
	// filter: the home keeps owner and sharers per line and probes only
	// those.
	Directory
	numSchemes
)

var schemeNames = [...]string{"broadcast", "snoop-filter", "directory"}

func (s Scheme) String() string {
	if s < numSchemes {
		return schemeNames[s]
	}
	return fmt.Sprintf("Scheme(%d)", uint8(s))
}

// ParseScheme maps a scheme name (as printed by String) to a Scheme.
func ParseScheme(name string) (Scheme, error) {
	for i, n := range schemeNames {
		if n == name {
			return Scheme(i), nil
		}
	}
	return 0, fmt.Errorf("unknown coherence scheme %q (want broadcast, snoop-filter or directory)", name)
}

// directory reports whether the home keeps a directory.
func (s Scheme) directory() bool { return s != Broadcast }

// Level is one cache array.
type Level struct {
	Size    int      // bytes; Size/LineSize/Ways must be a power of two
	Ways    int      // associativity
	Latency sim.Time // see the latency composition in doc.go
	MSHRs   int      // outstanding misses (L1: per core; L2: per cluster); 0 means 1
}

func (l Level) sets() int { return l.Size / mem.LineSize / l.Ways }

func (l Level) check(what string) error {
	if l.Ways <= 0 || l.Size <= 0 || l.Size%(mem.LineSize*l.Ways) != 0 {
		return fmt.Errorf("%s: size %d is not a whole number of %d-way sets of %d-byte lines", what, l.Size, l.Ways, mem.LineSize)
	}
	if s := l.sets(); s&(s-1) != 0 {
		return fmt.Errorf("%s: %d sets is not a power of two", what, s)
	}
	if l.Latency < 0 || l.MSHRs < 0 {
		return fmt.Errorf("%s: negative latency or MSHR count", what)
	}
	return nil
}

// Cluster is a group of cores sharing one L2; each core has a private L1D.
// A private L2 is a cluster of one core.
type Cluster struct {
	Cores []int // core indices over the whole machine (unique; gaps allowed)
	L1    Level // geometry and latency of each core's L1D
	L2    Level
	// L1Snoop is what an L2 hit costs beyond L2.Latency when the L2 must
	// snoop another L1 of the cluster: to take the line modified there, or,
	// for a write, to invalidate a copy there (Core 2's shared L2 answers
	// such a hit only after the other core's L1 has). 0 for a private L2.
	L1Snoop sim.Time
}

// Package is a caching node: the cores of one package (one HT node, one
// FSB agent), their L1s and L2s, an optional shared L3, and the on-chip
// controller (AMD's SRQ and crossbar) that keeps them coherent and talks to
// the interconnect.
type Package struct {
	Node     mem.NodeID
	Clusters []Cluster
	L3       *Level // nil: no L3. The L3 is a victim cache of the L2s.
	MSHRs    int    // outstanding off-chip requests (0 means 8)

	// On-chip latencies (see doc.go for how they compose).
	ToPackage     sim.Time // L2 miss detected -> request at the package controller
	FromPackage   sim.Time // package controller -> data in the L1 and the core
	SiblingProbe  sim.Time // probe of another cluster's L2/L1 on chip, with its data
	RequestOut    sim.Time // package controller decides to go off chip -> request leaves
	ProbeResponse sim.Time // probe arrives -> response leaves (on-chip probe of every cache)
	// ProbeOccupancy is how long one probe from the network keeps the
	// node's probe engine busy, and SiblingOccupancy how long one on-chip
	// sibling probe does; later probes of either kind wait their turn
	// (probeengine.go). 0: no limit.
	ProbeOccupancy   sim.Time
	SiblingOccupancy sim.Time

	// FillHold is how long an L1 keeps a line it was just granted after
	// the access's completion reaches the core (the forward-progress
	// guarantee; see doc.go): requests and probes that would take the
	// line meanwhile wait. 0 means DefaultFillHold; negative disables the
	// hold altogether (a line may then be taken between the grant and the
	// completion).
	FillHold sim.Time
}

// DefaultFillHold is the fill hold of a package that does not set one:
// 4 ns, 8 to 11 cycles of the 2.0-2.8 GHz cores we model: enough for the
// seven stores that fill the rest of a line behind a missing store to drain
// from the store buffer at one per cycle, or for the loads behind a missing
// load to hit. Slower cores need a longer hold (about 8 of their cycles).
const DefaultFillHold = 4 * sim.Nanosecond

// fillHold is the package's effective hold (0: none).
func (p *Package) fillHold() sim.Time {
	switch {
	case p.FillHold < 0:
		return 0
	case p.FillHold == 0:
		return DefaultFillHold
	}
	return p.FillHold
}

// Home is a memory controller: the home of the addresses the HomeMap gives
// its node.
type Home struct {
	Node    mem.NodeID
	Latency sim.Time // request arrives -> probes/grant leave (includes directory lookup)
	DRAM    sim.Time // request arrives -> memory data leaves
	// RowCycle, when not zero, makes DRAM accesses wait for their bank: the
	// node's memory is interleaved over Banks banks in rows of Row bytes,
	// and a bank starts one access (a read for a request, or a write) per
	// RowCycle (tRC: a closed-page controller opens and closes a row per
	// access). A read's data then leaves DRAM after its bank's start plus
	// DRAM. Zero: accesses never wait for each other.
	Banks    int
	Row      uint64
	RowCycle sim.Time
}

// Config is the whole memory hierarchy above the interconnect.
type Config struct {
	Scheme Scheme
	// MESI drops the O state from the inter-node protocol (Intel): a
	// dirty line read by another node is written back to memory and both
	// copies become S. On chip, dirty sharing among a package's caches
	// still uses O.
	MESI bool
	// LocalOnChip (broadcast only) serves a transfer between two clusters
	// of a package on chip even when the line is homed on another node.
	// By default, as on the K10, the home orders such a transfer like any
	// other request (probes to every other node, the requester waits for
	// their answers); lines homed on the package itself are served on chip
	// either way.
	LocalOnChip bool
	Packages    []Package
	Homes       []Home
}

// maxNodes bounds node IDs (directory sharer sets are 64-bit masks).
const maxNodes = 64

// maxClusters bounds the clusters of one package (copy scans use a fixed
// array).
const maxClusters = 16

// validate checks the config and returns one more than the highest core
// index (indices may have gaps: cores outside coherence have no L1 here).
func (c *Config) validate(homes *mem.HomeMap) (int, error) {
	var errs []error
	if c.Scheme >= numSchemes {
		errs = append(errs, fmt.Errorf("unknown scheme %d", c.Scheme))
	}
	if len(c.Packages) == 0 {
		errs = append(errs, errors.New("no packages"))
	}
	seenNode := map[mem.NodeID]string{}
	seenCore := map[int]bool{}
	ncores := 0
	for i, p := range c.Packages {
		what := fmt.Sprintf("package %d (node %d)", i, p.Node)
		if p.Node < 0 || p.Node >= maxNodes {
			errs = append(errs, fmt.Errorf("%s: node id out of range 0..%d", what, maxNodes-1))
		}
		if _, dup := seenNode[p.Node]; dup {
			errs = append(errs, fmt.Errorf("%s: node has two packages", what))
		}
		seenNode[p.Node] = "package"
		if len(p.Clusters) == 0 || len(p.Clusters) > maxClusters {
			errs = append(errs, fmt.Errorf("%s: %d clusters, want 1..%d", what, len(p.Clusters), maxClusters))
		}
		if p.MSHRs < 0 {
			errs = append(errs, fmt.Errorf("%s: negative MSHRs", what))
		}
		for _, t := range []sim.Time{p.ToPackage, p.FromPackage, p.SiblingProbe, p.RequestOut, p.ProbeResponse, p.ProbeOccupancy, p.SiblingOccupancy} {
			if t < 0 {
				errs = append(errs, fmt.Errorf("%s: negative latency", what))
				break
			}
		}
		if p.L3 != nil {
			if err := p.L3.check(what + " L3"); err != nil {
				errs = append(errs, err)
			}
		}
		for j, cl := range p.Clusters {
			cw := fmt.Sprintf("%s cluster %d", what, j)
			if len(cl.Cores) == 0 {
				errs = append(errs, fmt.Errorf("%s: no cores", cw))
			}
			if err := cl.L1.check(cw + " L1"); err != nil {
				errs = append(errs, err)
			}
			if err := cl.L2.check(cw + " L2"); err != nil {
				errs = append(errs, err)
			}
			if cl.L1Snoop < 0 {
				errs = append(errs, fmt.Errorf("%s: negative L1 snoop latency %v", cw, cl.L1Snoop))
			}
			for _, core := range cl.Cores {
				if core < 0 {
					errs = append(errs, fmt.Errorf("%s: negative core index %d", cw, core))
					continue
				}
				ncores = max(ncores, core+1)
				if seenCore[core] {
					errs = append(errs, fmt.Errorf("%s: core %d listed twice", cw, core))
				}
				seenCore[core] = true
			}
		}
	}

	homeNode := map[mem.NodeID]bool{}
	for i, h := range c.Homes {
		what := fmt.Sprintf("home %d (node %d)", i, h.Node)
		if h.Node < 0 || h.Node >= maxNodes {
			errs = append(errs, fmt.Errorf("%s: node id out of range 0..%d", what, maxNodes-1))
		}
		if homeNode[h.Node] {
			errs = append(errs, fmt.Errorf("%s: node has two homes", what))
		}
		homeNode[h.Node] = true
		if h.Latency < 0 || h.DRAM < 0 {
			errs = append(errs, fmt.Errorf("%s: negative latency", what))
		}
	}
	if homes == nil {
		errs = append(errs, errors.New("no home map"))
	} else {
		used := map[mem.NodeID]bool{}
		for _, r := range homes.Ranges() {
			if !homeNode[r.Home] {
				errs = append(errs, fmt.Errorf("memory range %#x+%#x is homed at node %d, which has no memory controller", uint64(r.Base), r.Size, r.Home))
			}
			used[r.Home] = true
		}
		if c.Scheme == SnoopFilter && len(used) > 1 {
			errs = append(errs, fmt.Errorf("scheme %v: all memory must be homed at one hub node, not %d nodes", c.Scheme, len(used)))
		}
	}
	return ncores, errors.Join(errs...)
}
