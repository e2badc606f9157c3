package machine

import (
	"fmt"

	"mksim/sim"
	"mksim/sim/interconnect"
	"mksim/sim/mem"
	"mksim/topologies"
)

// linkPeriod is the time of one transfer on a link: the clock period divided
// by the transfers per clock (2 for double-pumped HT, 4 for a quad-pumped
// FSB), in whole picoseconds.
func linkPeriod(l topologies.Link) sim.Time {
	tpc := l.TransfersPerClock
	if tpc <= 0 {
		tpc = 1
	}
	rate := int64(l.Clock) * int64(tpc)
	return sim.Time((int64(1e12) + rate/2) / rate)
}

// netConfig converts the topology's links and routing tables into an
// interconnect configuration. The routing table is always passed in full, so
// the simulator routes exactly as `mksim topo show` prints (explicit entries
// and the loader's computed shortest paths alike).
func netConfig(s *topologies.Spec) interconnect.Config {
	cfg := interconnect.DefaultConfig(len(s.Nodes))
	for _, l := range s.Links {
		clock := sim.Clock{Name: l.Name, Period: linkPeriod(l)}
		if l.Bus() {
			b := interconnect.FSBBus()
			b.Name = l.Name
			for _, n := range l.Nodes {
				b.Nodes = append(b.Nodes, mem.NodeID(n))
			}
			b.Latency = sim.Time(l.Latency)
			b.WidthBits = l.Width
			b.Clock = clock
			cfg.Buses = append(cfg.Buses, b)
			continue
		}
		lc := interconnect.HTLink(mem.NodeID(l.Nodes[0]), mem.NodeID(l.Nodes[1]))
		lc.Name = l.Name
		lc.Latency = sim.Time(l.Latency)
		lc.WidthBits = l.Width
		lc.Clock = clock
		cfg.Links = append(cfg.Links, lc)
	}
	cfg.Routes = make([][]mem.NodeID, len(s.Nodes))
	for at := range s.Routes {
		cfg.Routes[at] = make([]mem.NodeID, len(s.Nodes))
		for dst, hop := range s.Routes[at] {
			if at == dst {
				cfg.Routes[at][dst] = interconnect.NoRoute
				continue
			}
			cfg.Routes[at][dst] = mem.NodeID(hop.Next)
		}
	}
	return cfg
}

// buildNetwork builds the interconnect of a spec.
func buildNetwork(e *sim.Engine, s *topologies.Spec) (*interconnect.Network, error) {
	n, err := interconnect.New(e, netConfig(s))
	if err != nil {
		return nil, fmt.Errorf("%s: building interconnect: %w", s.Source, err)
	}
	return n, nil
}
