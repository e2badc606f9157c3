// Package machine wires a topologies.Spec into a running simulated machine:
// the engine, physical memory, the interconnect (links, buses, routing
// tables), the cache hierarchy and its coherence controllers, and one
// sim/cores core per hardware thread. The result implements arch.Machine, so
// OS code runs on it unchanged; experiments reach the simulator-side
// counters (link reports, cache statistics, engine speed) through *Machine.
//
// Components are named hierarchically for panics and reports:
// pkg[3].core[1].l1d, pkg[3].l3, link P2-P4.
//
// Units: the Spec's typed units are converted here into sim.Time and the
// cores' own cycles; nothing downstream sees YAML.
//
// Imports: sim/..., topologies, arch.
package machine
