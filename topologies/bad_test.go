package topologies

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// base is a small valid machine the bad-input cases edit.
const base = `name: tiny
coherence:
  scheme: ht-broadcast
core_types:
  - name: t1
    clock: 2.0GHz
    cpi: 1.0
    l1d: {size: 64KiB, ways: 2, latency: 3 cycles}
    l2: {size: 512KiB, ways: 16, latency: 15 cycles}
    costs: {trap: 800 cycles, syscall: 80 cycles, context_switch: 100 cycles, address_space_switch: 200 cycles, invlpg: 200 cycles, ipi_send: 100 cycles}
    store_buffer: 32
    mshrs: 8
packages:
  - id: 0
    node: 0
    cores: {type: t1, count: 2}
    l3: {size: 2MiB, ways: 32, latency: 75 cycles, kind: victim}
    memory: {base: 0x0, size: 4GiB, latency: 50ns}
  - id: 1
    node: 1
    cores: [t1, t1]
    memory: {base: 4GiB, size: 4GiB, latency: 50ns}
links:
  - {name: l01, kind: ht, nodes: [0, 1], latency: 15ns, width: 16, clock: 1.0GHz}
`

// line3 adds a third package on a line 0 - 1 - 2.
const line3 = `  - id: 2
    node: 2
    cores: [t1]
  - {name: l12, kind: ht, nodes: [1, 2], latency: 15ns, width: 16, clock: 1.0GHz}
`

func TestBaseIsValid(t *testing.T) {
	if _, err := Load("base.yaml", []byte(base)); err != nil {
		t.Fatal(err)
	}
	if s, err := Load("line3.yaml", []byte(withLine3(""))); err != nil || s.Hops(0, 2) != 2 {
		t.Fatal(err)
	}
}

// on_chip: home (the default) and local reach the spec.
func TestOnChipOrder(t *testing.T) {
	for text, want := range map[string]bool{
		base: false,
		edit(base, "scheme: ht-broadcast", "scheme: ht-broadcast\n  on_chip: home"):  false,
		edit(base, "scheme: ht-broadcast", "scheme: ht-broadcast\n  on_chip: local"): true,
	} {
		s, err := Load("base.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if s.Coherence.LocalOnChip != want {
			t.Errorf("LocalOnChip %v, want %v, from:\n%s", s.Coherence.LocalOnChip, want, text)
		}
	}
}

// uncore.sibling_occupancy reaches the spec; omitted, it is probe_occupancy
// (one engine cost for every probe).
func TestSiblingOccupancy(t *testing.T) {
	for _, c := range []struct {
		uncore     string
		probe, sib Picoseconds
	}{
		{"", 0, 0},
		{"probe_occupancy: 20ns", 20000, 20000},
		{"probe_occupancy: 2ns, sibling_occupancy: 20ns", 2000, 20000},
		{"sibling_occupancy: 20ns", 0, 20000},
	} {
		text := base
		if c.uncore != "" {
			text = edit(base, "scheme: ht-broadcast", "scheme: ht-broadcast\n  uncore: {"+c.uncore+"}")
		}
		s, err := Load("base.yaml", []byte(text))
		if err != nil {
			t.Fatalf("%q: %v", c.uncore, err)
		}
		if u := s.Coherence.Uncore; u.ProbeOccupancy != c.probe || u.SiblingOccupancy != c.sib {
			t.Errorf("%q: probe %v, sibling %v; want %v, %v", c.uncore, u.ProbeOccupancy, u.SiblingOccupancy, c.probe, c.sib)
		}
	}
}

// withLine3 is base with a third package and link, plus extra at the end.
func withLine3(extra string) string {
	parts := strings.SplitAfter(line3, "\n")
	pkg := strings.Join(parts[:3], "")
	s := strings.Replace(base, "links:\n", pkg+"links:\n", 1)
	return s + parts[3] + extra
}

// edit replaces the first occurrence of old in base; it panics if absent so
// that a stale case fails loudly.
func edit(text, old, new string) string {
	if !strings.Contains(text, old) {
		panic(fmt.Sprintf("edit: %q not in text", old))
	}
	return strings.Replace(text, old, new, 1)
}

// lineOf is the 1-based line of the first occurrence of needle.
func lineOf(text, needle string) int {
	i := strings.Index(text, needle)
	if i < 0 {
		panic(fmt.Sprintf("lineOf: %q not in text", needle))
	}
	return strings.Count(text[:i], "\n") + 1
}

type badCase struct {
	name  string
	text  string
	line  int    // expected line
	field string // expected field path ("" for syntax-level errors)
	msg   string // expected message prefix
}

func badCases() []badCase {
	b := base
	var cs []badCase
	add := func(name, text string, line int, field, msg string) {
		cs = append(cs, badCase{name, text, line, field, msg})
	}
	// at adds a case whose expected line is where needle sits in text.
	at := func(name, text, needle, field, msg string) { add(name, text, lineOf(text, needle), field, msg) }

	// The file as a whole.
	add("empty file", "", 1, "", "empty file")
	add("only comments", "# nothing here\n\n", 1, "", "empty file")
	add("empty document", "---\n", 1, "", "empty document")
	at("second document", b+"---\nname: other\n", "---", "", "a second YAML document")
	at("syntax error", "name: tiny\ncoherence:\n  scheme: x\n  foo: bar: baz\n", "foo", "", "YAML syntax: mapping values are not allowed")
	add("not a mapping", "- a\n- b\n", 1, "", "want a mapping")
	add("alias", edit(edit(b, "l1d: {", "l1d: &x {"), "    l2: {size: 512KiB, ways: 16, latency: 15 cycles}", "    l2: *x"), 9, "core_types[0].l2", "YAML aliases are not supported")
	add("too large", strings.Repeat("#", maxFileSize+1), 1, "", "file is larger")

	// Keys.
	at("misspelt key", edit(b, "    mshrs: 8", "    mshr: 8"), "mshr:", "core_types[0].mshr", `unknown field "mshr"`)
	at("misspelt top-level key", edit(b, "links:", "link:"), "link:", "link", `unknown field "link"`)
	at("duplicated key", edit(b, "    cpi: 1.0\n", "    cpi: 1.0\n    cpi: 2.0\n"), "cpi: 2.0", "core_types[0].cpi", "duplicated field (first given at line 7)")
	at("complex key", edit(b, "name: tiny\n", "name: tiny\n? [a]\n: b\n"), "[a]", "", "keys must be plain names")

	// Missing required fields: reported at the mapping that lacks them.
	at("missing name", edit(b, "name: tiny\n", ""), "coherence:", "name", "missing required field")
	at("missing clock", edit(b, "    clock: 2.0GHz\n", ""), "- name: t1", "core_types[0].clock", "missing required field")
	at("missing node", edit(b, "    node: 1\n", ""), "- id: 1", "packages[1].node", "missing required field")
	at("missing cores", edit(b, "    cores: [t1, t1]\n", ""), "- id: 1", "packages[1].cores", "missing required field")
	at("missing cost", edit(b, "ipi_send: 100 cycles", "ipi_sent: 100 cycles"), "ipi_sent", "core_types[0].costs.ipi_send", "missing required field")
	at("missing coherence", edit(b, "coherence:\n  scheme: ht-broadcast\n", ""), "name: tiny", "coherence", "missing required field")
	const mem1 = "{base: 4GiB, size: 4GiB, latency: 50ns}"
	dram := func(f string) string { return edit(b, mem1, "{base: 4GiB, size: 4GiB, latency: 50ns, "+f+"}") }
	at("DRAM banks without row_cycle", dram("banks: 8"), "banks: 8", "packages[1].memory.banks", "banks only means something with row_cycle")
	at("row_cycle without banks", dram("row: 8KiB, row_cycle: 50ns"), "row_cycle", "packages[1].memory.banks", "missing required field")
	at("DRAM row not a power of two", dram("banks: 8, row: 3KiB, row_cycle: 50ns"), "row: 3KiB", "packages[1].memory.row", "row 3KiB is not a power of two")
	at("too many DRAM banks", dram("banks: 65, row: 8KiB, row_cycle: 50ns"), "banks: 65", "packages[1].memory.banks", "65 is out of range")
	at("malformed row_cycle", dram("banks: 8, row: 8KiB, row_cycle: fast"), "row_cycle: fast", "packages[1].memory.row_cycle", "want a duration with a unit")
	at("zero row_cycle", dram("banks: 8, row: 8KiB, row_cycle: 0ns"), "row_cycle: 0ns", "packages[1].memory.row_cycle", "row_cycle must be positive")
	at("missing memory fields", edit(b, "{base: 4GiB, size: 4GiB, latency: 50ns}", "{base: 4GiB, size: 4GiB}"), "base: 4GiB", "packages[1].memory.latency", "missing required field")
	at("no core types", edit(b, "core_types:\n", "core_types: []\nx_core_types:\n"), "core_types: []", "core_types", "need at least one core type")

	// Wrong types.
	at("cpi string", edit(b, "cpi: 1.0", "cpi: fast"), "cpi: fast", "core_types[0].cpi", "want a number")
	at("cpi nan", edit(b, "cpi: 1.0", "cpi: .nan"), "cpi: .nan", "core_types[0].cpi", "want a finite number")
	at("width float", edit(b, "width: 16", "width: 16.5"), "width: 16.5", "links[0].width", "want an integer")
	at("id string", edit(b, "id: 1", `id: "one"`), `"one"`, "packages[1].id", "want an integer")
	at("coherent yes", edit(b, "    cpi: 1.0\n", "    cpi: 1.0\n    coherent: yes\n"), "coherent", "core_types[0].coherent", "want true or false")
	at("clock without unit", edit(b, "clock: 2.0GHz", "clock: 2.0"), "clock: 2.0", "core_types[0].clock", "want a frequency with a unit")
	at("latency without unit", edit(b, "latency: 50ns}\n  - id: 1", "latency: 50}\n  - id: 1"), "latency: 50}", "packages[0].memory.latency", "want a duration with a unit")
	at("size in decimal units", edit(b, "size: 64KiB", "size: 64KB"), "64KB", "core_types[0].l1d.size", "sizes use binary units")
	at("packages a mapping", edit(b, "packages:\n", "packages: {}\nx:\n"), "packages: {}", "packages", "want a list")
	at("name a list", edit(b, "name: tiny", "name: [a, b]"), "name: [a", "name", "want a string")
	at("null value", edit(b, "    mshrs: 8", "    mshrs:"), "mshrs:", "core_types[0].mshrs", "want an integer, got nothing")
	at("bad enum", edit(b, "scheme: ht-broadcast", "scheme: mesi"), "scheme: mesi", "coherence.scheme", `unknown value "mesi"`)
	at("bad on_chip", edit(b, "scheme: ht-broadcast", "scheme: ht-broadcast\n  on_chip: nearby"), "on_chip: nearby", "coherence.on_chip", `unknown value "nearby"`)
	at("on_chip off HT", edit(b, "scheme: ht-broadcast", "scheme: directory\n  on_chip: local\n  filter: {coverage: 1MiB, ways: 16, latency: 4ns}"), "on_chip: local", "coherence.on_chip", "on_chip applies to ht-broadcast only")
	at("bad link kind", edit(b, "kind: ht", "kind: pcie"), "kind: pcie", "links[0].kind", `unknown value "pcie"`)
	at("out of range", edit(b, "count: 2", "count: 0"), "count: 0", "packages[0].cores.count", "0 is out of range")
	at("cpi zero", edit(b, "cpi: 1.0", "cpi: 0"), "cpi: 0", "core_types[0].cpi", "cpi 0 is out of range")
	at("l1 snoop on a private L2", edit(b, "latency: 15 cycles}", "latency: 15 cycles, l1_snoop: 40 cycles}"), "l1_snoop", "core_types[0].l2.l1_snoop", "l1_snoop needs an L2 shared by the die")
	at("l1 snoop without unit", edit(b, "latency: 15 cycles}", "latency: 15 cycles, shared: die, l1_snoop: 40}"), "l1_snoop", "core_types[0].l2.l1_snoop", "want a duration with a unit")
	at("fractional cycles", edit(b, "latency: 3 cycles", "latency: 2.5 cycles"), "2.5 cycles", "core_types[0].l1d.latency", "2.5 is not a whole number of cycles")

	// References and IDs.
	at("unknown core type", edit(b, "cores: [t1, t1]", "cores: [t1, k10x]"), "k10x", "packages[1].cores[1]", `unknown core type "k10x"`)
	at("unknown core type in count form", edit(b, "type: t1", "type: k10x"), "k10x", "packages[0].cores.type", `unknown core type "k10x"`)
	at("link to undefined package", edit(b, "nodes: [0, 1]", "nodes: [0, 7]"), "nodes: [0, 7]", "links[0].nodes[1]", "undefined node 7")
	at("duplicated package id", edit(b, "id: 1", "id: 0"), "id: 0\n    node: 1", "packages[1].id", "duplicated package id 0 (first at line 14)")
	at("package id gap", edit(b, "id: 1", "id: 3"), "id: 3", "packages[1].id", "package ids must be 0..1 without gaps")
	at("duplicated node id", edit(b, "node: 1", "node: 0"), "node: 0\n    cores: [t1", "packages[1].node", "duplicated node id 0 (also packages[0].node, line 15)")
	at("node id gap", edit(b, "node: 1", "node: 5"), "node: 5", "packages[1].node", "node ids must be 0..1 without gaps")
	at("duplicated core type", edit(b, "packages:\n", "  - {name: t1, clock: 1GHz, cpi: 1, l1d: {size: 1KiB, ways: 1, latency: 1 cycle}, costs: {trap: 1 cycle, syscall: 1 cycle, context_switch: 1 cycle, address_space_switch: 1 cycle, invlpg: 1 cycle, ipi_send: 1 cycle}, store_buffer: 1, mshrs: 1}\npackages:\n"), "{name: t1", "core_types[1].name", `duplicated core type "t1" (first at line 5)`)
	add("duplicated link name", b+"  - {name: l01, kind: ht, nodes: [0, 1], latency: 15ns, width: 16, clock: 1.0GHz}\n", strings.Count(b, "\n")+1, "links[1].name", `duplicated link name "l01" (first at line 24)`)
	at("p2p link with three nodes", withLine3("  - {kind: ht, nodes: [0, 1, 2], latency: 1ns, width: 8, clock: 1GHz}\n"), "[0, 1, 2]", "links[2].nodes", "a ht link joins exactly 2 nodes, got 3")
	at("bus of one node", edit(b, "kind: ht, nodes: [0, 1]", "kind: fsb, nodes: [0]"), "[0]", "links[0].nodes", "a bus joins at least 2 nodes")
	at("link node twice", edit(b, "nodes: [0, 1]", "nodes: [1, 1]"), "nodes: [1, 1]", "links[0].nodes[1]", "node 1 is listed twice")
	at("cores and dies", edit(b, "    cores: [t1, t1]\n", "    cores: [t1, t1]\n    dies: []\n"), "dies: []", "packages[1].dies", "give either cores or dies")

	// Connectivity and routing.
	at("disconnected machine", withLine3("")[:strings.Index(withLine3(""), "  - {name: l12")], "node: 2", "packages[2].node", "node 2 is not connected to node 0")
	at("routing loop", withLine3("routing:\n  - node: 1\n    next: {2: 0}\n"), "{2: 0}", "routing[0].next[2]", "route from node 0 never reaches node 2: 0 → 1 → 0 loops")
	at("routing loop over two tables", withLine3("routing:\n  - node: 0\n    next: {2: 1}\n  - node: 1\n    next: {2: 0}\n"), "{2: 1}", "routing[0].next[2]", "route from node 0 never reaches node 2: 0 → 1 → 0 loops")
	at("routing no such link", withLine3("routing:\n  - node: 0\n    next: {2: l99}\n"), "l99", "routing[0].next[2]", `no link named "l99"`)
	at("routing link elsewhere", withLine3("routing:\n  - node: 0\n    next: {2: l12}\n"), "{2: l12}", "routing[0].next[2]", `link "l12" does not touch node 0`)
	at("routing non-adjacent", withLine3("routing:\n  - node: 0\n    next: {1: 2}\n"), "{1: 2}", "routing[0].next[1]", "no link from node 0 to node 2")
	at("routing undefined node", withLine3("routing:\n  - node: 9\n    next: {1: 1}\n"), "node: 9", "routing[0].node", "undefined node 9")
	at("routing undefined destination", withLine3("routing:\n  - node: 0\n    next: {7: 1}\n"), "{7: 1}", "routing[0].next[7]", "undefined destination node 7")
	at("routing to itself", withLine3("routing:\n  - node: 0\n    next: {0: 1}\n"), "{0: 1}", "routing[0].next[0]", "a node needs no route to itself")
	at("routing duplicated table", withLine3("routing:\n  - node: 0\n    next: {2: 1}\n  - node: 1\n    next: {2: 2}\n  - node: 0\n    next: {2: 1}\n"), "node: 0\n    next: {2: 1}\n", "routing[2].node", "duplicated routing table for node 0")
	cs[len(cs)-1].line += 4 // the second "node: 0"

	// Clocks and units.
	at("zero core clock", edit(b, "clock: 2.0GHz", "clock: 0GHz"), "0GHz", "core_types[0].clock", "clock must be positive")
	at("zero link clock", edit(b, "clock: 1.0GHz}", "clock: 0.0MHz}"), "0.0MHz", "links[0].clock", "clock must be positive")
	at("clock too fast", edit(b, "clock: 2.0GHz", "clock: 2THz"), "2THz", "core_types[0].clock", "too large: at most 1THz")
	at("cycles without a clock", edit(b, "{base: 4GiB, size: 4GiB, latency: 50ns}", "{base: 4GiB, size: 4GiB, latency: 50ns}\nhubs:\n  - {node: 2, memory: {base: 8GiB, size: 4KiB, latency: 9 cycles}}"), "9 cycles", "hubs[0].memory.latency", "9 cycles needs a clock to count cycles in: give hubs[0].clock")
	at("filter cycles without a clock", edit(b, "scheme: ht-broadcast", "scheme: ht-broadcast\n  filter: {coverage: 1MiB, ways: 16, latency: 4 cycles}"), "4 cycles", "coherence.filter.latency", "4 cycles needs a clock")

	// Cache geometry.
	at("sets not a power of two", edit(b, "size: 64KiB, ways: 2", "size: 48KiB, ways: 2"), "48KiB", "core_types[0].l1d.size", "48KiB / (2 ways × 64B) = 384 sets, not a power of two")
	at("line not a power of two", edit(b, "size: 64KiB, ways: 2,", "size: 64KiB, ways: 2, line: 96,"), "line: 96", "core_types[0].l1d.line", "line size 96B is not a power of two")
	at("size does not divide", edit(b, "size: 512KiB, ways: 16", "size: 1000, ways: 16"), "size: 1000", "core_types[0].l2.size", "size 1000B does not divide into 16 ways")
	at("line too large", edit(b, "size: 64KiB, ways: 2,", "size: 64KiB, ways: 2, line: 0x2000000000000000,"), "line: 0x2", "core_types[0].l1d.line", "line size 2305843009213693952B is out of range [8B, 4KiB]")
	at("memory at the top", edit(b, "base: 4GiB, size: 4GiB", "base: 0x3ffffffffffff000, size: 0x3ffffffffffff000"), "base: 0x3f", "packages[1].memory.size", "range [0x3ffffffffffff000, 0x7fffffffffffe000) is beyond")
	at("long unknown key", edit(b, "    mshrs: 8", "    "+strings.Repeat("k", 1000)+": 8"), "kkk", "core_types[0]."+strings.Repeat("k", 106)+"…", "unknown field")
	at("mixed line sizes", edit(b, "size: 512KiB, ways: 16,", "size: 512KiB, ways: 16, line: 128,"), "line: 128", "core_types[0].l2.line", "line size 128B differs from the machine's 64B")
	at("filter sets", edit(b, "scheme: ht-broadcast", "scheme: ht-broadcast\n  filter: {coverage: 3MiB, ways: 16, latency: 4ns}"), "3MiB", "coherence.filter.coverage", "3MiB / (16 ways × 64B) = 3072 sets")

	// Memory.
	at("memory overlap", edit(b, "base: 4GiB", "base: 2GiB"), "base: 2GiB", "packages[1].memory.base", "memory range [0x80000000, 0x180000000) overlaps packages[0].memory")
	at("memory beyond address space", edit(b, "coherence:", "address_bits: 32\ncoherence:"), "base: 4GiB", "packages[1].memory.size", "range [0x100000000, 0x200000000) is beyond the 32-bit physical address space")
	at("memory unaligned", edit(b, "base: 4GiB", "base: 0x100000010"), "0x100000010", "packages[1].memory.base", "base 0x100000010 is not 4KiB-aligned")
	at("memory size zero", edit(b, "size: 4GiB, latency: 50ns}\n  - id: 1", "size: 0, latency: 50ns}\n  - id: 1"), "size: 0", "packages[0].memory.size", "size 0B is not a positive multiple of 4KiB")
	at("no memory", edit(edit(b, "    memory: {base: 0x0, size: 4GiB, latency: 50ns}\n", ""), "    memory: {base: 4GiB, size: 4GiB, latency: 50ns}\n", ""), "packages:", "packages", "the machine has no memory")

	// Coherence.
	at("fsb-snoop without a bus", edit(b, "scheme: ht-broadcast", "scheme: fsb-snoop"), "fsb-snoop", "coherence.scheme", "fsb-snoop needs a link of kind fsb")
	at("directory without filter", edit(b, "scheme: ht-broadcast", "scheme: directory"), "scheme: directory", "coherence.filter", "the directory scheme needs a filter")
	return cs
}

func TestBadInput(t *testing.T) {
	for _, c := range badCases() {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load("bad.yaml", []byte(c.text))
			if err == nil {
				t.Fatalf("no error; want line %d field %q: %s", c.line, c.field, c.msg)
			}
			if _, again := Load("bad.yaml", []byte(c.text)); again.Error() != err.Error() {
				t.Fatalf("errors differ between two loads:\n%v\n--\n%v", err, again)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error is %T, want Errors", err)
			}
			for _, e := range es {
				if e.File == "bad.yaml" && e.Line == c.line && e.Field == c.field && strings.HasPrefix(e.Msg, c.msg) {
					return
				}
			}
			var want string
			if c.field == "" {
				want = fmt.Sprintf("bad.yaml:%d: %s", c.line, c.msg)
			} else {
				want = fmt.Sprintf("bad.yaml:%d: %s: %s", c.line, c.field, c.msg)
			}
			t.Fatalf("want an error\n  %s...\ngot\n  %s", want, strings.ReplaceAll(err.Error(), "\n", "\n  "))
		})
	}
}

// TestDieSharing checks the one die-sharing case the table cannot (it needs
// two defined types).
func TestDieSharing(t *testing.T) {
	text := edit(base, "latency: 15 cycles}", "latency: 15 cycles, shared: die}")
	text = edit(text, "packages:\n", "  - {name: t2, clock: 1GHz, cpi: 1, l1d: {size: 1KiB, ways: 1, latency: 1 cycle}, costs: {trap: 1 cycle, syscall: 1 cycle, context_switch: 1 cycle, address_space_switch: 1 cycle, invlpg: 1 cycle, ipi_send: 1 cycle}, store_buffer: 1, mshrs: 1}\npackages:\n")
	text = edit(text, "    cores: [t1, t1]\n", "    dies:\n      - cores: [t1, t2]\n")
	_, err := Load("bad.yaml", []byte(text))
	want := fmt.Sprintf("bad.yaml:%d: packages[1].dies[0]: core types \"t1\" and \"t2\" cannot share a die", lineOf(text, "- cores: [t1, t2]"))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %s", err, want)
	}
	// A mixed package needs its own clock for L3 cycles.
	text = edit(text, "      - cores: [t1, t2]\n", "      - cores: [t1]\n      - cores: [t2]\n    l3: {size: 1MiB, ways: 16, latency: 20 cycles, kind: inclusive}\n")
	_, err = Load("bad.yaml", []byte(text))
	want = fmt.Sprintf("bad.yaml:%d: packages[1].l3.latency: 20 cycles needs a clock to count cycles in: give packages[1].clock", lineOf(text, "20 cycles"))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %s", err, want)
	}
	if _, err := Load("ok.yaml", []byte(edit(text, "    dies:\n", "    clock: 1GHz\n    dies:\n"))); err != nil {
		t.Fatalf("with a package clock: %v", err)
	}
}

// TestErrorsListEveryProblem checks that independent problems are all
// reported, in line order.
func TestErrorsListEveryProblem(t *testing.T) {
	text := edit(edit(base, "mshrs: 8", "mshr: 8"), "width: 16", "widht: 16")
	_, err := Load("bad.yaml", []byte(text))
	var es Errors
	if !errors.As(err, &es) || len(es) < 3 {
		t.Fatalf("got %v", err)
	}
	for i := 1; i < len(es); i++ {
		if es[i].Line < es[i-1].Line {
			t.Fatalf("errors out of line order:\n%v", err)
		}
	}
}
