// Package mem holds what every part of the memory system agrees on: physical
// addresses and 64-byte lines, physical memory holding real bytes (sparse,
// allocated on first touch), the map from address to home node, the accesses
// a core hands to its cache (Access, Port), and the coherence messages that
// cross the interconnect (Msg) with a stable String() for traces and golden
// files.
//
// Driven by: sim/cores (issuing Accesses through a Port), sim/cache (the
// protocol, producing and consuming Msgs), sim/interconnect (carrying Msgs).
//
// Units: addresses in bytes; data in 8-byte little-endian words; sizes of
// messages in bytes; times in sim.Time.
//
// Imports: sim and the standard library only.
package mem
