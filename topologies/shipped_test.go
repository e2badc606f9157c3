package topologies

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func mustShipped(t *testing.T, name string) *Spec {
	t.Helper()
	s, err := LoadShipped(name)
	if err != nil {
		t.Fatalf("LoadShipped(%q): %v", name, err)
	}
	return s
}

func TestShippedLoad(t *testing.T) {
	want := []string{"amd2x2", "amd4x4", "gruyere", "gruyere-misrouted", "hetero", "intel2x4"}
	if got := Shipped(); !slices.Equal(got, want) {
		t.Fatalf("Shipped() = %v, want %v", got, want)
	}
	for _, name := range want {
		s := mustShipped(t, name)
		if s.Name != name {
			t.Errorf("%s: name %q", name, s.Name)
		}
		// The file on disk is the embedded one.
		fromDisk, err := LoadFile(name + ".yaml")
		if err != nil {
			t.Fatalf("LoadFile: %v", err)
		}
		if fromDisk.Hash() != s.Hash() {
			t.Errorf("%s: hash differs between disk and embedded copy", name)
		}
		checkInvariants(t, s)
	}
}

// checkInvariants checks what every valid Spec must satisfy.
func checkInvariants(t *testing.T, s *Spec) {
	t.Helper()
	if s.NumCores() == 0 || len(s.Packages) == 0 || len(s.Nodes) == 0 {
		t.Fatalf("%s: empty machine", s.Name)
	}
	for i, c := range s.Cores {
		if c.ID != i || c.Type < 0 || c.Type >= len(s.CoreTypes) || c.Package < 0 || c.Package >= len(s.Packages) {
			t.Fatalf("%s: bad core %+v", s.Name, c)
		}
		if s.Packages[c.Package].Node != c.Node {
			t.Fatalf("%s: core %d node %d, package node %d", s.Name, i, c.Node, s.Packages[c.Package].Node)
		}
		if c.L2 >= 0 && !slices.Contains(s.L2s[c.L2].Cores, i) {
			t.Fatalf("%s: core %d not in its L2's list", s.Name, i)
		}
	}
	for i, n := range s.Nodes {
		if int(n.ID) != i || n.Name == "" {
			t.Fatalf("%s: bad node %+v", s.Name, n)
		}
	}
	for src := range s.Nodes {
		for dst := range s.Nodes {
			r := s.Route(NodeID(src), NodeID(dst))
			links := s.RouteLinks(NodeID(src), NodeID(dst))
			if r[0] != NodeID(src) || r[len(r)-1] != NodeID(dst) || len(links) != len(r)-1 {
				t.Fatalf("%s: route %d->%d = %v over %v", s.Name, src, dst, r, links)
			}
			for i, l := range links {
				if !s.Links[l].Joins(r[i]) || !s.Links[l].Joins(r[i+1]) {
					t.Fatalf("%s: route %d->%d hop %d uses link %s which does not join %d and %d", s.Name, src, dst, i, s.Links[l].Name, r[i], r[i+1])
				}
			}
		}
	}
	for _, ct := range s.CoreTypes {
		for _, g := range []Geometry{ct.L1D.Geometry} {
			if g.Size != Bytes(g.Sets*g.Ways)*g.Line {
				t.Fatalf("%s: geometry %+v", s.Name, g)
			}
		}
	}
	if len(s.Hash()) != 64 {
		t.Fatalf("%s: hash %q", s.Name, s.Hash())
	}
}

func TestGruyere(t *testing.T) {
	s := mustShipped(t, "gruyere")
	if len(s.Packages) != 8 || s.NumCores() != 32 || len(s.Links) != 11 {
		t.Fatalf("gruyere: %d packages, %d cores, %d links", len(s.Packages), s.NumCores(), len(s.Links))
	}
	for _, p := range s.Packages {
		if len(p.Cores()) != 4 || p.L3 == nil || p.L3.Size != 2<<20 || p.Memory == nil {
			t.Fatalf("package %d: %+v", p.ID, p)
		}
		if p.L3.Latency != 37500 { // 75 cycles of 2.0 GHz
			t.Errorf("package %d L3 latency %v", p.ID, p.L3.Latency)
		}
	}
	if d := s.Diameter(); d != 3 {
		t.Errorf("diameter %d, want 3", d)
	}
	// [SOSP] Fig. 2: from node 0, 1 and 2 at one hop, 3 and 4 at two, 5-7 at three.
	if got, want := s.HopMatrix()[0], []int{0, 1, 1, 2, 2, 3, 3, 3}; !slices.Equal(got, want) {
		t.Errorf("hops from node 0: %v, want %v", got, want)
	}
	want := map[[2]NodeID]bool{}
	for _, e := range [][2]NodeID{{0, 2}, {2, 4}, {4, 6}, {1, 3}, {3, 5}, {5, 7}, {0, 1}, {2, 3}, {6, 7}, {4, 7}, {5, 6}} {
		want[e] = true
	}
	for _, l := range s.Links {
		e := [2]NodeID{min(l.Nodes[0], l.Nodes[1]), max(l.Nodes[0], l.Nodes[1])}
		if !want[e] {
			t.Errorf("unexpected link %v", e)
		}
		delete(want, e)
		cable := e == [2]NodeID{2, 4} || e == [2]NodeID{3, 5}
		if cable != (l.Kind == Cable) {
			t.Errorf("link %v kind %s", e, l.Kind)
		}
	}
	if len(want) != 0 {
		t.Errorf("missing links %v", want)
	}
	if s.Hops(4, 5) != 2 {
		t.Errorf("4->5 %v, want two hops on the daughtercard", s.Route(4, 5))
	}
	ct := s.CoreTypes[0]
	if ct.Clock != 2_000_000_000 || ct.L1D.Latency != 2 || ct.L2.Latency != 15 || ct.Costs.Trap != 800 {
		t.Errorf("core type %+v", ct)
	}
	if s.SharedCacheLevel(0, 1) != 3 || s.SharedCacheLevel(0, 4) != 0 || s.SharedCacheLevel(5, 5) != 1 {
		t.Error("SharedCacheLevel")
	}
	if s.Home(0x100000000) != 1 || s.Home(0x800000000) != -1 {
		t.Error("Home")
	}
}

func TestGruyereMisrouted(t *testing.T) {
	good, bad := mustShipped(t, "gruyere"), mustShipped(t, "gruyere-misrouted")
	if got := bad.Route(4, 5); !slices.Equal(got, []NodeID{4, 2, 3, 5}) {
		t.Errorf("misrouted 4->5 = %v", got)
	}
	if got := bad.Route(5, 4); !slices.Equal(got, []NodeID{5, 3, 2, 4}) {
		t.Errorf("misrouted 5->4 = %v", got)
	}
	cables := 0
	for _, l := range bad.RouteLinks(4, 5) {
		if bad.Links[l].Kind == Cable {
			cables++
		}
	}
	if cables != 2 {
		t.Errorf("misrouted 4->5 crosses %d cables, want 2", cables)
	}
	if bad.Diameter() != 3 {
		t.Errorf("diameter %d", bad.Diameter())
	}
	// Everything but name, description and routes is gruyere's.
	a, b := *good, *bad
	for _, s := range []*Spec{&a, &b} {
		s.Name, s.Description, s.Source, s.Routes = "", "", "", nil
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("gruyere-misrouted.yaml has drifted from gruyere.yaml beyond its routing section")
	}
}

func TestOtherMachines(t *testing.T) {
	intel := mustShipped(t, "intel2x4")
	// Four FSB agents, one per dual-core die (two per X5355 module).
	if intel.NumCores() != 8 || len(intel.Packages) != 4 || len(intel.Hubs) != 1 || len(intel.L2s) != 4 {
		t.Fatalf("intel2x4: %d cores, %d packages, %d hubs, %d L2s", intel.NumCores(), len(intel.Packages), len(intel.Hubs), len(intel.L2s))
	}
	if intel.SharedCacheLevel(0, 1) != 2 || intel.SharedCacheLevel(0, 2) != 0 || intel.SharedCacheLevel(0, 4) != 0 {
		t.Error("intel2x4: cores 0,1 share an L2; 0,2 share nothing")
	}
	if intel.Coherence.Scheme != FSBSnoop || intel.Coherence.Filter == nil || !intel.Links[0].Bus() {
		t.Error("intel2x4: want fsb-snoop with a snoop filter and a bus")
	}
	if intel.Hops(0, 1) != 1 || intel.Hops(0, 3) != 1 || intel.Home(0) != 4 {
		t.Error("intel2x4: dies one bus hop apart, memory at the hub")
	}
	if bw := intel.Links[0].Bandwidth(); bw != 10_656_000_000 {
		t.Errorf("FSB bandwidth %v", bw)
	}

	amd2 := mustShipped(t, "amd2x2")
	if amd2.NumCores() != 4 || len(amd2.Links) != 2 || amd2.Packages[0].L3 != nil || amd2.SharedCacheLevel(0, 1) != 0 {
		t.Error("amd2x2: 4 cores, 2 links, no L3, private L2s")
	}

	amd4 := mustShipped(t, "amd4x4")
	if amd4.NumCores() != 16 || len(amd4.Links) != 4 || amd4.Diameter() != 2 || amd4.Packages[0].L3.Size != 6<<20 {
		t.Error("amd4x4: 16 cores, a square of 4 links, 6 MiB L3")
	}

	h := mustShipped(t, "hetero")
	clocks := map[Hz]bool{}
	coherent := map[bool]bool{}
	for _, ct := range h.CoreTypes {
		clocks[ct.Clock] = true
		coherent[ct.Coherent] = true
	}
	if len(clocks) < 2 || !coherent[false] {
		t.Error("hetero: want two clocks and a non-coherent type")
	}
	if h.Hops(1, 2) != 2 {
		t.Errorf("hetero: 1->2 %v", h.Route(1, 2))
	}
}

func TestHashStable(t *testing.T) {
	data, _ := ShippedSource("amd2x2")
	a, err := Load("a.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load("elsewhere/b.yaml", append([]byte("# a new comment\n"), data...))
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash() != b.Hash() {
		t.Error("hash depends on the source name or comments")
	}
	c, err := Load("c.yaml", []byte(strings.Replace(string(data), "latency: 50ns", "latency: 51ns", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash() == c.Hash() {
		t.Error("hash ignores a changed latency")
	}
}

func TestOpen(t *testing.T) {
	if s, err := Open("gruyere"); err != nil || s.Source != "gruyere.yaml" {
		t.Fatalf("Open(gruyere) = %v, %v", s, err)
	}
	if s, err := Open("amd4x4.yaml"); err != nil || s.Source != "amd4x4.yaml" {
		t.Fatalf("Open(amd4x4.yaml) = %v, %v", s, err)
	}
	if _, err := Open("nosuchmachine"); err == nil || !strings.Contains(err.Error(), "gruyere") {
		t.Fatalf("Open(nosuchmachine) = %v, want an error listing the shipped machines", err)
	}
	if _, err := Open("nosuch/file.yaml"); !os.IsNotExist(err) {
		t.Fatalf("Open(nosuch/file.yaml) = %v", err)
	}
}
