// Package cores simulates the cores of a machine: their timing, the
// execution of Go programs on them, store buffers, interrupts and TSCs. A
// *Core implements arch.Core, the instruction set the multikernel runs
// against.
//
// # What it owns
//
//   - Execution. Each hardware thread runs an arch.Program as a coroutine
//     (iter.Pull); exactly one runs at a time, chosen by the engine. An
//     event for a core switches into its coroutine until the core must wait
//     (an L1 miss, a full or draining store buffer, Halt, SpinUntil, or its
//     clock reaching the next pending event), then back to the engine.
//   - Local time. A core keeps its own clock and runs ahead of the engine
//     without events while its clock stays before the next pending event
//     (sim.Engine.NextTime). L1 hits, store-buffer entries and drains that
//     hit, Compute and kernel-entry costs are charged there. Because nothing
//     else can happen before that event, this is exact: runs equal, access
//     for access, the same runs with every access its own event
//     (exact_test.go checks it). Ties between a core and events already
//     pending at the same picosecond go to the pending events.
//   - x86-TSO. A FIFO store buffer per core with store-to-load forwarding,
//     drained in order into the L1, one store at a time, each of which may
//     miss; draining goes on while the core runs or waits. Fence, locked
//     operations (CAS, FetchAdd, Swap), Flush/Invalidate, CR3 loads and
//     invlpg drain it first; a full buffer stalls the core; a program's
//     return drains it. litmus_test.go checks every outcome against an
//     exhaustive x86-TSO reference.
//   - SpinUntil, as a polling loop of loads that costs events only when the
//     polled line changes, through the optional Watcher a memory system can
//     implement (sim/machine, hooking the cache's invalidation of the
//     core's L1 copy); without one it wakes at the first loop iteration
//     after each pending event, which is still exact.
//   - Interrupts: SendIPI through an IPIFabric (sim/machine implements it
//     over the interconnect; FixedFabric is a stand-in), delivery at the
//     target's next instruction boundary, or at once during Compute,
//     SpinUntil and Halt; the trap cost; enable/disable with pending queue.
//   - Group: running a set of cores until their programs return, with
//     deadlock detection; sim/machine wraps it into an arch.Machine.
//   - Per-core Stats.
//
// # What drives it
//
// The engine, through Core.Handle (the core's own events) and through the
// callbacks of other components: mem.Completion.Complete from the L1 port,
// LineWatcher.LineChanged from a Watcher, Core.ReceiveIPI from a fabric.
// Those callbacks never switch into a coroutine themselves; they record and
// schedule, so a cache may call them in the middle of a transition.
//
// # Units
//
// sim.Time (picoseconds) inside; costs in Config are in the core's own
// cycles (arch.Cycles); Now() returns the TSC in the core's cycles. Cores
// with different clocks interoperate on the one picosecond timeline.
//
// # Costs, as modelled
//
// A load costs the L1 hit latency the port returns (at least one cycle), a
// forwarded load ForwardCycles, a store StoreCycles to enter the buffer;
// misses cost whatever the memory system takes. A buffered store may first
// drain DrainCycles after it entered the buffer; one that hits occupies the
// drain for DrainCycles, one that misses holds the head of the buffer until
// the memory system completes it. Locked operations add
// LockedCycles. Compute(n) costs n × CPI cycles, with the fraction carried.
// Now() is one instruction. SetInterrupts, SetInterruptHandler and Tag
// cost nothing. Interrupt handlers run after TrapCycles with interrupts
// disabled; pending interrupts are a FIFO, not coalesced per vector.
// Programs start with interrupts disabled; cores with no program (or whose
// program returned) halt with interrupts enabled and run handlers.
//
// # Hardware prefetch
//
// With Config.PrefetchDegree > 0 the core has an L1 stream prefetcher
// (stream.go): an ascending run of demand-load misses to consecutive lines
// starts a stream, and the prefetcher keeps PrefetchDegree lines ahead of
// it within the page, through the same prefetch slots as software
// prefetches. It costs the core nothing; its traffic is real.
//
// # Imports
//
// The standard library, mksim/sim, mksim/sim/mem and mksim/arch only: not
// topologies, sim/cache or sim/interconnect. It knows nothing of an OS.
package cores
