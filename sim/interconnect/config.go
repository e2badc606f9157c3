package interconnect

import (
	"fmt"

	"mksim/sim"
	"mksim/sim/mem"
)

// Defaults seeded from HyperTransport and the Intel front-side bus. Every one
// of them can be overridden by config.
const (
	// DefaultWidthBits is an HT link's width per direction.
	DefaultWidthBits = 16
	// DefaultLinkPeriod is the HT transfer clock: 1.0 GHz DDR, i.e. 2 GT/s,
	// one 16-bit flit every 500 ps, 4 GB/s per direction.
	DefaultLinkPeriod sim.Time = 500 * sim.Picosecond
	// DefaultLinkLatency is the flight time of one HT hop (PHY, wire, link
	// layer), after serialization. With store-and-forward serialization a
	// probe (8 B, 2 ns) out and a data response (72 B, 18 ns) back cost
	// 20 ns + 2×5 ns = 30 ns, the 60 core cycles at 2 GHz that Gruyère's
	// 1-hop cache transfer costs over an on-package one (190 vs 130).
	DefaultLinkLatency sim.Time = 5 * sim.Nanosecond
	// DefaultRouterLatency is the crossbar forwarding cost at each
	// intermediate node; 2-hop transfers cost 70 cycles more than 1-hop ones
	// (260 vs 190) = 20 ns of re-serialization + 2×(5 + 2.5) ns.
	DefaultRouterLatency sim.Time = 2500 * sim.Picosecond
	// DefaultCredits is the input buffer depth per link direction (per node
	// on a bus): large enough never to bind in normal runs.
	DefaultCredits = 1 << 16
	// DefaultRetryTimeout is how long a deadlocked message waits before the
	// interconnect drops it and retries it from its source: the 10 ms
	// HyperTransport timeout reported for Gruyère.
	DefaultRetryTimeout sim.Time = 10 * sim.Millisecond

	// DefaultBusWidthBits is the FSB data bus width.
	DefaultBusWidthBits = 64
	// DefaultBusPeriod is one FSB transfer at 1333 MT/s (quad-pumped 333 MHz).
	DefaultBusPeriod sim.Time = 750 * sim.Picosecond
	// DefaultBusLatency is the flight time of a bus transaction after its
	// transfer (snoop phase and response).
	DefaultBusLatency sim.Time = 15 * sim.Nanosecond
	// DefaultBusArbCycles is the arbitration and address phase of each bus
	// transaction, in transfer-clock cycles; the bus is held during it.
	DefaultBusArbCycles = 2
)

// Metric is what computed routes minimise.
type Metric uint8

const (
	MetricHops    Metric = iota // fewest hops (HT firmware's usual choice)
	MetricLatency               // least unloaded latency of a control packet
)

func (m Metric) String() string {
	switch m {
	case MetricHops:
		return "hops"
	case MetricLatency:
		return "latency"
	}
	return fmt.Sprintf("Metric(%d)", uint8(m))
}

// NoRoute in Config.Routes means "use the computed next hop".
const NoRoute mem.NodeID = -1

// Config describes one interconnect. Fields where zero is meaningless
// (widths, clock periods, credits, timeout) take the defaults above when
// zero; fields where zero is meaningful (latencies, arbitration cycles) mean
// zero. HTLink, FSBBus and DefaultConfig fill in the hardware defaults.
type Config struct {
	// Nodes is the number of nodes, named 0..Nodes-1.
	Nodes int
	// Links are point-to-point, full duplex: one queue and one input buffer
	// per direction.
	Links []LinkConfig
	// Buses are shared media: one transaction at a time among all members.
	Buses []BusConfig
	// Routes, if not nil, is the per-node routing table: Routes[at][dst] is
	// the next node a message for dst takes when it is at node at. It must
	// be Nodes×Nodes; an entry of NoRoute (any negative value) takes the
	// computed next hop, and the diagonal is ignored. Every node's router consults its own row, so a
	// table may send a message on a detour (the Gruyère firmware bug) but
	// must not loop.
	Routes [][]mem.NodeID
	// Metric is what computed routes minimise; ties go to the lowest
	// next-hop NodeID.
	Metric Metric
	// RouterLatency is added at every intermediate node a message is
	// forwarded through (not at its source or destination).
	RouterLatency sim.Time
	// LocalLatency is the delay of a message sent to its own node.
	LocalLatency sim.Time
	// Credits is the default input buffer depth (messages) per link
	// direction and per bus member; zero means DefaultCredits.
	Credits int
	// RetryTimeout is how long a deadlock persists before its messages are
	// dropped and retried from their sources; zero means
	// DefaultRetryTimeout.
	RetryTimeout sim.Time
	// OnDeadlock, if set, is called when a deadlock is detected, from the
	// event that completed it. Deadlocks are also kept (Network.Deadlocks).
	OnDeadlock func(*Deadlock)
	// CheckOwnership makes the network track every message it has seen and
	// panic on a double Send, a Send or Free of a message in flight, and a
	// double Free. Costs a map operation per message; meant for tests.
	CheckOwnership bool
}

// LinkConfig is one full-duplex point-to-point link between A and B. Both
// directions have the same parameters.
type LinkConfig struct {
	Name string // for reports; default "A-B"
	A, B mem.NodeID
	// Latency is the flight time after serialization.
	Latency sim.Time
	// WidthBits is bits per transfer per direction; zero means 16.
	WidthBits int
	// Clock is the transfer clock (one WidthBits flit per period; for a DDR
	// link give the transfer rate, twice the bus clock). A zero period
	// means DefaultLinkPeriod.
	Clock sim.Clock
	// Credits is the input buffer depth at each end; zero takes
	// Config.Credits.
	Credits int
}

// BusConfig is a shared bus (the Intel FSB): all members share one medium.
type BusConfig struct {
	Name      string // for reports; default "bus<i>"
	Nodes     []mem.NodeID
	Latency   sim.Time // flight time after the transfer
	WidthBits int      // zero means 64
	Clock     sim.Clock
	// ArbCycles is the arbitration/address phase per transaction, in
	// transfer-clock cycles; the bus is held during it.
	ArbCycles int
	// Credits is the input buffer depth per member; zero takes
	// Config.Credits.
	Credits int
}

// DefaultConfig returns a configuration of n nodes with no links and the
// HyperTransport router latency.
func DefaultConfig(n int) Config {
	return Config{Nodes: n, RouterLatency: DefaultRouterLatency}
}

// HTLink returns a link between a and b with HyperTransport defaults.
func HTLink(a, b mem.NodeID) LinkConfig {
	return LinkConfig{
		A: a, B: b,
		Latency:   DefaultLinkLatency,
		WidthBits: DefaultWidthBits,
		Clock:     sim.Clock{Name: "ht", Period: DefaultLinkPeriod},
	}
}

// FSBBus returns a bus over nodes with front-side-bus defaults.
func FSBBus(nodes ...mem.NodeID) BusConfig {
	return BusConfig{
		Name:      "fsb",
		Nodes:     nodes,
		Latency:   DefaultBusLatency,
		WidthBits: DefaultBusWidthBits,
		Clock:     sim.Clock{Name: "fsb", Period: DefaultBusPeriod},
		ArbCycles: DefaultBusArbCycles,
	}
}

func (c *Config) check() error {
	if c.Nodes <= 0 {
		return fmt.Errorf("interconnect: %d nodes", c.Nodes)
	}
	node := func(what string, id mem.NodeID) error {
		if id < 0 || int(id) >= c.Nodes {
			return fmt.Errorf("interconnect: %s: node %d out of range 0..%d", what, id, c.Nodes-1)
		}
		return nil
	}
	if c.Credits < 0 {
		return fmt.Errorf("interconnect: negative credits %d", c.Credits)
	}
	if c.RouterLatency < 0 || c.LocalLatency < 0 || c.RetryTimeout < 0 {
		return fmt.Errorf("interconnect: negative router/local latency or retry timeout")
	}
	for i, l := range c.Links {
		what := fmt.Sprintf("link %d (%s)", i, l.label())
		if err := node(what, l.A); err != nil {
			return err
		}
		if err := node(what, l.B); err != nil {
			return err
		}
		if l.A == l.B {
			return fmt.Errorf("interconnect: %s: connects node %d to itself", what, l.A)
		}
		if l.Latency < 0 || l.WidthBits < 0 || l.Clock.Period < 0 || l.Credits < 0 {
			return fmt.Errorf("interconnect: %s: negative latency, width, clock period or credits", what)
		}
	}
	for i, b := range c.Buses {
		what := fmt.Sprintf("bus %d (%s)", i, b.label(i))
		if len(b.Nodes) < 2 {
			return fmt.Errorf("interconnect: %s: %d members, need at least 2", what, len(b.Nodes))
		}
		seen := make(map[mem.NodeID]bool)
		for _, id := range b.Nodes {
			if err := node(what, id); err != nil {
				return err
			}
			if seen[id] {
				return fmt.Errorf("interconnect: %s: node %d listed twice", what, id)
			}
			seen[id] = true
		}
		if b.Latency < 0 || b.WidthBits < 0 || b.Clock.Period < 0 || b.Credits < 0 || b.ArbCycles < 0 {
			return fmt.Errorf("interconnect: %s: negative latency, width, clock period, arbitration or credits", what)
		}
	}
	if c.Routes != nil {
		if len(c.Routes) != c.Nodes {
			return fmt.Errorf("interconnect: routing table has %d rows, want %d", len(c.Routes), c.Nodes)
		}
		for at, row := range c.Routes {
			if len(row) != c.Nodes {
				return fmt.Errorf("interconnect: routing table row %d has %d entries, want %d", at, len(row), c.Nodes)
			}
			for dst, nh := range row {
				if nh >= 0 {
					if err := node(fmt.Sprintf("route %d->%d", at, dst), nh); err != nil {
						return err
					}
				}
			}
		}
	}
	if c.Metric > MetricLatency {
		return fmt.Errorf("interconnect: unknown route metric %v", c.Metric)
	}
	return nil
}

func (l LinkConfig) label() string {
	if l.Name != "" {
		return l.Name
	}
	return fmt.Sprintf("%d-%d", l.A, l.B)
}

func (b BusConfig) label(i int) string {
	if b.Name != "" {
		return b.Name
	}
	return fmt.Sprintf("bus%d", i)
}
