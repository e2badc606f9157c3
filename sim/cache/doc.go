// Package cache is the simulated memory hierarchy above the interconnect:
// every core's L1 data cache, the L2s (private, or shared by a cluster of
// cores), each package's optional L3, the package's on-chip coherence
// controller, and the home memory controllers with their directories or
// snoop filters. The caches hold the real data, so a coherence bug shows up
// as a wrong value.
//
// # What drives it
//
// Cores reach their L1 through mem.Port (System.Port): Hit is the
// synchronous fast path (no event, no allocation, no map), Issue starts a
// miss whose completion arrives from an event. The interconnect delivers
// coherence messages through mem.Receiver (System.Receive, or
// System.Receiver(node) per node); the caches send through the mem.Network
// given to SetNetwork. Everything else happens in engine events.
//
// Wiring, as sim/machine does it:
//
//	sys, err := cache.New(engine, cfg, memory, homeMap)
//	net := ... // a mem.Network over the nodes in sys.Nodes()
//	for _, n := range sys.Nodes() { attach sys.Receiver(n) as node n's receiver }
//	sys.SetNetwork(net)
//	port := sys.Port(core) // one mem.Port per core, cores numbered 0..N-1
//
// If the network also implements Broadcaster (an FSB snoop seen by every
// agent in one bus transaction) or MsgPool (pooled messages), they are
// used. Message ownership follows the interconnect's rule: a message
// belongs to the caches from the moment Receive is called; they free it (to
// the network's pool if it has one) when done.
//
// # Protocol
//
// Three schemes (Config.Scheme), each MOESI or, with Config.MESI, MESI
// between nodes: Broadcast (AMD HyperTransport: the home orders requests to
// its lines and probes every other caching node), SnoopFilter (Intel FSB:
// one hub homes all memory and snoops only the packages its filter names)
// and Directory (QPI home snooping, or an AMD probe filter). Every
// controller is a table, (state, event) -> (actions, next state); an
// unlisted pair panics naming the line, the state and the event. Tables()
// prints them all (testdata/tables.golden); design.md walks through the
// life of a read miss, a write miss and an upgrade in each scheme. The
// package controller takes two short cuts around its table machine, for
// rows it checks at start-up to do nothing else: a probe that finds the
// line in a state whose row only answers with an Ack (AckNo: no copy on
// chip and no transaction, or a request of its own still waiting;
// AckShared: a read probe finding the line S on chip, after the sync)
// answers at once, and a probe response without data that cannot yet
// complete its transaction is only counted.
//
// Lines shared only inside a package cause no interconnect traffic: the
// package controller resolves on-chip sharing among its L1s, L2s and L3
// itself, and speaks for the whole package between nodes. On HT that holds
// for the lines homed on the package: a transfer between two of its L2s of
// a line homed on another node is ordered at that home first, as the K10
// sends every L2/L3 miss to the home (Config.LocalOnChip turns this off;
// design.md, "Ordered on-chip transfers").
//
// # Units and latencies
//
// All latencies are sim.Time (picoseconds); the caller converts core
// cycles. Load-to-use latencies compose as follows (the data-carrying
// network legs are the interconnect's):
//
//	L1 hit          L1.Latency
//	L2 hit          L1.Latency + L2.Latency
//	                (+ L1Snoop if another L1 of a shared L2 had to be
//	                snooped: the line modified there, or a write)
//	L3 hit          L1 + L2 + ToPackage + L3.Latency + FromPackage
//	other core, same package
//	                L1 + L2 + ToPackage + SiblingProbe + FromPackage
//	                (HT, line homed elsewhere: the remote-cache path to
//	                the home and the other nodes' answers, then
//	                FromPackage; the sibling answered meanwhile)
//	remote cache    L1 + L2 + ToPackage + RequestOut + net(req->home)
//	                + Home.Latency + net(home->owner) + ProbeResponse
//	                + net(owner->req) + FromPackage
//	memory          L1 + L2 + ToPackage + RequestOut + net(req->home)
//	                + max(Home.DRAM + net(home->req),
//	                      Home.Latency + slowest probe round trip) + FromPackage
//
// A read that receives data it can trust (a dirty copy from its owner, or
// a directory's definitive memory data) uses it at once, before the other
// probe responses are in; the line stays busy until they are. So on the
// 8x4 AMD a dirty line one hop away costs two hops, not the broadcast's
// farthest node. TestGruyereLatencies shows one set of parameters that
// reproduces the HotOS table exactly (2, 15, 75, 130, 190 and 260 cycles).
//
// # Model choices
//
//   - On-chip coherence is resolved at the package controller: a request
//     that reaches it is performed at that instant (copies on chip change
//     state atomically) and its completion is delivered after the on-chip
//     latency. Off-chip transactions use explicit transient states.
//   - Fill hold: a line granted to an L1 for a demand access stays there
//     until its completion has reached the core and Package.FillHold
//     (default DefaultFillHold, 4 ns) has passed since; see below.
//   - The L2 is inclusive of its L1s. The L3 is a victim cache of the L2s:
//     lines evicted from an L2 go to the L3, and an L3 hit moves the line
//     back into the requesting L2 (AMD keeps a copy of lines it predicts
//     shared; we do not).
//   - E may be written silently (E -> M in the L1); the package finds out
//     when it next handles the line (the Dirty event).
//   - The directory and snoop filter are exact and unbounded (no
//     back-invalidations); clean S copies are dropped silently, so their
//     sharer sets are supersets.
//   - Writeback (victim) buffers are unbounded; MSHRs bound outstanding
//     misses per L1, per L2 and per package (off-chip requests).
//   - DRAM is a fixed latency, plus, with Home.RowCycle set, a wait for the
//     line's bank: one access per bank per row cycle (dram.go, design.md
//     "DRAM banks"). Bandwidth is not modelled (64 B at 10-13 GB/s is
//     5-6 ns a line, far under a row cycle). Other contention lives in the
//     interconnect's link queues, the probe engines and the MSHRs.
//   - Flush and Invalidate remove the line from the requesting core's L1
//     and L2 (dirty data stays coherent: it moves to another copy on chip
//     or is written back). Non-coherent cores are not modelled.
//   - A Package is one coherence node. The Intel X5355 package holds two
//     dies that share nothing but the front-side bus, so each die should be
//     its own Package (one cluster of two cores sharing the 4 MB L2), all
//     homed at the memory controller hub.
//   - Prefetches complete at once for the core and fill in the background;
//     they are dropped when the L1 has no free MSHR.
//
// # Fill hold
//
// Real processors guarantee forward progress by keeping a freshly filled
// line in the requesting L1 for a few cycles, so that the access that
// missed, and the ones queued right behind it, are performed before a
// probe or another core's request may take it back. Without it, a request
// already on its way takes the line between the grant and the completion,
// or between two stores of a run: a URPC sender's store buffer drains the
// eight stores of a message one miss each while the receiver polls the line
// (8 store and 8 load misses per message, three times the latency). So a line granted to an L1 for a
// write may not be downgraded or invalidated, and one granted for a read
// may not be invalidated, from the grant until FillHold after the
// completion. On-chip requests, probes and the end of the package's own
// write transaction that would take it fire the table event Held, whose
// row defers them to the end of the hold; later on-chip requests for the
// line queue behind them. Deferral always ends (holds end at fixed times)
// and is first come, first served. Replacements are not held back.
// design.md has the details. A negative FillHold disables the hold.
//
// # Watching a line
//
// L1.WatchLine registers a one-shot callback for when the L1's copy of a
// line stops being valid (another core's write, on chip or off, a probe,
// an eviction or a flush); sim/machine adapts it to sim/cores' Watcher, so
// a spinning core sleeps until the line it polls changes. It is called
// from the event that invalidates the copy; a downgrade that keeps the
// copy readable does not fire it.
//
// # Testing
//
// RandomTester hammers any built System (over any network) with random
// loads, stores, atomics, prefetches and flushes to a few lines and checks
// every value; it has a watchdog that dumps every transaction in flight on
// a stall. Building with -tags invariants checks after every transition:
// one writer or many readers, at most one owner, identical readable
// copies, memory up to date when nobody owns the line, and a directory that
// agrees with the caches. For `mksim probe`, System.Probe measures a
// core's load-to-use latency from every level and every node (warming lines
// with real accesses); Access, MeasureLoad, EvictL1, EvictL2 and Stats are
// the pieces it is made of.
//
// Imports: the standard library, mksim/sim and mksim/sim/mem only; never
// sim/interconnect (sim/machine wires the two) nor topologies.
package cache
