// Package topologies owns mksim's machine descriptions: the YAML files of
// the shipped machines (embedded with go:embed), the schema they follow,
// and the loader that turns a file into a validated Spec.
//
// Shipped machines: intel2x4, amd2x2, amd4x4 and gruyere (the four machines
// of the SOSP'09 multikernel paper), gruyere-misrouted (gruyere with the
// badly programmed HT routing tables of the retrospective's story) and
// hetero (a heterogeneous machine of our own). Each file names its sources
// and marks its assumptions in comments.
//
// What drives it: cmd/mksim (topo validate|show|dot, run) calls Open or
// Load; sim/machine builds a running machine from the Spec; experiments
// record Spec.Hash in their metadata.
//
// The loader is strict. It walks yaml.v3 nodes by hand, so every error
// names the file, the line and the full path of the field
// ("bad.yaml:12: packages[3].cores: unknown core type \"k10x\""): unknown,
// duplicated and mistyped fields, missing required fields, references to
// undefined core types, nodes or links, duplicated or non-dense IDs, a
// disconnected machine, a routing table that loops or uses a link that is
// not there, zero clocks, cache geometry whose sets or line size are not
// powers of two or whose size does not divide, memory ranges that overlap
// or leave the address space, an empty file and a second document. Load
// returns every problem it finds (Errors), never panics (FuzzLoad), and
// bounds what a file may ask for so it stays fast on any input.
//
// Units: the file states them (40ns, 2.0GHz, 512KiB, 10.6GB/s, or "15
// cycles" of the clock of the enclosing core type, package, hub, link or
// coherence section). A Spec holds typed units: Picoseconds, Cycles, Hz,
// Bytes, BytesPerSecond. Latencies inside a core type are Cycles of its
// clock; all others are Picoseconds, converted from cycles with the clock's
// integer period exactly as sim.NewClockHz rounds it. See Spec.
//
// Routing: each node's table is the shortest path in hops (ties broken by
// the lowest next-hop node id, then the lowest link index) unless the file
// gives an explicit entry; tables are followed hop by hop, as HT routing
// tables are.
//
// Imports: the standard library and gopkg.in/yaml.v3 only. It must not
// import sim/... (it knows nothing of the engine) or any OS package.
package topologies
