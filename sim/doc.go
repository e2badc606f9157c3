// Package sim is mksim's discrete-event engine.
//
// It owns simulated time (sim.Time, integer picoseconds), clock domains with
// integer periods, the event queue ordered by (time, seq), per-component random
// streams derived from (seed, component name), and hook points around every
// event. Everything else in the simulator is driven by it: a component schedules
// a Handler at a future time and the engine calls it back.
//
// The queue (engine.go, list.go, wheel.go) is a sorted list while few
// events are pending and a radix wheel (a hierarchical timing wheel with
// exact times, 256 buckets per level, 4096 at level 1) when many are; both
// give exact (time, seq) order, neither allocates per event, and cancelled
// events are swept out rather than left to pile up. Event nodes are recycled through a free list
// linked through the nodes themselves; Schedule inserts into the list by
// hand, comparing times only (a new event has the largest sequence number,
// so it goes after every pending event of its time).
//
// Measured against other structures on the simulator's own loads
// (sim/machine's benchmarks): a 4-ary heap of the list's entries in place
// of the wheel for a few dozen to a few hundred pending events ran the
// 32-core RandomTraffic benchmark about 35 % slower, the sorted list there
// about 60 % slower; marking wheel buckets whose times never decrease (to
// take their head without a scan) did not help either, nor did a sorted
// front list for the wheel (events due within 4 to 64 ns of the wheel's
// earliest kept in the list, the wheel refilling it when empty). What did
// help (RandomTraffic 7 % fewer instructions, about 4 % faster): keeping
// buckets sorted by a short walk on insertion, so the lowest level-1
// bucket's head is taken without a scan, and cascading the wider level-2
// buckets whenever they hold several events, which keeps the reference
// time close to now and the events in level 1. Keeping all buckets sorted
// with no cascade was 20 % worse: the reference time lagged, and events
// piled into level-2 buckets. A level 1 of 4096 buckets (1 us) in place
// of 256 (65 ns), so that a few % of events rather than a quarter cross
// into level 2 and are cascaded back: engine instructions -6 %.
//
// The common cases of the wheel by hand (RandomTraffic, instructions per
// operation counted by cachegrind, 4538 before): Schedule appends to a
// level-1 bucket without calling insertNode, and the dispatch takes the
// head of the lowest level-1 bucket without calling next (3991, -12 %;
// more than half of the inserts land in a bucket already holding an event
// of the same 256 ps, so the append case matters); Schedule panics in
// place rather than in a call and keeps a free node in hand, so its
// common path spills nothing (3931); RunUntil and RunWhile run one loop
// around the dispatch rather than calling a step per event (3900);
// NextTime (which a requester asks after every event it runs) reads the
// same bucket head without calling next (3864); the wheel counts its
// cancelled nodes (dead) rather than all its nodes, so that scheduling and
// running an event no longer update a counter (3847); Schedule's level-1
// test is one unsigned comparison (3813); the dispatch reuses the node
// pointer the fast path found (3792). Host time fell less than the
// instructions (about 7 %, 660 to 620 ns per operation, interleaved runs on
// a noisy 2-core host): much of what is left is host memory stalls (the
// simulated L1s' data, 32 x 20 KiB, on every hit) and the events
// themselves (6.77 per operation, about 60 per miss).
//
// Looked at and left: removing events. Every event that could go (a
// channel's wake-up at the end of a serialization, a delay line's send, a
// deferred probe's start, a local delivery) schedules other events, and
// their sequence numbers, hence their order among other events of the
// same time, depend on the time they are scheduled at; scheduling them
// earlier reorders them (same-time events are common: more than half of
// the inserts above land in a bucket already holding an event of the same
// 256 ps). Keeping the order would need ordering keys of the form
// (time, parent's time, parent's seq) with the wake-up's side effects
// (credits, the upstream slot it frees, queue statistics) moved too. A
// FIFO for events due now (0.25 per operation) would save about 1 %.
// Profile-guided optimization (go build -pgo with a RandomTraffic profile)
// takes 6.6 % more instructions off, but go test does not apply a
// default.pgo to a test binary, so it would speed up cmd/mksim only.
//
// Removing events, once results need only be exact up to the order of
// simultaneous events (timing unchanged, same-time order free, runs still
// byte-identical run to run). Counted by handler on RandomTraffic (per
// operation, 6.9 in all): packet arrivals 3.8, channel wake-ups 1.48, delay
// lines 1.24 (a package's probe responses 0.96), deferred probes 0.95, the
// requesters 0.77, local deliveries 0.24, L1 completions 0.15, DRAM 0.13.
// Done: a busy channel starts the messages queued on it ahead of time when
// their start is certain (sim/interconnect design.md, "Starting ahead"):
// wake-ups 1.48 -> 0.26 per operation, 6.9 -> 5.9 events per operation,
// instructions per operation -2.8 % (callgrind inside RunUntil, 1M
// operations: 4019 -> 3908; an engine event costs about 160 instructions of
// Schedule and dispatch, but the bookkeeping that keeps the start exact
// takes some of it back), host time about -5 % (interleaved runs, noisy:
// 615 -> 580 ns per operation in a quiet spell, 686 -> 662 in a busy one).
// Tried and rejected: handing a delay line's messages to the network at
// once for their time (interconnect SendAt, a reservation of the first
// channel applied lazily and withdrawn when another message comes first):
// 0.5 fewer events per operation, but 1 % more instructions (a quarter of
// the reservations withdrawn, a third impossible, with the probe engines
// saturated); a probe cannot run ahead of its slot (it reads the caches
// then), so deferred probes stay; a FIFO for events due now would take
// 3 % of the schedules (at now: 49k of 1.53M). What is left is about 160
// instructions of engine work per event and the protocol and network
// handlers themselves, at about 2 instructions per host cycle: further
// gains need fewer instructions per event, not fewer stalls. Of the
// wake-ups left with one deferred release per buffer (0.26 per
// operation), 80 % waited because their upstream buffer already had one:
// with up to four, 0.08 are left, 6.11 -> 5.93 events per operation, the
// same instructions, host time about -1 % (12 interleaved runs, medians
// 611 -> 603 ns). PGO with a RandomTraffic profile still takes 5.7 % of the
// instructions off the new code (4503 -> 4245 per operation at 300k
// operations), mostly by inlining Schedule, forward, deliver, startQueued
// and fire into their callers; by hand, only the calls within a package
// could go, at about 10 instructions a call.
//
// Host memory: cachegrind with a 32 KiB L1 counts about 65 L1 data misses
// per RandomTraffic operation (most L2 hits), a real part of the host
// time: every event touches objects last touched many events ago (its
// node, its handler, a packet, a message, a channel's counters). A
// packet's per-hop fields now share its first cache line (24.5M -> 23.0M
// misses over 300k operations). Tried and rejected: a network-wide table
// of the per-operation counters, by operation then channel, in place of
// one row per channel (an operation's messages cross many channels close
// together): the cells stayed cold (23.0M -> 23.3M); level-1 wheel
// buckets of 1024 or 2048 in place of 4096: no fewer misses, more
// instructions. Overall (12 interleaved runs, medians, noisy host):
// RandomTraffic 618 -> 604 ns per operation, 6.9 -> 5.9 events per
// operation.
//
// A third round, counted by callgrind inside RunUntil (RandomTraffic, 300k
// operations: 1354.9M instructions, 4516 per operation, before). Done:
// run tests stop and cond with two ifs, not one expression the compiler
// turned into a boolean and tested again (-0.7 %); the fast paths find
// level 1's lowest bucket with occupancy.firstSet, without zero checks
// (-0.3 %); a channel's per-operation counters are 16-byte cells
// (messages, data messages; bytes multiplied out when listed) in place of
// 24-byte OpStats (-0.5 %, and 7 % fewer host L1d misses in
// channel.start, where that one line had 4 % of all of them);
// pkg.framesOf without a bounds check and a store of the count per frame
// (-0.2 %). In all about 1331.7M (-1.7 %; CoherentMiss 1hop and 3hop
// about -2 % each, 100k transfers). Host time moved about as much, under
// the noise (the host ran one binary at 545 to 900 ns per operation
// within minutes): 16 randomized interleaved pairs of 1 s runs, medians
// 640 -> 625 ns per operation, paired median -1.4 % (with the pctx
// change below). Taken back: a pctx's two line buffers (vdata, data) on
// a per-package stack, taken at their first write and released at every
// exit, so that declaring a pctx (which Go zeroes, about 25
// instructions) costs a few stores: -0.65 % instructions, no host time
// to show for it, and a release missed on some path, or contexts ending
// out of order, would hand one buffer to two contexts.
// Measured and rejected: a bitmap of the line index's used slots, so that
// an absent line's lookup need not read keys (host L1d misses +3.7 %:
// most lookups find their line, and the bitmap misses as well); a 64-bit
// hash mask of the live transactions' lines in front of pkg.txn's scan
// (probes: -4.8M instructions, -0.1M misses; responses, which always find
// theirs, and the pkg fields the mask shifted: +3.3M, +0.14M; net -0.05 %
// instructions, +0.6 % misses); event nodes padded from 40 to 64 bytes so
// that none straddles two host lines (-1.6 % L1d misses, the same
// instructions; a 32-byte node would need gen in a parallel array, more
// instructions on every Schedule and dispatch). Looked at and left: a
// split L1 tag array (tags and states set by set, data apart): a hit
// would touch a metadata line and a data line, against 1.6 lines on
// average now (the way-major 80-byte frame puts the tag and the word
// accessed in one host line 3 times in 8), for the same 20 KiB per
// simulated L1, so no fewer misses; the protocol table's rows are
// already 8 bytes (a package table under 3 KiB). What is left is spread
// thin: the engine (Schedule, the dispatch, insertNode: about 170
// instructions per event, 26 % of the total) and dozens of handlers of
// 1 to 5 % each.
//
// Fewer link messages, as the hardware sends them: HyperTransport probes
// travel as multicasts along the routes, one packet per link of their
// tree (sim/interconnect design.md, "Link broadcast"), where each
// destination had its own message before: on gruyere a probe of every node
// is 7 link messages rather than 15. CoherentMiss 31 -> 23.5 link messages
// and 45 -> 37.5 events per transfer; RandomTraffic 5.72 -> 5.20 events
// per operation, host time about -6 % (6 interleaved runs, best 601 ->
// 567 ns per operation). This is a model change, not a shortcut: it moved
// Table 2 and Fig. 3 (results/).
//
// A fourth round, host-side only (results byte-identical), counted by
// callgrind inside RunUntil (RandomTraffic, 1M operations, 5.37 events per
// operation: 3709.5M instructions before). Done: multicast groups per
// (node, destination set) worked out once (interconnect mcSplit, -1.8 %);
// the package controller's short cuts around its table machine for rows
// checked at start-up to do nothing else, a probe answered AckNo in state
// I or a waiting IS/IM (-2.1 %) and a probe response that cannot complete
// its transaction only counted (-2.6 %); receivers looked up by (class,
// node), IPIs to the cores and the rest straight to the caches, without
// sim/machine's per-node dispatch (interconnect AttachClass, -0.5 %); a
// home's line records in a lineIndex (open addressing), not a Go map (-0.8 %);
// a probe answered by the short cut rewritten into its own AckNo rather
// than a new message (-1.3 %). In all 3386.5M (-8.7 %); CoherentMiss -11 %
// (1hop and 3hop, 100k transfers), LinePingPong -9 % (whole process). Host time (12 paired
// interleaved runs, noisy host): best 578 -> 536 ns per operation, paired
// median ratio 0.92. Tried and rejected: the level-1 wheel bucket's tail
// time kept in the bucket (its low byte), so that Schedule's append test
// reads no node (-0.9M host L1d read misses per 1M operations, +0.9M
// write misses on the tail node's link, +0.1 % instructions); 512 ps
// level-1 buckets (-3 % L1d misses on RandomTraffic, but EngineRealistic/
// dozens +19 %); a delay line handing unicasts to the network at once for
// their time with the packet's own event in place of the line's (SendAt,
// same events in the same order: -0.7 % instructions, +2 % L1d misses, the
// packets held longer); the channels' per-operation counters as one
// network-wide table by operation (no fewer misses); huge pages for the
// cache arrays (no visible change). The engine is a quarter of the
// instructions (about 150 per event); the simulated L1s' frames, 640 KiB
// of them hot, miss the host's L2 on most hits.
//
// A fifth round, host-side only (results byte-identical). Counted by
// callgrind inside RunUntil (RandomTraffic, 200k operations) with
// GOMAXPROCS=1 GOGC=off GODEBUG=asyncpreemptoff=1: without them the
// benchmark goroutine moves between threads and the collection toggles
// lose count (the same binary gave 89M to 831M). 829.8M before, 753.6M
// after (-9.2 %; about 43 events per miss, 7.6 of them requester turns).
// Done: a message's header is its own struct (mem.Header), pools zero
// only the header and copies take the data only of data messages, so
// messages without data never touch their second host line (cachegrind,
// 300k operations: D1 misses -4.4 %); in sim/cache (-4.3 %), probe
// answers that only set a header, the line's index row read in place by
// sync, setP, capture, ShareAll and installRead rather than listed into
// frefs, needsOrder's cheap tests first, a transaction's home looked up
// once, a start-up-checked short cut for the rows that only answer
// AckShared, a free probe engine's slot taken inline, lineIndex.lookup
// and frame written so that they inline; in sim/interconnect (-5.1 %,
// host L1d misses -2 %), the delivery written out in packet.Handle,
// delivered packets pooled without clearing, a message meeting a busy
// channel with nothing queued started ahead (or queued with its wake-up
// scheduled) at once rather than through the kick list, from Send,
// arrivals, split and multicast, and a multicast arrival's kick and split
// deferred like lateKick (lateSplit), so that its onward packets take the
// fast path. Tried and rejected: a delay line handing its unicasts to the
// network at once, the network reserving the first channel for their time
// and withdrawing the reservation (cancelling the arrival) when a message
// came for the channel first, or keeping it when that message's
// transmission fitted before it: 55 % of the sends could reserve, but 57 %
// of the reservations were withdrawn (the probe responses of one miss
// converge on the same links within the 18 ns delay), and the cancelled
// events cost the wheel's fast paths more than the 0.2 events per
// operation saved: 13 % slower. Up to 16 messages started ahead per
// channel (preMax) in place of 4: 2.6 % fewer events (wake-ups), 0.6 %
// more instructions. A delay line ring of 16 in place of 4: -0.1 %. Not
// kicking a multicast's incoming link at all when nothing is queued on it:
// changes the order of simultaneous arrivals (TestFastPathsChangeNothing;
// lateSplit is the exact form). An inlinable newPacket (inline cost 141).
// Looked at and left: lookahead for the requesters (running hits past
// events that cannot reach their L1 before the hits end): an inexact 5 ns
// of it cut events per operation by 12 %, but an exact bound needs the
// earliest pending event per node, and keeping that (a heap per node,
// updated by every arrival) costs more than the turns it saves. Measured
// for scale: with 32 private lines per requester in place of 256 (an
// eighth of the simulated L1 data to keep in host caches) the benchmark
// ran about 10 % faster, much of it from its fewer misses (89.8 % hits,
// not 88.3): the cost is the misses' (about 43 events and 25,000
// instructions each), not the hits'.
//
// A sixth round, host-side only (results byte-identical), counted the same
// way (RandomTraffic, 200k operations): 753.8M before, 735.7M after
// (-2.4 %). Done: Post, a Schedule that makes no EventID, for the
// interconnect's events (its callers never cancel), with Schedule, After
// and Post sharing one body (post, which returns the node; Schedule and
// After add its gen and stay inlinable, After at the inliner's budget
// exactly), the pool refilled before the insertion and the nextAt update
// made before it too, so that insertNode's call is the last thing on the
// path, and one bounds check for the bucket's tail (-1.0 %); run sets the
// node pointer wherever it finds the event rather than testing for the
// fast path's after (-0.4 %); run tests one flag per event (check: Stop
// was called or there is a cond) rather than stop and cond (-0.5 %); in
// sim/interconnect, start reads the class once and tests the multicast
// bit without a shift-width guard, forward sets maxQueue only when it is
// 0, split drops two stores that held already (-0.5 %). Tried and
// rejected: Post returning nothing and Schedule reading the free node
// before calling it (After no longer inlines: +0.1 %); post returning the
// whole ID (-0.14 % only); the receivers' table indexed by node<<3|class
// rather than class*n+node (no change). Looked at and left: post spills
// its Handler argument at entry (the compiler does so for interface
// arguments of a function that calls), and the list path's calls
// (memmove, growslice) keep e and at spilled on the wheel path too;
// moving the list insertion out of line would cost list-mode engines a
// call per event.
//
// Beside it, a second round in sim/cache (753.6M -> 738.6M, -2.0 %): a
// delay line's event sends a unicast in the ring itself, without pop, out
// and send (-0.95 %); a probe turned into its own Ack keeps the header
// fields an Ack shares with it, test builds checking the header against
// the whole Ack (-0.65 %); response's kind-to-event table and requestHeld's
// first tests made by its caller (-0.14 %); one data buffer in pctx for
// the copy that left and the captured data, which no table row uses
// together (the actions that use one fail on the other: -0.27 %).
//
// A third round (720.6M -> 690.3M, -4.2 %). In sim/cache: L1.Hit's table
// indexed by the operation itself (built at start-up from the class
// table), loads first (-0.33 %); response finds its transaction by number
// (pkg.byTxn, checked against the line) before scanning (-0.40 %); a
// count of live transactions per line hash lets txn answer "none" without
// a scan, as most probes find (-0.25 %; a 64-bit mask of the lines had
// saved too little, round three); an L2 frame's bit per L1 that may hold
// its line E or M (frame.l1w, checked in test builds), so that a pull
// looks only at those L1s (-0.96 %); HomeMap.Home indexing ranges that
// follow one another with one power-of-two size rather than searching
// (-0.21 %); probe freeing what it does not keep, so that runProbe inlines
// (-0.34 %). In sim/interconnect: newPacket inlined (its class check made
// by Send and Broadcast, -0.75 %); rare calls off the delivery, Free and
// copy paths so that nothing is spilled for them (-0.34 %); mcSplit's
// table filled by New, a lookup that inlines (-0.37 %; New 40 -> 77 us on
// gruyere); multicast node bits shifted by node&7 (-0.29 %). Rejected:
// fire setting the free and wake flags itself (-0.02 %); one pass of
// fillL1 for pull and snoop (no change: one L1 per L2 on gruyere); post
// refilling the free list at its return (+0.19 %); lateKick as an index
// (+0.05 %); forward returning nothing (-0.02 %); queue inlined (cost
// 137 even with the ring's growth out of line).
//
// A fourth, short round in sim/interconnect (690.3M -> 687.1M, -0.46 %):
// channel.start's rare calls apart, so that nothing is spilled on its
// common path (a bus broadcast's credits taken by try in its credit
// branch, a kick's growth in kickPost with the arrival's Post, the op
// counter's sparse call first): -0.36 %, and -0.11 % more once try no
// longer tests p.bc a second time after the pop. Tried and rejected: post
// refilling the free list and making the list's room through a call
// that starts post again (roomPost), so that e, at and r are no longer
// spilled on the wheel path: the spills go, but the register allocator
// then recomputes n twice and a jump-alignment NOP comes in (+0.5 %);
// run reading limit and cond from the Engine rather than reloading them
// from the stack after every event (two loads fewer per event, as many
// alignment NOPs more: no change); forward returning nothing, the
// deadlock test packet.Handle made on its result made in forward's
// queueing path (+0.1 %); msgCopies.to written to inline (cost 83 at
// best). Looked at and left: post's Handler argument is spilled at
// entry as long as the past-time panic or the grow path uses it. Beside
// it in sim/cache (690.4M -> 682.2M, -1.2 %): Post where the cache drops
// the EventID (-0.27 %); pkg.act and home.act take a row's whole action
// list, one call per row rather than per action (-0.78 %); lineIndex.add
// puts a new line in the empty slot its search stopped at (-0.14 %).
// Rejected: HomeMap.Home inlined (cost 83 at best); lineIndex.remove
// taking the row once (-0.05 %); fire skipping act for rows without
// actions (+0.17 %).
//
// The session's rounds together: 829.8M -> 678.9M (-18.2 %), 4.9 events
// per operation as before (no event was removed; results and event order
// are unchanged). Host time on the noisy 2-core host, at the end, in a
// quiet spell: interleaved runs of 1M operations, median 540 -> 484 ns
// per operation (1.85 -> 2.07 M operations per second); go test -bench's
// own runs, ten in a row, 2.02 to 2.22 M, median 2.10 M. In busier
// spells the same builds ran 10 to 20 % slower.
//
// Units: Time is picoseconds; Cycles are counted in a named Clock.
//
// Determinism: events at the same time run in the order they were scheduled;
// nothing here reads the wall clock except Stats' host-time measurement, which
// is reported, never fed back into the model.
//
// Imports: the standard library only. Nothing under sim/ knows an OS exists.
package sim
