package interconnect

import (
	"fmt"
	"math"

	"mksim/sim"
	"mksim/sim/mem"
)

const unreachable = math.MaxInt64 / 4

// buildRoutes picks, for every (node, destination), the next node and the
// channel to it. Computed routes minimise the metric (Floyd–Warshall on at
// most a few dozen nodes) with ties going to the lowest next-hop NodeID;
// explicit entries of Config.Routes override them. Between two neighbours
// joined by several channels the cheapest wins, links before buses, then
// config order.
func (n *Network) buildRoutes() error {
	N := n.n
	adj := make([]*channel, N*N)
	consider := func(u, v mem.NodeID, c *channel) {
		i := int(u)*N + int(v)
		if cur := adj[i]; cur == nil || c.weight < cur.weight {
			adj[i] = c
		}
	}
	for _, c := range n.chans {
		switch n.cfg.Metric {
		case MetricHops:
			c.weight = 1
		case MetricLatency:
			// Plus one picosecond so a zero-latency hop still counts.
			c.weight = int64(c.latency+c.serialize(mem.HeaderBytes)+n.cfg.RouterLatency) + 1
		}
		if !c.bus {
			consider(c.from, c.to, c)
			continue
		}
		for _, u := range c.in {
			for _, v := range c.in {
				if u.node != v.node {
					consider(u.node, v.node, c)
				}
			}
		}
	}
	dist := make([]int64, N*N)
	for u := 0; u < N; u++ {
		for v := 0; v < N; v++ {
			switch c := adj[u*N+v]; {
			case u == v:
				dist[u*N+v] = 0
			case c != nil:
				dist[u*N+v] = c.weight
			default:
				dist[u*N+v] = unreachable
			}
		}
	}
	for k := 0; k < N; k++ {
		for u := 0; u < N; u++ {
			duk := dist[u*N+k]
			if duk >= unreachable {
				continue
			}
			for v := 0; v < N; v++ {
				if d := duk + dist[k*N+v]; d < dist[u*N+v] {
					dist[u*N+v] = d
				}
			}
		}
	}
	for u := 0; u < N; u++ {
		for v := 0; v < N; v++ {
			if dist[u*N+v] >= unreachable {
				return fmt.Errorf("interconnect: node %d cannot reach node %d", u, v)
			}
		}
	}
	n.next = make([]mem.NodeID, N*N)
	n.out = make([]*channel, N*N)
	for u := 0; u < N; u++ {
		for d := 0; d < N; d++ {
			i := u*N + d
			if u == d {
				n.next[i] = mem.NodeID(d)
				continue
			}
			nh := NoRoute
			if n.cfg.Routes != nil && n.cfg.Routes[u][d] >= 0 {
				nh = n.cfg.Routes[u][d]
				if int(nh) == u {
					return fmt.Errorf("interconnect: route %d->%d: node %d routes to itself", u, d, u)
				}
				if adj[u*N+int(nh)] == nil {
					return fmt.Errorf("interconnect: route %d->%d: next hop %d is not a neighbour of %d", u, d, nh, u)
				}
			} else {
				for v := 0; v < N; v++ {
					if c := adj[u*N+v]; c != nil && c.weight+dist[v*N+d] == dist[i] {
						nh = mem.NodeID(v)
						break
					}
				}
			}
			n.next[i] = nh
			n.out[i] = adj[u*N+int(nh)]
		}
	}
	// An explicit table may detour but must arrive.
	for s := 0; s < N; s++ {
		for d := 0; d < N; d++ {
			at := s
			for hops := 0; at != d; hops++ {
				if hops >= N {
					return fmt.Errorf("interconnect: routing loop from %d to %d: %v", s, d, n.walk(mem.NodeID(s), mem.NodeID(d), N))
				}
				at = int(n.next[at*N+d])
			}
		}
	}
	return nil
}

func (n *Network) walk(s, d mem.NodeID, limit int) []mem.NodeID {
	path := []mem.NodeID{s}
	for at := s; at != d && len(path) <= limit; {
		at = n.next[int(at)*n.n+int(d)]
		path = append(path, at)
	}
	return path
}

// NextHop is the node a message for dst goes to next from node at.
func (n *Network) NextHop(at, dst mem.NodeID) mem.NodeID {
	n.checkNode("route", at)
	n.checkNode("route", dst)
	return n.next[int(at)*n.n+int(dst)]
}

// Path is the nodes a message from src to dst visits, src and dst included.
func (n *Network) Path(src, dst mem.NodeID) []mem.NodeID {
	n.checkNode("route", src)
	n.checkNode("route", dst)
	return n.walk(src, dst, n.n)
}

// Hops is the number of channels a message from src to dst crosses.
func (n *Network) Hops(src, dst mem.NodeID) int { return len(n.Path(src, dst)) - 1 }

// Routes returns the routing table in effect: Routes()[at][dst] is the next
// hop (dst itself when at == dst).
func (n *Network) Routes() [][]mem.NodeID {
	t := make([][]mem.NodeID, n.n)
	for u := range t {
		t[u] = append([]mem.NodeID(nil), n.next[u*n.n:(u+1)*n.n]...)
	}
	return t
}

// UnloadedLatency is the time a message of class c takes from src to dst on
// an idle network: per hop serialization plus flight time, plus the router
// latency at every intermediate node (LocalLatency when src == dst).
func (n *Network) UnloadedLatency(src, dst mem.NodeID, c mem.Class) sim.Time {
	if src == dst {
		return n.cfg.LocalLatency
	}
	var t sim.Time
	path := n.Path(src, dst)
	for i := 0; i+1 < len(path); i++ {
		ch := n.out[int(path[i])*n.n+int(dst)]
		t += ch.serialize(c.Bytes()) + ch.latency
		if i > 0 {
			t += n.cfg.RouterLatency
		}
	}
	return t
}
