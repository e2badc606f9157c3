// Command mksim is the simulator's command line: cobra commands, their
// flags, and printing. It owns no model logic: machines come from
// topologies, experiments from experiments, and (soon) the simulation from
// sim/machine.
//
// Commands: run [TOPOLOGY], topo validate|show|dot, list, version. Global
// flags: --seed (uint64, default 1) and --json.
//
// Exit status: 0 on success, 1 when a command fails (a bad topology, an I/O
// error), 2 on a usage error (unknown command or flag, wrong number of
// arguments). Errors go to stderr as one line each, "mksim: ...". The whole
// program is run(args, stdout, stderr), so tests drive it without a process.
//
// Units: whatever the printed value says (ns, cycles of the named core
// type's clock, bytes with binary prefixes).
//
// Imports: anything in the module (it is the top of the import table).
package main
