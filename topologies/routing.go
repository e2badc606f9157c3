package topologies

import (
	"fmt"
	"strings"
)

// routing builds every node's routing table: the computed shortest path
// (fewest hops; on a tie, the lowest next-hop node id, then the lowest link
// index), overridden by the file's explicit entries, and checks that every
// route reaches its destination.
func (r *resolver) routing() {
	n := len(r.spec.Nodes)
	adj := r.adjacency()
	routes := make([][]Hop, n)
	for src := range routes {
		routes[src] = make([]Hop, n)
	}
	for dst := 0; dst < n; dst++ {
		dist := bfs(adj, dst)
		for src := 0; src < n; src++ {
			if src == dst {
				routes[src][dst] = Hop{Next: NodeID(src), Link: -1}
				continue
			}
			for nb := 0; nb < n; nb++ {
				if adj[src][nb] >= 0 && dist[nb] == dist[src]-1 {
					routes[src][dst] = Hop{Next: NodeID(nb), Link: adj[src][nb]}
					break
				}
			}
		}
	}

	linkByName := map[string]int{}
	for i, l := range r.spec.Links {
		linkByName[l.Name] = i
	}
	entryPos := map[[2]int]pos{}
	tables := map[int]pos{}
	for _, rt := range r.f.routing {
		if rt.node < 0 || rt.node >= n {
			r.s.add(rt.nodePos.line, rt.nodePos.path, "undefined node %d", rt.node)
			continue
		}
		if first, dup := tables[rt.node]; dup {
			r.s.add(rt.nodePos.line, rt.nodePos.path, "duplicated routing table for node %d (first at line %d)", rt.node, first.line)
			continue
		}
		tables[rt.node] = rt.nodePos
		for _, e := range rt.entries {
			if e.dst < 0 || e.dst >= n {
				r.s.add(e.p.line, e.p.path, "undefined destination node %d", e.dst)
				continue
			}
			if e.dst == rt.node {
				r.s.add(e.p.line, e.p.path, "a node needs no route to itself")
				continue
			}
			hop := Hop{Explicit: true}
			if e.isLink {
				li, ok := linkByName[e.nextLink]
				if !ok {
					r.s.add(e.p.line, e.p.path, "no link named %q", e.nextLink)
					continue
				}
				l := r.spec.Links[li]
				if !l.Joins(NodeID(rt.node)) {
					r.s.add(e.p.line, e.p.path, "link %q does not touch node %d", e.nextLink, rt.node)
					continue
				}
				hop.Link = li
				switch {
				case !l.Bus():
					hop.Next = l.Nodes[0]
					if hop.Next == NodeID(rt.node) {
						hop.Next = l.Nodes[1]
					}
				case l.Joins(NodeID(e.dst)):
					hop.Next = NodeID(e.dst)
				default:
					r.s.add(e.p.line, e.p.path, "link %q is a bus: give the next-hop node instead", e.nextLink)
					continue
				}
			} else {
				switch {
				case e.nextNode < 0 || e.nextNode >= n:
					r.s.add(e.p.line, e.p.path, "undefined next-hop node %d", e.nextNode)
					continue
				case e.nextNode == rt.node:
					r.s.add(e.p.line, e.p.path, "next hop is node %d itself", rt.node)
					continue
				case adj[rt.node][e.nextNode] < 0:
					r.s.add(e.p.line, e.p.path, "no link from node %d to node %d", rt.node, e.nextNode)
					continue
				}
				hop.Next, hop.Link = NodeID(e.nextNode), adj[rt.node][e.nextNode]
			}
			routes[rt.node][e.dst] = hop
			entryPos[[2]int{rt.node, e.dst}] = e.p
		}
	}
	if len(r.s.errs) > 0 {
		return
	}

	reported := map[pos]bool{}
	for src := 0; src < n; src++ {
		for dst := 0; dst < n; dst++ {
			path, ok := follow(routes, src, dst)
			if ok {
				continue
			}
			// Blame the first explicit entry on the path: computed entries
			// alone never loop.
			var p pos
			for _, node := range path {
				if routes[node][dst].Explicit {
					p = entryPos[[2]int{node, dst}]
					break
				}
			}
			if reported[p] {
				continue
			}
			reported[p] = true
			r.s.add(p.line, p.path, "route from node %d never reaches node %d: %s loops", src, dst, pathString(path))
		}
	}
	r.spec.Routes = routes
}

// follow walks the tables from src to dst; it fails on revisiting a node.
func follow(routes [][]Hop, src, dst int) ([]int, bool) {
	seen := make([]bool, len(routes))
	path := []int{src}
	for cur := src; cur != dst; {
		seen[cur] = true
		cur = int(routes[cur][dst].Next)
		path = append(path, cur)
		if seen[cur] {
			return path, false
		}
	}
	return path, true
}

func pathString[T ~int](path []T) string {
	parts := make([]string, len(path))
	for i, n := range path {
		parts[i] = fmt.Sprint(int(n))
	}
	return strings.Join(parts, " → ")
}
