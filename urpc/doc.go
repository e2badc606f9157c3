// Package urpc implements URPC, Barrelfish's user-level message passing
// between cores over coherent shared memory (the UMP interconnect driver
// with flounder's flow control), following the R2011 epoch scheme of
// reference/barrelfish.md §1.
//
// What it owns: channel frames (two one-way rings of 32 cache-line slots,
// plus one notify line per side), each side's private state line, the
// send/receive protocol, the wake-up protocol (Waiter), and a round-robin
// Waitset. What drives it: OS code on a core (monitor, SKB, experiments, a
// dispatcher) calling Send/TrySend/Recv/TryRecv with that core's arch.Core.
// Every piece of protocol state the real code keeps in memory lives in
// simulated memory and is reached through Load/Store, so on the simulator
// the cost of a message emerges from the cache lines it moves.
//
// The protocol, and why:
//
//   - A message is one 64-byte slot: 7 payload words, then a header word
//     (epoch bit, 15-bit type, 16-bit piggy-backed ack). The sender stores
//     the payload, then the header: the single header store publishes the
//     message, and x86-TSO keeps the stores in order (no fence needed).
//   - The receiver polls only the header word of its next slot. A slot is
//     valid when its epoch bit equals the one expected for that lap (1 on
//     the first, flipping each wrap); freshly zeroed headers carry 0.
//   - The receiver never writes the ring it reads, and the sender never
//     reads it: every ring line has one writer and one reader, so in steady
//     state a message costs two interconnect transactions (the sender's
//     write invalidates the receiver's shared copy; the receiver's next poll
//     fetches the line from the sender's cache).
//   - Flow control is by credit: every message carries the count of
//     messages its writer has consumed from the peer (ack), so the sender
//     knows free slots without reading anything the receiver writes in the
//     ring. It may have at most 32 unacknowledged messages in flight. A
//     receiver that has consumed ForcedAckThreshold (31) messages without
//     carrying an ack back sends an explicit ack message (type 0), which the
//     other side consumes silently (barrelfish.md §1.3 step 4).
//   - Polling then blocking (Options.Notify): Recv spins on the header word
//     with SpinUntil for PollBudget cycles, then blocks. Blocking is a
//     per-side notify flag in the channel frame, written only by the
//     receiver and read by the sender: the receiver arms its Waiter, stores
//     "waiting, generation g" in its flag, fences, and re-reads the header;
//     if still empty it halts until the Waiter's interrupt. The sender, after
//     publishing a message, fences and reads the peer's flag; if it shows a
//     waiting generation it has not notified yet, it sends the IPI. The two
//     fenced store-then-load sequences are Dekker's: at least one side sees
//     the other's store, so no wake-up is lost; the generation suppresses
//     duplicate IPIs within one blocking episode; spurious wake-ups just
//     re-poll. This follows TN-000's "an IPI is sent if the receiver
//     appears asleep"; the R2011 kernel's per-core notify FIFOs (channel ids
//     written into the receiver's notify page) are not modelled: the woken
//     receiver re-polls its channels instead, which touches the same ring
//     lines it would read after the FIFO lookup. The price of Notify is a
//     fence and one load (an L1 hit while the receiver is not blocking) per
//     send; channels without Notify are pure polled UMP.
//   - Prefetch (Options.Prefetch = k): after each receive, prefetch the next
//     k slots. In a pipelined stream the lines are already written and the
//     misses overlap (throughput); for a lone message the prefetch fetches a
//     line the sender must then invalidate again (latency), as the paper says.
//
// Deviations from Barrelfish, with reasons: the ring position and epoch are
// derived from the 16-bit sent/received counters (every message is one
// fragment here, so they are equivalent and zeroed memory is a valid initial
// state); Send is synchronous (flounder's is asynchronous with continuations;
// TrySend exists for code that must interleave), and while it waits for
// credit it consumes pure acks at the head of its receive ring and reads acks
// from messages behind them without delivering those.
//
// Units: addresses are physical bytes, data 8-byte words, time (PollBudget)
// the using core's cycles.
//
// Imports: the standard library and mksim/arch only; never sim/... (it runs
// on the simulator, or on arch/archtest in tests, through arch.Core).
package urpc
