// Package arch is the "instruction set" the multikernel sees: the Core
// interface every piece of OS code runs against, and the Machine interface
// that tells software what it may discover about the hardware (cores,
// packages, core types, cache sharing, memory regions), but never its
// latencies: those, software must measure, as Barrelfish's SKB does.
//
// Two implementations exist: sim/cores, where every Load and Store is priced
// by the simulated caches and links, and arch/archtest, a functional fake that
// runs the same code instantly and deterministically for unit tests.
//
// Units: addresses are physical bytes; data is 8-byte words; time is the
// core's own TSC cycles.
//
// Imports: the standard library only.
package arch
