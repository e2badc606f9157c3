// Package experiments holds one file per paper table or figure and per
// workload of our own, the registry that names them for `mksim reproduce`,
// and the writers for their results: long-format CSV with the header
// experiment,machine,series,x,value,sd,unit,paper and a .meta.json beside it.
//
// Paper numbers live here only as references to compare against (the paper
// column); nothing computed by an experiment ever reads them. The 8×4-core
// AMD OS-level rows are held out and have no paper number.
//
// # Experiments
//
//   - table1 (tables.go): LRPC latency, same core, user program to user
//     program, one way, on intel2x4, amd2x2, amd4x4 and gruyere: the CPU
//     driver's LRPC ping-pong between two dispatchers in different address
//     spaces on core 0.
//   - table2 (tables.go): URPC one-way latency (half the measured round trip
//     of a polled ping-pong) and pipelined throughput (16 messages in
//     flight, as ump_bench/throughput.c) per machine and core-pair class
//     (pairs.go: shared, same-die, non-shared, one/two/three-hop, chosen from
//     the topology from core 0).
//   - table3 (tables.go): URPC against LRPC on amd2x2: latency, throughput
//     and data-cache lines touched per message (counted by an
//     archtest.Recorder around the simulated cores). No I-cache row: the
//     simulator runs Go code and has no instruction cache, so there is no
//     honest number to give. The paper's second row is L4 IPC; its numbers
//     fill the lrpc rows' paper cells for comparison.
//   - fig3 (fig3.go): shared-memory updates (SHM1/2/4/8) against synchronous
//     URPC RPCs to one server (MSG1/8, Server) on amd4x4, 2 to 16 cores.
//
// Besides the registered experiments, machinecost.go is `mksim run`'s
// report (shared-memory line transfer against URPC message per pair class)
// and probe.go is `mksim probe` (load-to-use latency per level).
//
// # Method
//
// Measurements (measure.go) are functions over arch.Machine and a frame
// allocator, so they run on the simulator and, in fast tests, on
// arch/archtest. Each starts its programs and runs the machine once, on a
// freshly built machine, so no measurement inherits another's caches. Times
// are the measuring core's own cycles (Now). As Barrelfish's benchmarks do,
// every series drops its first 10 % of samples as warm-up and reports the
// mean and the sample standard deviation of the rest.
//
// # Determinism
//
// Every experiment builds its machines with Params.Seed; the simulator is
// deterministic for a seed, and rows are produced in a fixed order (no map
// iteration), so two runs with one seed give byte-identical CSV. Host times
// appear only in progress lines on stderr, never in results.
//
// Driven by: cmd/mksim (mksim reproduce). Imports: everything but cmd.
package experiments
