// Package interconnect carries coherence messages between the nodes of a
// simulated machine: HyperTransport/QPI point-to-point links, the Intel
// front-side bus, a router per node with its routing table, and the
// counters that say what crossed where.
//
// It owns:
//   - Network, which implements mem.Network (Send) and Fabric (Broadcast,
//     NewMsg, Free): nodes 0..N-1, each with a mem.Receiver attached.
//   - Links: full duplex, each direction a FIFO queue, a serializer
//     (ceil(bytes*8/width) transfer-clock cycles) and a flight latency, and
//     a finite input buffer (credits) at the far end.
//   - Buses: one medium shared by all members, one transaction at a time in
//     FIFO order, arbitration + serialization + latency; a Broadcast to bus
//     members is one transaction seen by all of them; over links, a
//     Broadcast is a multicast crossing each link of its routes' tree once.
//   - Routing: per-node tables, computed (fewest hops or least latency, ties
//     to the lowest next-hop NodeID) or given explicitly, so a misprogrammed
//     firmware table (Gruyère) can be reproduced; a per-hop router latency.
//   - Deadlock handling: a message that cannot get a credit downstream waits;
//     a cycle of full buffers is detected exactly when it closes, reported
//     (Config.OnDeadlock, Network.Deadlocks), and after Config.RetryTimeout
//     (10 ms, as on Gruyère) its messages are dropped and retried from their
//     sources.
//   - Counters per link direction and bus: messages and bytes per mem.Class,
//     busy time, queueing delay, credit stalls, maximum queue length, drops,
//     and messages/bytes per mem.OpID; Snapshot, Reset and a Report whose
//     String is a deterministic text table.
//
// Driven by: sim/cache calls Send/Broadcast and implements mem.Receiver;
// sim/machine converts the YAML topology into a Config, calls New, Attach
// (the caches' receiver at each node) and AttachClass (IPIs, whatever the
// node, to the cores). Everything else happens in events on the sim.Engine.
//
// Message ownership: the sender owns a *mem.Msg until Send/Broadcast; the
// network owns it until it calls Receive; from then on the receiver owns it,
// also after Receive returns: it may keep it, re-Send it, or Free it. Free
// is optional (unfreed messages are garbage collected) but returning
// messages to the pool is what makes steady-state traffic allocation-free.
// Broadcast delivers a distinct copy to every destination. Never touch a
// message after Send or Free; Config.CheckOwnership catches violations.
//
// Units: sim.Time (picoseconds) for every latency and counter of time;
// widths in bits; clocks as sim.Clock periods of the transfer clock (one
// width-bit flit per period: for HT at 1.0 GHz DDR, 500 ps); sizes in bytes
// (mem.Class.Bytes); credits in messages. Reports print times in ns.
//
// Determinism: no randomness, no map iteration in model code (the OpID map
// is sorted before reporting); same calls in the same order give the same
// events and counters.
//
// Imports: the standard library, mksim/sim and mksim/sim/mem only. It must
// not import sim/cache (sim/machine wires the two), topologies, or anything
// that knows an OS exists. See design.md for the message life, routing,
// contention and deadlock handling.
package interconnect
