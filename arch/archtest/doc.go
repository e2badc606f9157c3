// Package archtest is a functional fake of arch.Machine and arch.Core: it
// runs OS code instantly and deterministically, so protocol tests (URPC, the
// CPU driver, the monitor) run in microseconds and explore many interleavings.
//
// What it owns: N fake cores, each running an arch.Program as a coroutine
// (iter.Pull); exactly one runs at a time. A seeded scheduler picks which
// runnable core performs its next memory operation, so every Load, Store,
// CAS, FetchAdd, Swap and SpinUntil is a possible switch point and each seed
// gives another interleaving. Memory is sequentially consistent and flat
// (sparse 4 KiB pages of words); there are no caches, no store buffer and no
// latencies. Recorder is an arch.Core wrapper that records which cache lines
// a piece of code touches (Table 3 of the paper counts D-cache lines used per
// message).
//
// Semantics worth knowing:
//   - Now() is a logical per-core clock: +1 per memory operation, +n for
//     Compute(n), plus the configured Costs for Syscall, SwitchAddressSpace,
//     InvalidateTLBEntry and interrupt delivery. A core woken by another core
//     (store to the polled word, IPI) advances its clock to at least the
//     waker's, so clocks are Lamport-consistent.
//   - SpinUntil blocks the core until another core stores to the polled word
//     (or an interrupt is delivered), then re-evaluates cond. A finite
//     maxCycles fires once no runnable core's clock is below the deadline (or
//     nothing else can run), and the spinning core's clock jumps to it.
//   - Interrupts are delivered only inside Core method calls (at the next
//     operation boundary of the target, or while it spins or halts), with
//     interrupts disabled for the handler's duration. One pending bit per
//     vector: a second IPI of a pending vector coalesces with the first.
//     Consequence relied upon by callers: no interrupt can slip in between
//     two Core calls, so "set a flag in the handler; if !flag { Halt() }"
//     has no lost wake-up (it models sti;hlt's interrupt shadow).
//   - Halt with interrupts enabled parks until an interrupt is delivered and
//     runs its handler. With interrupts disabled it returns at once if one
//     is pending (without delivering it) and panics if none is.
//   - Run returns an error on deadlock (no core can ever run again), when a
//     program panics (with the coroutine's stack), or when MaxSteps memory
//     operations pass (a livelock watchdog).
//
// Units: as arch: physical byte addresses, 8-byte words, per-core cycles.
//
// Imports: the standard library and mksim/arch only; never sim/....
package archtest
