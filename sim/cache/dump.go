package cache

import (
	"fmt"
	"sort"
	"strings"

	"mksim/sim/mem"
)

// DumpLine describes one line everywhere: every package's state and
// transaction, every L1, L2 and L3 copy, and the home's record and queue.
func (s *System) DumpLine(line mem.LineAddr) string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %v at %v:\n", line, s.e.Now())
	for _, p := range s.pkgs {
		st := "I"
		var fs frefs
		p.frames(line, &fs)
		if fs.n > 0 {
			st = pStateNames[fs.fs[0].f.pst]
		}
		t := p.txn(line)
		if t != nil {
			st = pStateNames[t.st]
		}
		fmt.Fprintf(&b, "  %s: %s", p.name, st)
		if t != nil {
			fmt.Fprintf(&b, " [%s]", t)
		}
		b.WriteByte('\n')
		for _, c := range p.clusters {
			for _, l := range c.l1s {
				if f := l.arr.lookup(line); f != nil {
					fmt.Fprintf(&b, "    %s %s %x\n", l.name, l1StateNames[f.st], f.data)
				}
			}
			if f := c.arr.lookup(line); f != nil {
				fmt.Fprintf(&b, "    %s %s (pkg %s) %x\n", c.name, cStateNames[f.st], pStateNames[f.pst], f.data)
			}
		}
		if p.l3 != nil {
			if f := p.l3.lookup(line); f != nil {
				fmt.Fprintf(&b, "    %s.L3 %s (pkg %s) %x\n", p.name, cStateNames[f.st], pStateNames[f.pst], f.data)
			}
		}
		for _, h := range p.holds {
			if h.line == line && h.until > s.e.Now() {
				kind := "read"
				if h.write {
					kind = "write"
				}
				fmt.Fprintf(&b, "    %s holds it (%s) until %v\n", h.l1.name, kind, h.until)
			}
		}
		if w := p.waitFor(line); w != nil {
			fmt.Fprintf(&b, "    waiting on the hold until %v: %s\n", w.until, w)
		}
	}
	h := s.nodes[s.homeOf(line)].home
	if hl := h.record(line); hl != nil {
		fmt.Fprintf(&b, "  %s: %s\n", h.name, hl)
	} else {
		fmt.Fprintf(&b, "  %s: I (no record)\n", h.name)
	}
	fmt.Fprintf(&b, "  memory %x\n", s.memory.ReadLine(line))
	return b.String()
}

func (t *ptxn) String() string {
	s := fmt.Sprintf("txn %d %s op %d since %v home=%v acks %d/%d", t.txn, KindName(t.kind), t.id, t.started, t.homeSeen, t.got, t.expect)
	if t.hasData {
		s += fmt.Sprintf(" data(def=%v)", t.def)
	}
	if t.hasVic {
		s += fmt.Sprintf(" victim(dirty=%v)", t.vicDirty)
	}
	n := 0
	for r := t.waiters.head; r != nil; r = r.next {
		n++
	}
	if n > 0 {
		s += fmt.Sprintf(" %d waiting", n)
	}
	return s
}

func (w *holdWait) String() string {
	var parts []string
	for _, it := range w.items {
		switch {
		case it.r != nil:
			parts = append(parts, it.r.String())
		case it.m != nil:
			parts = append(parts, it.m.String())
		default:
			parts = append(parts, fmt.Sprintf("end of txn %d", it.txn))
		}
	}
	return strings.Join(parts, "; ")
}

func (hl *hline) String() string {
	s := hStateNames[hl.st]
	if hl.owner >= 0 {
		s += fmt.Sprintf(" owner %d", hl.owner)
	}
	if hl.sharers != 0 {
		s += fmt.Sprintf(" sharers %#x", hl.sharers)
	}
	switch hl.st {
	case hBusy, hBusyWB, hBS, hBM:
		s += fmt.Sprintf(" ordering %s txn %d from node %d op %d since %v", KindName(hl.kind), hl.txn, hl.req, hl.id, hl.since)
	}
	for _, m := range hl.q {
		s += fmt.Sprintf("\n      queued %v", m)
	}
	return s
}

// DumpInFlight describes every transaction in flight: L1 misses, package
// transactions (with each line's state everywhere), busy home lines and
// queued messages. The random tester's watchdog prints it on a stall.
func (s *System) DumpInFlight() string {
	var b strings.Builder
	fmt.Fprintf(&b, "in flight at %v:\n", s.e.Now())
	lines := map[mem.LineAddr]bool{}
	for _, l := range s.l1s {
		if l == nil {
			continue
		}
		for i := range l.mshr {
			if r := &l.mshr[i]; r.stage != stFree {
				fmt.Fprintf(&b, "  %s mshr %d: %v\n", l.name, i, r)
				lines[r.line] = true
			}
		}
		if l.pend.ok {
			fmt.Fprintf(&b, "  %s pending: %v\n", l.name, &l.pend.a)
		}
	}
	for _, p := range s.pkgs {
		fmt.Fprintf(&b, "  %s: %d/%d MSHRs, %d responses queued, %d requests queued\n", p.name, p.mshrU, p.mshrN, p.respOut.pending(), p.reqOut.pending())
		for _, t := range p.live {
			lines[t.line] = true
		}
		for _, w := range p.waits {
			if w.live {
				lines[w.line] = true
			}
		}
		for r := p.mshrQ.head; r != nil; r = r.next {
			fmt.Fprintf(&b, "    waiting for an MSHR: %v\n", r)
		}
		for _, c := range p.clusters {
			for r := c.wait.head; r != nil; r = r.next {
				fmt.Fprintf(&b, "    waiting for an L2 MSHR: %v\n", r)
			}
		}
	}
	for i := range s.nodes {
		h := s.nodes[i].home
		if h == nil {
			continue
		}
		for _, hl := range h.recs {
			if h.record(hl.line) != hl {
				continue // in the pool
			}
			if hl.st == hBusy || hl.st == hBusyWB || hl.st == hBS || hl.st == hBM || len(hl.q) > 0 {
				lines[hl.line] = true
			}
		}
	}
	sorted := make([]mem.LineAddr, 0, len(lines))
	for l := range lines {
		sorted = append(sorted, l)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for _, l := range sorted {
		b.WriteString(s.DumpLine(l))
	}
	return b.String()
}

// LineState reports the package-level state of line at node n ("I", "S",
// "E", "O", "M" or a transient name) for tests and the probe.
func (s *System) LineState(n mem.NodeID, line mem.LineAddr) string {
	p := s.nodes[n].pkg
	if p == nil {
		return ""
	}
	if t := p.txn(line); t != nil {
		return pStateNames[t.st]
	}
	var fs frefs
	p.frames(line, &fs)
	if fs.n == 0 {
		return "I"
	}
	return pStateNames[fs.fs[0].f.pst]
}
