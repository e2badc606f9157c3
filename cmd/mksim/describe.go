package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"mksim/topologies"
)

// describe prints everything topo show reports about a machine. Its output
// is golden-tested (testdata/show_*.golden): keep it deterministic.
func describe(w io.Writer, s *topologies.Spec) {
	fmt.Fprintf(w, "machine    %s\n", s.Name)
	if s.Description != "" {
		fmt.Fprintf(w, "           %s\n", s.Description)
	}
	fmt.Fprintf(w, "source     %s\n", s.Source)
	fmt.Fprintf(w, "sha256     %s\n", s.Hash())
	fmt.Fprintf(w, "size       %s\n", machineSummary(s))
	fmt.Fprintf(w, "coherence  %s\n", coherenceSummary(s))
	fmt.Fprintf(w, "addresses  %d-bit physical, %dB lines\n", s.AddressBits, s.LineSize)

	fmt.Fprintf(w, "\ncore types\n")
	for _, ct := range s.CoreTypes {
		coh := "coherent"
		if !ct.Coherent {
			coh = "NOT coherent"
		}
		fmt.Fprintf(w, "  %s: %s, CPI %s, %s, store buffer %d, %d MSHRs\n", ct.Name, ct.Clock, strconv.FormatFloat(ct.CPI, 'g', -1, 64), coh, ct.StoreBuffer, ct.MSHRs)
		fmt.Fprintf(w, "    L1D    %s, %s\n", ct.L1D.Geometry, ct.L1D.Latency)
		if ct.L2 != nil {
			share := "private"
			if ct.L2.Shared == topologies.PerDie {
				share = "shared by the die"
			}
			fmt.Fprintf(w, "    L2     %s, %s, %s\n", ct.L2.Geometry, ct.L2.Latency, share)
		} else {
			fmt.Fprintf(w, "    L2     none\n")
		}
		c := ct.Costs
		fmt.Fprintf(w, "    costs  trap %d, syscall %d, context switch %d, address-space switch %d, invlpg %d, IPI send %d (cycles)\n",
			c.Trap, c.Syscall, c.ContextSwitch, c.AddressSpaceSwitch, c.InvalidatePage, c.IPISend)
	}

	fmt.Fprintf(w, "\npackages\n")
	for _, p := range s.Packages {
		fmt.Fprintf(w, "  P%d: node %d, cores %s: %s", p.ID, p.Node, idRanges(p.Cores()), coreSummary(s, p))
		if p.Clock != 0 {
			fmt.Fprintf(w, ", uncore %s", p.Clock)
		}
		fmt.Fprintln(w)
		if len(p.Dies) > 1 {
			var dies []string
			for i, d := range p.Dies {
				dies = append(dies, fmt.Sprintf("die %d: cores %s", i, idRanges(d.Cores)))
			}
			fmt.Fprintf(w, "    dies   %s\n", strings.Join(dies, "; "))
		}
		if p.L3 != nil {
			fmt.Fprintf(w, "    L3     %s, %s, %s\n", p.L3.Geometry, p.L3.Latency, p.L3.Kind)
		}
		if p.Memory != nil {
			fmt.Fprintf(w, "    memory %s\n", memorySummary(*p.Memory))
		}
	}
	if len(s.Hubs) > 0 {
		fmt.Fprintf(w, "\nhubs\n")
		for _, h := range s.Hubs {
			fmt.Fprintf(w, "  %s: node %d", h.Name, h.Node)
			if h.Clock != 0 {
				fmt.Fprintf(w, ", clock %s", h.Clock)
			}
			fmt.Fprintf(w, "\n    memory %s\n", memorySummary(h.Memory))
		}
	}

	fmt.Fprintf(w, "\nlinks\n")
	if len(s.Links) == 0 {
		fmt.Fprintf(w, "  none\n")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  name\tkind\tnodes\tlatency\twidth\tclock\tbandwidth/dir\n")
		for _, l := range s.Links {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d bits\t%s ×%d\t%s\n", l.Name, l.Kind, nodeList(l.Nodes, "-"), l.Latency, l.Width, l.Clock, l.TransfersPerClock, l.Bandwidth())
		}
		tw.Flush()
	}

	hops := s.HopMatrix()
	fmt.Fprintf(w, "\nhops between nodes (following the routing tables)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t\t")
	for _, n := range s.Nodes {
		fmt.Fprintf(tw, "%d\t", n.ID)
	}
	fmt.Fprintf(tw, "\n")
	for i, row := range hops {
		fmt.Fprintf(tw, "\t%s\t", s.Nodes[i].Name)
		for _, h := range row {
			fmt.Fprintf(tw, "%d\t", h)
		}
		fmt.Fprintf(tw, "\n")
	}
	tw.Flush()
	fmt.Fprintf(w, "hop diameter %d\n", s.Diameter())
	for _, n := range s.Nodes {
		byHops := map[int][]topologies.NodeID{}
		most := 0
		for j, h := range hops[n.ID] {
			if j != int(n.ID) {
				byHops[h] = append(byHops[h], topologies.NodeID(j))
				most = max(most, h)
			}
		}
		var parts []string
		for h := 1; h <= most; h++ {
			if len(byHops[h]) > 0 {
				parts = append(parts, fmt.Sprintf("%s at %d", nodeList(byHops[h], ","), h))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "  from node %d: %s\n", n.ID, strings.Join(parts, "; "))
		}
	}

	fmt.Fprintf(w, "\nroutes (* = an explicit routing-table entry from the file)\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for src := range s.Nodes {
		for dst := range s.Nodes {
			if src == dst {
				continue
			}
			a, b := topologies.NodeID(src), topologies.NodeID(dst)
			path := s.Route(a, b)
			var links []string
			for i, l := range s.RouteLinks(a, b) {
				name := s.Links[l].Name
				if s.Routes[path[i]][b].Explicit {
					name += "*"
				}
				links = append(links, name)
			}
			fmt.Fprintf(tw, "  %d → %d\t%d hop%s\t%s\tvia %s\n", src, dst, len(links), plural(len(links)), nodeList(path, " → "), strings.Join(links, ", "))
		}
	}
	tw.Flush()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// machineSummary is "8 packages × 4 cores = 32 cores, 8 nodes, 11 links".
func machineSummary(s *topologies.Spec) string {
	per := len(s.Packages[0].Cores())
	uniform := true
	var counts []string
	for _, p := range s.Packages {
		n := len(p.Cores())
		uniform = uniform && n == per
		counts = append(counts, strconv.Itoa(n))
	}
	var b strings.Builder
	if uniform {
		fmt.Fprintf(&b, "%d package%s × %d core%s = %d cores", len(s.Packages), plural(len(s.Packages)), per, plural(per), s.NumCores())
	} else {
		fmt.Fprintf(&b, "%d packages (%s cores) = %d cores", len(s.Packages), strings.Join(counts, "+"), s.NumCores())
	}
	fmt.Fprintf(&b, ", %d node%s, %d link%s", len(s.Nodes), plural(len(s.Nodes)), len(s.Links), plural(len(s.Links)))
	var mem topologies.Bytes
	for _, r := range s.MemoryRanges() {
		mem += r.Size
	}
	fmt.Fprintf(&b, ", %s of memory", mem)
	return b.String()
}

func coherenceSummary(s *topologies.Spec) string {
	c := s.Coherence
	out := string(c.Scheme)
	if f := c.Filter; f != nil {
		name := map[topologies.Scheme]string{
			topologies.HTBroadcast: "probe filter",
			topologies.FSBSnoop:    "snoop filter",
			topologies.Directory:   "directory",
		}[c.Scheme]
		out += fmt.Sprintf(", %s covering %s (%d sets × %d ways), %s per lookup", name, f.Coverage, f.Sets, f.Ways, f.Latency)
	} else {
		out += ", no filter"
	}
	return out
}

// coreSummary is "4 × opteron-8350" or "4 × big, 4 × little".
func coreSummary(s *topologies.Spec, p topologies.Package) string {
	var parts []string
	last, n := -1, 0
	flush := func() {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d × %s", n, s.CoreTypes[last].Name))
		}
	}
	for _, id := range p.Cores() {
		t := s.Cores[id].Type
		if t != last {
			flush()
			last, n = t, 0
		}
		n++
	}
	flush()
	return strings.Join(parts, ", ")
}

func memorySummary(m topologies.Memory) string {
	out := fmt.Sprintf("[%#x, %#x) %s, %s", int64(m.Base), int64(m.End()), m.Size, m.Latency)
	if m.Bandwidth > 0 {
		out += ", " + m.Bandwidth.String()
	}
	if m.RowCycle > 0 {
		out += fmt.Sprintf(", %d banks of %s rows, row cycle %s", m.Banks, m.Row, m.RowCycle)
	}
	return out
}

// idRanges renders [0 1 2 3 5] as "0-3,5".
func idRanges(ids []int) string {
	var parts []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", ids[i], ids[j]))
		} else {
			parts = append(parts, strconv.Itoa(ids[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

func nodeList(ns []topologies.NodeID, sep string) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(int(n))
	}
	return strings.Join(parts, sep)
}
