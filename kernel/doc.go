// Package kernel is the CPU driver: one per core, sharing no state with the
// others. It owns that core's kernel control block (run queue, current
// dispatcher, IRQ table), the dispatchers' DCBs, root CNodes and dispatcher
// frames, the RBED scheduler, LMP endpoints and the LRPC fast path
// (reference/barrelfish.md §2).
//
// What drives it: a core's program calls Boot, creates dispatchers
// (NewDispatcher) and LMP channels (NewLMPChannel), then Run, the kernel's
// dispatch loop. Each dispatcher's code is a coroutine the kernel resumes;
// its operations reach the core through Dispatcher.Core(), a user-mode
// arch.Core whose loads and stores the kernel executes on the real core
// (with interrupts enabled) and whose privileged operations (SendIPI,
// interrupt handlers, Halt, Syscall) become system calls. So every memory
// access of kernel and user-level code alike is a real Load/Store of the
// simulated core, and on the simulator an LRPC costs what its cache lines,
// its trap (Syscall) and its page-table switch (SwitchAddressSpace) cost on
// that core type. Code paths also charge Compute for their non-memory
// instructions (fixed estimates in layout.go); calibrating Table 1 tunes the
// core types' trap and switch costs, never these paths.
//
// What is modelled, following Barrelfish:
//
//   - Dispatchers and upcalls. The shared frame holds the disabled flag,
//     lmp_delivered/seen, the hint, the run and lrpc entry points and the
//     enabled and disabled save areas. Dispatch rule: a dispatcher that
//     stopped disabled is resumed from its disabled area; otherwise it is
//     marked disabled and upcalled at run (or lrpc). The user-level
//     disp_run polls LMP endpoints, takes notifications and runs the thread
//     scheduler, which resumes the thread from the enabled area or its TCB,
//     or yields (sys_yield) if no thread can run.
//   - One user thread per dispatcher (its main function). The thread
//     scheduler, TCB, run queue and waitset are real memory, so the pass
//     through them costs what it costs, but there is only one thread to pick.
//   - RBED (schedule_rbed.c): a queue in memory sorted by absolute deadline,
//     hard/soft real-time reservations admitted up to 1 - BETA, best-effort
//     tasks sharing the rest by weight over a period of n_be timeslices, lazy
//     wcet, execution-time accounting and re-release when the budget is
//     spent. Deviation: a best-effort period is refreshed at each re-release
//     (Barrelfish only sets it in make_runnable), so equal best-effort tasks
//     round-robin exactly.
//   - No timer interrupt (arch has none): the scheduler runs at kernel
//     entries only (system calls, interrupts, dispatcher exit). A dispatcher
//     that neither enters the kernel nor is interrupted keeps the core. With
//     no released task the head of the queue runs (nothing could wake us at
//     its release).
//   - LMP: an invocation of an EndPoint capability copies a header word and
//     up to 10 payload words into the receiver's endpoint buffer (22 words,
//     one kept free) in its frame, bumps lmp_delivered, sets the hint and
//     makes the receiver runnable; FlagSync switches to it, FlagYield yields
//     to it when its buffer is full.
//   - LRPC fast path (entry.S SYSCALL_LRPC): save the caller's callee-saved
//     state in its enabled area, look the EndPoint up in the caller's root
//     CNode, check the receiver is enabled, reserve 4+1 words, load its
//     address space, mark it disabled, bump lmp_delivered, set systime and
//     upcall its lrpc entry with the four words in registers; the user-level
//     disp_lrpc stores them and runs disp_run. A disabled receiver or a full
//     buffer falls back to ordinary LMP delivery. Deviation: the caller is
//     put back in the run queue if it had left it (Barrelfish's fast path
//     bypasses the scheduler; a caller that had been dispatched by an LRPC
//     while blocked would otherwise never run again unless called), and a
//     preempted dispatcher likewise.
//   - Interrupts: a dispatcher that sets an interrupt handler on its Core
//     registers for that vector (the IRQ table in the KCB); the kernel's
//     handler records a notification in the dispatcher's frame, makes it
//     runnable and reschedules (saving the interrupted dispatcher's full
//     state). The dispatcher's handler runs in its own context when it next
//     runs and its thread waits (Halt) or re-enables notifications. Kernel
//     code runs with the core's interrupts disabled.
//   - Address spaces: each dispatcher has a vspace id (a new domain, or
//     shared with another dispatcher); dispatching one with a different id
//     calls SwitchAddressSpace (CR3 load and TLB flush on the core type).
//
// Not yet: capability operations beyond lookup (retype, copy, delete,
// revoke, the MDB), page tables and TLB management, spawning dispatchers at
// run time, more than one thread per dispatcher, capability transfer over
// LMP, the FPU (switched lazily in Barrelfish; not touched here).
//
// Memory touched by one steady-state one-way LRPC (user send to user
// receive): 17 distinct lines (TestLinesPerLRPC): kernel KCB 1, DCBs 2,
// caller's CTE 1; caller's channel struct and enabled save area 3; the
// receiver's frame 10 (header, enabled area, dispatcher_generic, TCB,
// waitset, channel, endpoint buffer). See design.md.
//
// Units: addresses are physical bytes, data 8-byte words, times (Timeslice,
// WCET, Period, Deadline, Now) the core's cycles.
//
// Imports: the standard library and mksim/arch only; never sim/..., urpc
// or monitor.
package kernel
