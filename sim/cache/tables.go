package cache

import (
	"fmt"

	"mksim/sim/mem"
)

// ---------------------------------------------------------------------------
// L1D: states of a line in a core's private L1, relative to its L2.

const (
	l1I uint8 = iota // invalid
	l1S              // read-only
	l1E              // writable, same data as the L2
	l1M              // written; the L2's copy is stale
	numL1States
)

const (
	l1Load  uint8 = iota // core read (Load, Prefetch)
	l1Store              // core write (Store, atomics, PrefetchW)
	l1FillS
	l1FillE
	l1FillM
	l1Share // another L1 of the cluster reads, or the line is shared off the cluster
	l1Clean // the L2 takes the dirty data (M -> E)
	l1Inv
	l1Evict
	numL1Events
)

const (
	l1aHit uint8 = iota
	l1aMiss
	l1aWriteback // copy the data into the L2 frame
	numL1Actions
)

var (
	l1StateNames  = []string{"I", "S", "E", "M"}
	l1EventNames  = []string{"Load", "Store", "FillS", "FillE", "FillM", "Share", "Clean", "Inv", "Evict"}
	l1ActionNames = []string{"hit", "miss", "writeback"}
)

func buildL1Table() *table {
	t := newTable("l1", l1StateNames, l1EventNames, l1ActionNames)
	t.add(l1I, l1Load, keep, l1aMiss)
	t.add(l1I, l1Store, keep, l1aMiss)
	t.add(l1I, l1FillS, l1S)
	t.add(l1I, l1FillE, l1E)
	t.add(l1I, l1FillM, l1M)

	t.add(l1S, l1Load, keep, l1aHit)
	t.add(l1S, l1Store, keep, l1aMiss)
	t.add(l1S, l1FillS, l1S)
	t.add(l1S, l1FillE, l1E)
	t.add(l1S, l1FillM, l1M)
	t.add(l1S, l1Share, keep)
	t.add(l1S, l1Clean, keep)
	t.add(l1S, l1Inv, l1I)
	t.add(l1S, l1Evict, l1I)

	t.add(l1E, l1Load, keep, l1aHit)
	t.add(l1E, l1Store, l1M, l1aHit)
	t.add(l1E, l1FillM, l1M)
	t.add(l1E, l1Share, l1S)
	t.add(l1E, l1Clean, keep)
	t.add(l1E, l1Inv, l1I)
	t.add(l1E, l1Evict, l1I)

	t.add(l1M, l1Load, keep, l1aHit)
	t.add(l1M, l1Store, keep, l1aHit)
	t.add(l1M, l1FillM, l1M)
	t.add(l1M, l1Share, l1S, l1aWriteback)
	t.add(l1M, l1Clean, l1E, l1aWriteback)
	t.add(l1M, l1Inv, l1I, l1aWriteback)
	t.add(l1M, l1Evict, l1I, l1aWriteback)
	return t
}

// ---------------------------------------------------------------------------
// Copy: states of an on-chip copy (an L2 frame or an L3 frame) relative to
// the other caches of its package. E/M: the only copy on chip, writable when
// the package has the line E or M. O: holds the package's dirty data, others
// may have S. At most one of E, M, O on a chip.

const (
	cI uint8 = iota
	cS
	cE
	cO
	cM
	numCStates
)

const (
	ceRead    uint8 = iota // an L1 of the cluster misses for a read
	ceWrite                // an L1 of the cluster misses for a write
	ceGrantS               // the package installs or sets a copy
	ceGrantE               //
	ceGrantO               //
	ceGrantM               //
	ceShare                // another copy is made on chip, or a foreign read probe (MOESI)
	ceShareS               // foreign read probe, MESI: dirty data goes to memory
	ceInv                  // invalidated by the package
	ceEvict                // replaced (L2 victims go to the L3 if there is one)
	ceDirty                // an L1 wrote back dirty data
	ceHandOff              // the dirty copy left the chip's caches; this one takes ownership
	numCEvents
)

const (
	caHit uint8 = iota
	caToPackage
	caSupply // this copy's data is the source (dirty data moves with it)
	numCActions
)

var (
	cStateNames  = []string{"I", "S", "E", "O", "M"}
	cEventNames  = []string{"Read", "Write", "GrantS", "GrantE", "GrantO", "GrantM", "Share", "ShareS", "Inv", "Evict", "Dirty", "HandOff"}
	cActionNames = []string{"hit", "toPackage", "supply"}
)

func buildCopyTable() *table {
	t := newTable("copy", cStateNames, cEventNames, cActionNames)
	valid := []uint8{cS, cE, cO, cM}
	t.add(cI, ceRead, keep, caToPackage)
	t.add(cI, ceWrite, keep, caToPackage)
	for _, s := range append([]uint8{cI}, valid...) {
		t.add(s, ceGrantS, cS)
		t.add(s, ceGrantE, cE)
		t.add(s, ceGrantO, cO)
		t.add(s, ceGrantM, cM)
	}
	t.addAll(valid, ceRead, keep, caHit)
	t.add(cS, ceWrite, keep, caToPackage)
	t.add(cO, ceWrite, keep, caToPackage)
	t.add(cE, ceWrite, cM, caHit)
	t.add(cM, ceWrite, keep, caHit)

	t.add(cS, ceShare, keep)
	t.add(cE, ceShare, cS)
	t.add(cO, ceShare, keep, caSupply)
	t.add(cM, ceShare, cO, caSupply)
	t.add(cS, ceShareS, keep)
	t.add(cE, ceShareS, cS)
	t.add(cO, ceShareS, cS, caSupply)
	t.add(cM, ceShareS, cS, caSupply)

	t.add(cS, ceInv, cI)
	t.add(cE, ceInv, cI)
	t.add(cO, ceInv, cI, caSupply)
	t.add(cM, ceInv, cI, caSupply)
	t.add(cS, ceEvict, cI)
	t.add(cE, ceEvict, cI)
	t.add(cO, ceEvict, cI, caSupply)
	t.add(cM, ceEvict, cI, caSupply)

	t.add(cE, ceDirty, cM)
	t.add(cM, ceDirty, keep)
	t.add(cS, ceHandOff, cO)
	return t
}

// ---------------------------------------------------------------------------
// Package: the node-level state of a line, one per package (the SRQ's view).
// Stable states say what the package as a whole may do; the transient ones
// are held by an entry of the package's transaction table (ptxn).

const (
	pI uint8 = iota
	pS
	pE // exclusive; an L1 may have written it silently (found by the Dirty event)
	pO
	pM
	pIS  // GetS sent, no data yet
	pISd // GetS: definitive data arrived and was used; waiting for the rest
	pIM  // GetM sent (or upgrade that lost its copy), waiting for data and acks
	pIMD // broadcast: all responses in, no data; DataReq sent
	pSM  // Upg sent, holding S
	pOM  // Upg sent, holding O
	pMI  // PutM sent, dirty data in the buffer
	pOI  // PutO sent (or MI after a read probe), dirty data in the buffer
	pEI  // directory: PutE sent
	pII  // Put sent, ownership since lost to a probe
	// Broadcast: an on-chip transfer from a sibling cluster of a line
	// homed on another node is ordered at the home first, as the K10 does
	// (see "Ordered on-chip transfers" in design.md). The request is out
	// and the package still holds the line as S, E, O or M; X = lost to a
	// probe ordered before it.
	pSX
	pEX
	pOX
	pMX
	pIX
	numPStates
)

const (
	peRead      uint8 = iota // on-chip read miss (Load, Prefetch)
	peWrite                  // on-chip write miss or upgrade (Store, atomics, PrefetchW)
	peFlush                  // Flush/Invalidate; the requester's cluster is not the last copy
	peFlushLast              // Flush/Invalidate of the last on-chip copy
	peLastCopy               // the last on-chip copy was evicted
	peDirty                  // an E line turned out to be written (silent E->M)
	pePrbS
	pePrbM
	peFwdS
	peFwdM
	peMem
	peMemX
	peGrant
	peAck
	peAckData
	peLastS // all responses in: finish as S
	peLastE // all responses in: finish as E
	peLastM // all responses in, data at hand: finish as M
	peNeedData
	peWbGo
	pePutAck
	peHeld    // the event would take a copy an L1 holds (fill hold), or an on-chip request finds work waiting on one
	peReadX   // on-chip read that needs a sibling cluster's copy of a line homed elsewhere (broadcast)
	peWriteX  // on-chip write (package E/M) that must invalidate a sibling cluster's copy of such a line
	peOrdered // all responses to an ordering request are in
	numPEvents
)

const (
	paStall        uint8 = iota // wait for the transaction on this line
	paAlloc                     // allocate a transaction (takes an MSHR)
	paAllocWB                   // allocate a writeback transaction (victim buffer)
	paSendGetS                  //
	paSendGetM                  //
	paSendUpg                   //
	paSendPutM                  //
	paSendPutO                  //
	paSendPutE                  //
	paSendDataReq               //
	paSendWbData                //
	paSendWbCancel              //
	paSendDone                  // Done, or DoneData when dirty data was read shared under MESI
	paGrantRead                 // serve the read on chip
	paGrantWrite                // serve the write on chip (invalidate other on-chip copies)
	paFlushLocal                // drop the requester cluster's copy
	paComplete                  // complete the on-chip request
	paVictim                    // the evicted/flushed copy's data goes to the buffer
	paCapture                   // take the freshest data (caches or buffer) for a response
	paShareAll                  // read probe: on-chip copies keep a shared copy (dirty one becomes O)
	paShareAllS                 // MESI read probe: every on-chip copy becomes S
	paInvAll                    // write probe: invalidate every on-chip copy and the buffer
	paAckNo                     // respond Ack, no copy kept
	paAckShared                 // respond Ack, copy kept
	paData                      // respond AckData, no copy kept
	paDataShared                // respond AckData, copy kept
	paHome                      // count the home's response (Acks, Shared)
	paCount                     // count a probe response
	paBuf                       // keep the message's data in the buffer
	paInstallEarly              // put the definitive data in the requester's cluster (S)
	paInstallS                  //
	paInstallE                  //
	paInstallM                  //
	paFree                      // free the transaction
	paWake                      // re-run waiting on-chip requests
	paDefer                     // wait until the fill hold ends, then run the event again
	paSendOrdM                  // order an on-chip write at the home: Upg if the requester's cluster has a copy, else GetM
	paRestore                   // an ordering request ends: a copy evicted meanwhile goes back to the requester's cluster
	numPActions
)

var (
	pStateNames = []string{"I", "S", "E", "O", "M", "IS", "ISd", "IM", "IMD", "SM", "OM", "MI", "OI", "EI", "II", "SX", "EX", "OX", "MX", "IX"}
	pEventNames = []string{"Read", "Write", "Flush", "FlushLast", "LastCopy", "Dirty", "PrbS", "PrbM", "FwdS", "FwdM",
		"Mem", "MemX", "Grant", "Ack", "AckData", "LastS", "LastE", "LastM", "NeedData", "WbGo", "PutAck", "Held", "ReadX", "WriteX", "Ordered"}
	pActionNames = []string{"stall", "alloc", "allocWB", "sendGetS", "sendGetM", "sendUpg", "sendPutM", "sendPutO", "sendPutE",
		"sendDataReq", "sendWbData", "sendWbCancel", "sendDone", "grantRead", "grantWrite", "flushLocal", "complete", "victim",
		"capture", "shareAll", "shareAllS", "invAll", "ackNo", "ackShared", "data", "dataShared", "home", "count", "buf",
		"installEarly", "installS", "installE", "installM", "free", "wake", "defer", "sendOrdM", "restore"}
)

func transientP(s uint8) bool { return s >= pIS }

func buildPkgTable(sch Scheme, mesi bool) *table {
	dir := sch.directory()
	name := "package/" + sch.String()
	if mesi {
		name += "/MESI"
	} else {
		name += "/MOESI"
	}
	t := newTable(name, pStateNames, pEventNames, pActionNames)
	onChip := []uint8{peRead, peWrite, peFlush, peFlushLast}

	// I
	t.add(pI, peRead, pIS, paAlloc, paSendGetS, paStall)
	t.add(pI, peWrite, pIM, paAlloc, paSendGetM, paStall)
	t.add(pI, peFlush, keep, paComplete)
	if !dir {
		t.add(pI, pePrbS, keep, paAckNo)
	}
	t.add(pI, pePrbM, keep, paAckNo) // directory: stale sharer

	// S
	t.add(pS, peRead, keep, paGrantRead)
	t.add(pS, peWrite, pSM, paAlloc, paSendUpg, paStall)
	t.add(pS, peFlush, keep, paFlushLocal, paComplete)
	t.add(pS, peFlushLast, pI, paFlushLocal, paComplete)
	t.add(pS, peLastCopy, pI)
	if !dir {
		t.add(pS, pePrbS, keep, paAckShared)
	}
	t.add(pS, pePrbM, pI, paInvAll, paAckNo)

	// E
	t.add(pE, peRead, keep, paGrantRead)
	t.add(pE, peWrite, pM, paGrantWrite)
	t.add(pE, peDirty, pM)
	t.add(pE, peFlush, keep, paFlushLocal, paComplete)
	if dir {
		t.add(pE, peFlushLast, pEI, paFlushLocal, paAllocWB, paVictim, paSendPutE, paComplete)
		t.add(pE, peLastCopy, pEI, paAllocWB, paVictim, paSendPutE)
		t.add(pE, peFwdS, pS, paCapture, paShareAllS, paDataShared)
		t.add(pE, peFwdM, pI, paCapture, paInvAll, paData)
	} else {
		t.add(pE, peFlushLast, pI, paFlushLocal, paComplete)
		t.add(pE, peLastCopy, pI)
		t.add(pE, pePrbS, pS, paShareAllS, paAckShared)
		t.add(pE, pePrbM, pI, paInvAll, paAckNo)
	}

	// O
	if !mesi {
		t.add(pO, peRead, keep, paGrantRead)
		t.add(pO, peWrite, pOM, paAlloc, paSendUpg, paStall)
		t.add(pO, peFlush, keep, paFlushLocal, paComplete)
		t.add(pO, peFlushLast, pOI, paFlushLocal, paAllocWB, paVictim, paSendPutO, paComplete)
		t.add(pO, peLastCopy, pOI, paAllocWB, paVictim, paSendPutO)
		if dir {
			t.add(pO, peFwdS, keep, paCapture, paShareAll, paDataShared)
			t.add(pO, peFwdM, pI, paCapture, paInvAll, paData)
		} else {
			t.add(pO, pePrbS, keep, paCapture, paShareAll, paDataShared)
		}
		// Directory: an upgrading sharer invalidates the owner with PrbM.
		t.add(pO, pePrbM, pI, paCapture, paInvAll, paData)
	}

	// M
	t.add(pM, peRead, keep, paGrantRead)
	t.add(pM, peWrite, keep, paGrantWrite)
	t.add(pM, peFlush, keep, paFlushLocal, paComplete)
	t.add(pM, peFlushLast, pMI, paFlushLocal, paAllocWB, paVictim, paSendPutM, paComplete)
	t.add(pM, peLastCopy, pMI, paAllocWB, paVictim, paSendPutM)
	probeS, probeM := pePrbS, pePrbM
	if dir {
		probeS, probeM = peFwdS, peFwdM
	}
	if mesi {
		t.add(pM, probeS, pS, paCapture, paShareAllS, paDataShared)
	} else {
		t.add(pM, probeS, pO, paCapture, paShareAll, paDataShared)
	}
	t.add(pM, probeM, pI, paCapture, paInvAll, paData)

	// IS, ISd
	// States that hold no copy on chip never see FlushLast.
	noCopy := onChip[:3]
	for _, e := range noCopy {
		t.add(pIS, e, keep, paStall)
	}
	for _, e := range onChip[1:] {
		t.add(pISd, e, keep, paStall)
	}
	if !dir {
		t.add(pIS, pePrbS, keep, paAckNo)
	}
	t.add(pIS, pePrbM, keep, paAckNo)
	if dir {
		t.add(pIS, peMemX, pISd, paHome, paBuf, paInstallEarly, paWake)
	} else {
		t.add(pIS, peMem, keep, paHome, paBuf)
	}
	if dir {
		t.add(pIS, peGrant, keep, paHome)
	}
	if !dir {
		t.add(pIS, peAck, keep, paCount)
	}
	t.add(pIS, peAckData, pISd, paCount, paBuf, paInstallEarly, paWake)
	if !dir {
		// Directory data is always definitive, so a read ends from ISd.
		t.add(pIS, peLastS, pS, paInstallS, paSendDone, paFree, paWake)
		t.add(pIS, peLastE, pE, paInstallE, paSendDone, paFree, paWake)
	}

	t.add(pISd, peRead, keep, paGrantRead)
	if !dir {
		t.add(pISd, peMem, keep, paHome)
		t.add(pISd, peAck, keep, paCount)
	}
	if dir {
		t.add(pISd, peGrant, keep, paHome)
	}
	t.add(pISd, peLastCopy, keep, paVictim)
	t.add(pISd, peLastS, pS, paInstallS, paSendDone, paFree, paWake)
	t.add(pISd, peLastE, pE, paInstallE, paSendDone, paFree, paWake)

	// IM, IMD
	for _, e := range noCopy {
		t.add(pIM, e, keep, paStall)
	}
	if !dir {
		t.add(pIM, pePrbS, keep, paAckNo)
	}
	t.add(pIM, pePrbM, keep, paAckNo)
	if dir {
		t.add(pIM, peMemX, keep, paHome, paBuf)
	} else {
		t.add(pIM, peMem, keep, paHome, paBuf)
	}
	t.add(pIM, peGrant, keep, paHome)
	t.add(pIM, peAck, keep, paCount)
	t.add(pIM, peAckData, keep, paCount, paBuf)
	t.add(pIM, peLastM, pM, paInstallM, paSendDone, paFree, paWake)
	if !dir {
		t.add(pIM, peNeedData, pIMD, paSendDataReq)
		for _, e := range noCopy {
			t.add(pIMD, e, keep, paStall)
		}
		t.add(pIMD, peMem, pM, paBuf, paInstallM, paSendDone, paFree, paWake)
	}

	// SM, OM
	t.add(pSM, peRead, keep, paGrantRead)
	for _, e := range onChip[1:] {
		t.add(pSM, e, keep, paStall)
	}
	if !dir {
		t.add(pSM, pePrbS, keep, paAckShared)
	}
	t.add(pSM, pePrbM, pIM, paInvAll, paAckNo)
	t.add(pSM, peGrant, keep, paHome)
	t.add(pSM, peAck, keep, paCount)
	if !mesi {
		// An upgrade also invalidates a remote O, which sends its
		// (identical) data.
		t.add(pSM, peAckData, keep, paCount, paBuf)
	}
	t.add(pSM, peLastCopy, keep, paVictim)
	t.add(pSM, peLastM, pM, paInstallM, paSendDone, paFree, paWake)
	if !mesi {
		t.add(pOM, peRead, keep, paGrantRead)
		for _, e := range onChip[1:] {
			t.add(pOM, e, keep, paStall)
		}
		if dir {
			t.add(pOM, peFwdS, keep, paCapture, paShareAll, paDataShared)
			t.add(pOM, peFwdM, pIM, paCapture, paInvAll, paData)
		} else {
			t.add(pOM, pePrbS, keep, paCapture, paShareAll, paDataShared)
		}
		t.add(pOM, pePrbM, pIM, paCapture, paInvAll, paData)
		t.add(pOM, peGrant, keep, paHome)
		t.add(pOM, peAck, keep, paCount)
		t.add(pOM, peLastCopy, keep, paVictim)
		t.add(pOM, peLastM, pM, paInstallM, paSendDone, paFree, paWake)
	}

	// Writebacks: MI, OI, EI, II.
	wb := []uint8{pMI, pII}
	if !mesi {
		wb = append(wb, pOI)
	}
	if dir {
		wb = append(wb, pEI)
	}
	for _, s := range wb {
		for _, e := range noCopy {
			t.add(s, e, keep, paStall)
		}
	}
	if mesi {
		t.add(pMI, probeS, pII, paCapture, paInvAll, paData)
	} else {
		t.add(pMI, probeS, pOI, paCapture, paDataShared)
		t.add(pOI, probeS, keep, paCapture, paDataShared)
		t.add(pOI, probeM, pII, paCapture, paInvAll, paData)
		if dir {
			t.add(pOI, pePrbM, pII, paCapture, paInvAll, paData)
		}
	}
	t.add(pMI, probeM, pII, paCapture, paInvAll, paData)
	if dir {
		t.add(pEI, peFwdS, pII, paCapture, paInvAll, paData)
		t.add(pEI, peFwdM, pII, paCapture, paInvAll, paData)
		t.add(pII, pePrbM, keep, paAckNo)
		for _, s := range wb {
			t.add(s, pePutAck, pI, paFree, paWake)
		}
	} else {
		t.add(pII, pePrbS, keep, paAckNo)
		t.add(pII, pePrbM, keep, paAckNo)
		t.add(pMI, peWbGo, pI, paSendWbData, paFree, paWake)
		if !mesi {
			t.add(pOI, peWbGo, pI, paSendWbData, paFree, paWake)
		}
		t.add(pII, peWbGo, pI, paSendWbCancel, paFree, paWake)
	}

	if !dir {
		orderedOnChip(t, mesi)
	}

	// Fill hold. An on-chip request whose row would serve it on chip
	// (grantRead, grantWrite, flushLocal), a probe whose row would share or
	// invalidate the copies on chip, and the end of this node's own write
	// transaction (LastM) become Held when they would take a copy some L1
	// was granted less than the hold ago; so does any on-chip request for
	// a line that already has work waiting on a hold (first come, first
	// served). Held work waits and runs again, in arrival order, when the
	// hold ends. A wait can outlive the state it began in, so every state
	// the table uses has the row.
	for s := uint8(0); s < numPStates; s++ {
		for e := uint8(0); e < numPEvents; e++ {
			if t.rows[s][e].set {
				t.add(s, peHeld, keep, paDefer)
				break
			}
		}
	}
	return t
}

// orderedOnChip adds the broadcast rows of on-chip transfers that the
// home orders: a read that needs a sibling cluster's copy, or a write (E or
// M) that must invalidate one, of a line homed on another node. The K10
// sends every L2 and L3 miss to the line's home, which probes every node,
// the requester's included, so even a transfer between two cores of one
// package waits its turn there behind every other request to the line.
// The request goes out as a GetS (read) or a GetM or Upg (write); the
// package keeps its copies meanwhile and answers probes ordered before it
// from the state it holds (S, E, O, M; lost: IX). When every response is
// in, the line is back in its stable state, Done goes to the home, and the
// request that started it (and any that queued behind it) runs again: the
// first is now served on chip, the others start their own. A package that
// loses the line meanwhile (IX) has sent a plain miss: it ends as one.
func orderedOnChip(t *table, mesi bool) {
	t.add(pS, peReadX, pSX, paAlloc, paSendGetS, paStall)
	t.add(pE, peReadX, pEX, paAlloc, paSendGetS, paStall)
	t.add(pM, peReadX, pMX, paAlloc, paSendGetS, paStall)
	t.add(pE, peWriteX, pEX, paAlloc, paSendOrdM, paStall)
	t.add(pM, peWriteX, pMX, paAlloc, paSendOrdM, paStall)
	xs := []uint8{pSX, pEX, pMX, pIX}
	if !mesi {
		t.add(pO, peReadX, pOX, paAlloc, paSendGetS, paStall)
		xs = append(xs, pOX)
	}
	for _, s := range xs {
		for _, e := range []uint8{peRead, peWrite, peFlush, peFlushLast} {
			if s != pIX || e != peFlushLast {
				t.add(s, e, keep, paStall)
			}
		}
		// The home's memory data and the other nodes' answers count; the
		// data on chip is the line's (IX keeps what comes, as IS and IM).
		t.add(s, peMem, keep, paHome, paBuf)
		t.add(s, peGrant, keep, paHome)
		t.add(s, peAck, keep, paCount)
	}
	// Data answers come only from another node's copy: an O elsewhere
	// while this package has S, or whoever took the line from IX.
	if !mesi {
		t.add(pSX, peAckData, keep, paCount, paBuf)
	}
	t.add(pIX, peAckData, keep, paCount, paBuf)
	t.add(pEX, peDirty, pMX)
	// The last copy leaves: clean ones silently (as from S and E), dirty
	// ones wait in the buffer and go back on chip at the end.
	t.add(pSX, peLastCopy, pIX)
	t.add(pEX, peLastCopy, pIX)
	t.add(pMX, peLastCopy, keep, paVictim)
	// Probes of requests ordered before this one, as from the stable state.
	t.add(pSX, pePrbS, keep, paAckShared)
	t.add(pSX, pePrbM, pIX, paInvAll, paAckNo)
	t.add(pEX, pePrbS, pSX, paShareAllS, paAckShared)
	t.add(pEX, pePrbM, pIX, paInvAll, paAckNo)
	if mesi {
		t.add(pMX, pePrbS, pSX, paCapture, paShareAllS, paDataShared)
	} else {
		t.add(pMX, pePrbS, pOX, paCapture, paShareAll, paDataShared)
		t.add(pOX, pePrbS, keep, paCapture, paShareAll, paDataShared)
		t.add(pOX, pePrbM, pIX, paCapture, paInvAll, paData)
		t.add(pOX, peLastCopy, keep, paVictim)
		t.add(pOX, peOrdered, pO, paRestore, paSendDone, paFree, paWake)
	}
	t.add(pMX, pePrbM, pIX, paCapture, paInvAll, paData)
	t.add(pIX, pePrbS, keep, paAckNo)
	t.add(pIX, pePrbM, keep, paAckNo)
	t.add(pSX, peOrdered, pS, paRestore, paSendDone, paFree, paWake)
	t.add(pEX, peOrdered, pE, paRestore, paSendDone, paFree, paWake)
	t.add(pMX, peOrdered, pM, paRestore, paSendDone, paFree, paWake)
	// IX lost the line to a probe ordered first: its request is a plain
	// read or write miss now, and ends like one (as IS, or as IM).
	t.add(pIX, peLastS, pS, paInstallS, paSendDone, paFree, paWake)
	t.add(pIX, peLastE, pE, paInstallE, paSendDone, paFree, paWake)
	t.add(pIX, peLastM, pM, paInstallM, paSendDone, paFree, paWake)
	t.add(pIX, peNeedData, pIMD, paSendDataReq)
}

// ---------------------------------------------------------------------------
// Home: the memory controller's view of a line. Broadcast homes keep no
// state but "busy" (I doubles as idle); directory homes keep owner and
// sharers.

const (
	hI      uint8 = iota // broadcast: idle. directory: no cached copy
	hS                   // directory: sharers, memory valid
	hX                   // directory: one exclusive owner (E or M), memory may be stale
	hO                   // directory: an owner (O) and maybe sharers, memory stale
	hBusy                // broadcast: ordering a request, waiting for Done
	hBusyWB              // broadcast: writeback granted, waiting for the data
	hBS                  // directory: ordering a read, waiting for Done
	hBM                  // directory: ordering a write, waiting for Done
	numHStates
)

const (
	heGetS      uint8 = iota
	heGetM            //
	heUpg             // broadcast upgrade
	heUpgOwner        // directory: requester is the owner
	heUpgSharer       // directory: requester is a listed sharer
	heUpgLost         // directory: requester lost its copy; treated as GetM
	hePut             // broadcast PutM/PutO
	hePutOwn          // directory: Put from the owner
	hePutStale        // directory: Put from a node that is no longer owner
	heDataReq         //
	heDone            // broadcast
	heDoneS           // directory: requester S, previous owner (if any) now S
	heDoneSO          // directory: requester S, previous owner kept O
	heDoneE           // directory: requester E
	heDoneM           // directory: requester M
	heWbData          //
	heWbCancel        //
	numHEvents
)

const (
	haQueue         uint8 = iota // wait until the line is idle
	haProbeAllS                  // probe every other caching node, for a read
	haProbeAllM                  // probe every other caching node, for a write
	haMem                        // send memory data (speculative)
	haMemX                       // send memory data (definitive)
	haGrant                      // send Grant (no data) with the ack count
	haFwdS                       // forward a read to the owner
	haFwdM                       // forward a write to the owner
	haInvSharers                 // invalidate sharers other than requester and owner
	haInvOwner                   // invalidate the owner (requester has a copy)
	haWbGo                       //
	haPutAck                     //
	haWriteMem                   // write the message's data to memory, if it has data
	haDirDoneS                   // sharers += requester and previous owner; no owner
	haDirDoneSO                  // sharers += requester
	haDirOwner                   // owner = requester, no sharers
	haDirClearOwner              // owner = none
	haNext                       // take the next queued request
	numHActions
)

var (
	hStateNames  = []string{"I", "S", "X", "O", "Busy", "BusyWB", "BS", "BM"}
	hEventNames  = []string{"GetS", "GetM", "Upg", "UpgOwner", "UpgSharer", "UpgLost", "Put", "PutOwn", "PutStale", "DataReq", "Done", "DoneS", "DoneSO", "DoneE", "DoneM", "WbData", "WbCancel"}
	hActionNames = []string{"queue", "probeAllS", "probeAllM", "mem", "memX", "grant", "fwdS", "fwdM", "invSharers", "invOwner",
		"wbGo", "putAck", "writeMem", "dirDoneS", "dirDoneSO", "dirOwner", "dirClearOwner", "next"}
)

func buildHomeTable(sch Scheme, mesi bool) *table {
	name := "home/" + sch.String()
	if mesi {
		name += "/MESI"
	} else {
		name += "/MOESI"
	}
	t := newTable(name, hStateNames, hEventNames, hActionNames)
	if !sch.directory() {
		t.add(hI, heGetS, hBusy, haProbeAllS, haMem)
		t.add(hI, heGetM, hBusy, haProbeAllM, haMem)
		t.add(hI, heUpg, hBusy, haProbeAllM, haGrant)
		t.add(hI, hePut, hBusyWB, haWbGo)
		for _, s := range []uint8{hBusy, hBusyWB} {
			for _, e := range []uint8{heGetS, heGetM, heUpg, hePut} {
				t.add(s, e, keep, haQueue)
			}
		}
		t.add(hBusy, heDataReq, keep, haMem)
		t.add(hBusy, heDone, hI, haWriteMem, haNext)
		t.add(hBusyWB, heWbData, hI, haWriteMem, haNext)
		t.add(hBusyWB, heWbCancel, hI, haNext)
		return t
	}
	t.add(hI, heGetS, hBS, haMemX)
	t.add(hI, heGetM, hBM, haMemX)
	t.add(hI, heUpgLost, hBM, haMemX)
	t.add(hS, heGetS, hBS, haMemX)
	t.add(hS, heGetM, hBM, haInvSharers, haMemX)
	t.add(hS, heUpgLost, hBM, haInvSharers, haMemX)
	t.add(hS, heUpgSharer, hBM, haInvSharers, haGrant)
	t.add(hX, heGetS, hBS, haFwdS, haGrant)
	t.add(hX, heGetM, hBM, haFwdM, haGrant)
	t.add(hX, heUpgLost, hBM, haFwdM, haGrant)
	if !mesi {
		t.add(hO, heGetS, hBS, haFwdS, haGrant)
		t.add(hO, heGetM, hBM, haFwdM, haInvSharers, haGrant)
		t.add(hO, heUpgLost, hBM, haFwdM, haInvSharers, haGrant)
		t.add(hO, heUpgSharer, hBM, haInvOwner, haInvSharers, haGrant)
		t.add(hO, heUpgOwner, hBM, haInvSharers, haGrant)
	}
	for _, s := range []uint8{hBS, hBM} {
		for _, e := range []uint8{heGetS, heGetM, heUpgOwner, heUpgSharer, heUpgLost, hePutOwn, hePutStale} {
			t.add(s, e, keep, haQueue)
		}
	}
	t.add(hBS, heDoneS, hS, haWriteMem, haDirDoneS, haNext)
	if !mesi {
		t.add(hBS, heDoneSO, hO, haDirDoneSO, haNext)
	}
	t.add(hBS, heDoneE, hX, haWriteMem, haDirOwner, haNext)
	t.add(hBM, heDoneM, hX, haDirOwner, haNext)
	t.add(hX, hePutOwn, hI, haWriteMem, haDirClearOwner, haPutAck)
	if !mesi {
		t.add(hO, hePutOwn, hS, haWriteMem, haDirClearOwner, haPutAck)
	}
	stable := []uint8{hI, hS, hX}
	if !mesi {
		stable = append(stable, hO)
	}
	t.addAll(stable, hePutStale, keep, haPutAck)
	return t
}

// Tables returns every controller table in its golden, printed form, for
// every scheme and variant; `go test -run Golden -update` rewrites
// testdata/tables.golden from it.
func Tables() string {
	s := buildL1Table().String() + "\n" + buildCopyTable().String()
	for sch := Scheme(0); sch < numSchemes; sch++ {
		for _, mesi := range []bool{false, true} {
			s += "\n" + buildPkgTable(sch, mesi).String()
			s += "\n" + buildHomeTable(sch, mesi).String()
		}
	}
	return s
}

// tableSet is the set of tables one System runs.
type tableSet struct {
	l1, copy, pkg, home *table
	// Derived from the l1 table for the hit fast path: hitNext[class][state]
	// is the state after a hit, or hitMiss.
	hitNext [2][numL1States]uint8
	// hitNext by mem.Op for L1.Hit: Flush and Invalidate never hit.
	hitOp [numOps][numL1States]uint8
}

const hitMiss = 0xff

// numOps counts the mem.Ops (Invalidate is the last).
const numOps = int(mem.OpInvalidate) + 1

func newTableSet(sch Scheme, mesi bool) *tableSet {
	ts := &tableSet{l1: buildL1Table(), copy: buildCopyTable(), pkg: buildPkgTable(sch, mesi), home: buildHomeTable(sch, mesi)}
	for c, ev := range []uint8{l1Load, l1Store} {
		for s := uint8(0); s < numL1States; s++ {
			ts.hitNext[c][s] = hitMiss
			r := ts.l1.lookup(s, ev)
			if r == nil {
				panic(fmt.Sprintf("cache: l1 table lacks (%s, %s)", l1StateNames[s], l1EventNames[ev]))
			}
			if r.n > 0 && r.act[0] == l1aHit {
				ts.hitNext[c][s] = r.next
			}
		}
	}
	for op := range mem.Op(numOps) {
		for s := range uint8(numL1States) {
			ts.hitOp[op][s] = hitMiss
			if op != mem.OpFlush && op != mem.OpInvalidate {
				ts.hitOp[op][s] = ts.hitNext[opClass(op)][s]
			}
		}
	}
	return ts
}
