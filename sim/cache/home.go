package cache

import (
	"fmt"
	"math/bits"

	"mksim/sim"
	"mksim/sim/mem"
)

// HomeStats counts one home.
type HomeStats struct {
	Requests   uint64 // GetS, GetM, Upg ordered
	Writebacks uint64 // Puts ordered
	Probes     uint64 // probes and forwards sent
	MemReads   uint64
	MemWrites  uint64
	Queued     uint64 // requests that found their line busy
	// BankWaits counts DRAM accesses (reads and writes) that found their
	// bank busy, and BankWait the time they waited for it in all (DRAM
	// banks on only; dram.go).
	BankWaits uint64
	BankWait  sim.Time
}

// hline is the home's record of one line: busy/directory state, the
// transaction being ordered, and the requests waiting behind it.
type hline struct {
	line    mem.LineAddr
	st      uint8
	owner   mem.NodeID // -1: none (directory)
	sharers uint64     // directory; a superset (S copies are dropped silently)
	req     mem.NodeID // requester of the transaction being ordered
	kind    mem.Kind
	txn     uint64
	id      mem.OpID
	since   sim.Time
	q       []*mem.Msg
	idx     int // in home.recs
}

// home is a memory controller: it orders requests to its lines, probes
// caches, supplies memory data, and (directory schemes) tracks sharers.
type home struct {
	s     *System
	node  mem.NodeID
	cfg   *Home
	tab   *table
	dir   bool
	lines lineIndex // the lines with a record, each to its index + 1 in recs
	recs  []*hline  // every record made, live or in pool
	pool  []*hline
	ctl   delayLine  // probes, grants, writeback acks
	dram  delayLine  // memory data (no banks)
	banks []dramBank // DRAM banks (dram.go), nil when not modelled
	stats HomeStats
	name  string
}

func newHome(s *System, cfg *Home) *home {
	h := &home{s: s, node: cfg.Node, cfg: cfg, tab: s.tabs.home, dir: s.cfg.Scheme.directory(),
		lines: newLineIndex(1), name: fmt.Sprintf("node%d.home", cfg.Node)}
	h.ctl = delayLine{s: s, name: h.name + ".ctl", d: cfg.Latency}
	h.dram = delayLine{s: s, name: h.name + ".dram", d: cfg.DRAM}
	h.banks = newBanks(h, cfg)
	return h
}

// Name names the controller in panics and traces.
func (h *home) Name() string { return h.name }

type hctx struct {
	hl     *hline
	m      *mem.Msg
	acks   int
	shared bool
	next   bool
	keep   bool // the message was queued; do not free it
}

// record returns line's record, or nil. The home keeps its records in a
// lineIndex (one "array": the record's index in recs), the open-addressing
// table the packages index their caches with, rather than a Go map: a map
// cost about 300 host instructions a miss (lookup, insert, lookup, delete).
func (h *home) record(line mem.LineAddr) *hline {
	if i := h.lines.frame(line, 0); i > 0 {
		return h.recs[i-1]
	}
	return nil
}

func (h *home) receive(m *mem.Msg) {
	line := m.Line
	hl := h.record(line)
	if hl == nil {
		if n := len(h.pool); n > 0 {
			hl = h.pool[n-1]
			h.pool = h.pool[:n-1]
			*hl = hline{q: hl.q[:0], idx: hl.idx}
		} else {
			hl = &hline{idx: len(h.recs)}
			h.recs = append(h.recs, hl)
		}
		hl.line, hl.owner = line, -1
		h.lines.add(line, 0, hl.idx)
	}
	h.handle(hl, m)
	for hl.st != hBusy && hl.st != hBusyWB && hl.st != hBS && hl.st != hBM && len(hl.q) > 0 {
		next := hl.q[0]
		copy(hl.q, hl.q[1:])
		hl.q[len(hl.q)-1] = nil
		hl.q = hl.q[:len(hl.q)-1]
		h.handle(hl, next)
	}
	if hl.st == hI && len(hl.q) == 0 && hl.owner < 0 && hl.sharers == 0 {
		h.lines.remove(hl.line, 0)
		h.pool = append(h.pool, hl)
	}
	if checkInvariants {
		h.s.checkLine(line)
	}
}

// event classifies a message against the line's record.
func (h *home) event(hl *hline, m *mem.Msg) uint8 {
	src := mem.NodeID(m.Requester)
	switch m.Kind {
	case KGetS:
		return heGetS
	case KGetM:
		return heGetM
	case KUpg:
		switch {
		case !h.dir:
			return heUpg
		case hl.owner == src:
			return heUpgOwner
		case hl.sharers&bit(src) != 0:
			return heUpgSharer
		default:
			return heUpgLost
		}
	case KPutM, KPutO, KPutE:
		switch {
		case !h.dir:
			return hePut
		case hl.owner == src:
			return hePutOwn
		default:
			return hePutStale
		}
	case KDataReq:
		h.checkTxn(hl, m)
		return heDataReq
	case KDone, KDoneData:
		h.checkTxn(hl, m)
		if !h.dir {
			return heDone
		}
		if hl.kind != KGetS {
			return heDoneM
		}
		switch {
		case !m.Shared:
			return heDoneE
		case m.Dirty:
			return heDoneSO
		default:
			return heDoneS
		}
	case KWbData:
		h.checkTxn(hl, m)
		return heWbData
	case KWbCancel:
		h.checkTxn(hl, m)
		return heWbCancel
	}
	sim.Failf(h.name, hStateNames[hl.st], "line %v: unexpected message %v", hl.line, m)
	return 0
}

func (h *home) checkTxn(hl *hline, m *mem.Msg) {
	if m.Txn != hl.txn || mem.NodeID(m.Requester) != hl.req {
		sim.Failf(h.name, hStateNames[hl.st], "line %v: %v does not match the transaction being ordered (txn %d from node %d)", hl.line, m, hl.txn, hl.req)
	}
}

func (h *home) handle(hl *hline, m *mem.Msg) {
	ev := h.event(hl, m)
	st := hl.st
	row := h.tab.lookup(st, ev)
	if row == nil {
		sim.Failf(h.name, hStateNames[st], "line %v: no transition for event %s (message %v, owner %d, sharers %#x)", hl.line, hEventNames[ev], m, hl.owner, hl.sharers)
	}
	h.tab.ran(st, ev)
	ctx := hctx{hl: hl, m: m}
	if st != hBusy && st != hBusyWB && st != hBS && st != hBM && (isRequest(m.Kind) || isPut(m.Kind)) {
		// The line is idle: this message starts a transaction.
		hl.req, hl.kind, hl.txn, hl.id, hl.since = mem.NodeID(m.Requester), m.Kind, m.Txn, m.ID, h.s.e.Now()
		if isRequest(m.Kind) {
			h.stats.Requests++
		} else {
			h.stats.Writebacks++
		}
		if h.dir && m.Kind == KGetS {
			ctx.shared = hl.owner >= 0 || hl.sharers&^bit(hl.req) != 0
		}
	}
	h.act(&ctx, row.acts())
	hl.st = row.next
	if !ctx.keep {
		h.s.freeMsg(m)
	}
}

func isRequest(k mem.Kind) bool { return k == KGetS || k == KGetM || k == KUpg }
func isPut(k mem.Kind) bool     { return k == KPutM || k == KPutO || k == KPutE }

func (h *home) out(kind mem.Kind, class mem.Class, dst mem.NodeID, hl *hline) *mem.Msg {
	m := h.s.newMsg()
	m.Kind, m.Class, m.Src, m.Dst = kind, class, h.node, dst
	m.Line, m.Txn, m.ID, m.Requester = hl.line, hl.txn, hl.id, int(hl.req)
	return m
}

func (h *home) probe(kind mem.Kind, dst mem.NodeID, ctx *hctx) {
	h.stats.Probes++
	ctx.acks++
	h.ctl.push(h.out(kind, mem.ClassProbe, dst, ctx.hl), 0)
}

// probeMask probes every node in mask with one message (a Broadcast if
// the network has it: one bus snoop).
func (h *home) probeMask(kind mem.Kind, mask uint64, ctx *hctx) {
	n := bits.OnesCount64(mask)
	switch n {
	case 0:
		return
	case 1:
		h.probe(kind, mem.NodeID(bits.TrailingZeros64(mask)), ctx)
		return
	}
	h.stats.Probes += uint64(n)
	ctx.acks += n
	h.ctl.push(h.out(kind, mem.ClassProbe, mem.NodeID(bits.TrailingZeros64(mask)), ctx.hl), mask)
}

// act runs a row's actions in order: one call per row, as pkg.act.
func (h *home) act(ctx *hctx, acts []uint8) {
	hl := ctx.hl
	for _, a := range acts {
		switch a {
		case haQueue:
			h.stats.Queued++
			hl.q = append(hl.q, ctx.m)
			ctx.keep = true
		case haProbeAllS, haProbeAllM:
			kind := KPrbS
			if a == haProbeAllM {
				kind = KPrbM
			}
			h.probeMask(kind, h.s.cachingMask&^bit(hl.req), ctx)
		case haMem, haMemX:
			kind := KMem
			if a == haMemX {
				kind = KMemX
			}
			h.stats.MemReads++
			m := h.out(kind, mem.ClassData, hl.req, hl)
			m.Data, m.Acks, m.Shared = h.s.memory.ReadLine(hl.line), ctx.acks, ctx.shared
			h.readDRAM(m)
		case haGrant:
			m := h.out(KGrant, mem.ClassResponse, hl.req, hl)
			m.Acks, m.Shared = ctx.acks, ctx.shared
			h.ctl.push(m, 0)
		case haFwdS:
			h.probe(KFwdS, hl.owner, ctx)
		case haFwdM:
			h.probe(KFwdM, hl.owner, ctx)
		case haInvSharers:
			mask := hl.sharers &^ bit(hl.req)
			if hl.owner >= 0 {
				mask &^= bit(hl.owner)
			}
			h.probeMask(KPrbM, mask, ctx)
		case haInvOwner:
			h.probe(KPrbM, hl.owner, ctx)
		case haWbGo:
			h.ctl.push(h.out(KWbGo, mem.ClassResponse, hl.req, hl), 0)
		case haPutAck:
			m := h.s.newMsg()
			m.Kind, m.Class, m.Src, m.Dst = KPutAck, mem.ClassResponse, h.node, mem.NodeID(ctx.m.Requester)
			m.Line, m.Txn, m.ID, m.Requester = hl.line, ctx.m.Txn, ctx.m.ID, ctx.m.Requester
			h.ctl.push(m, 0)
		case haWriteMem:
			if ctx.m.Class == mem.ClassData {
				h.stats.MemWrites++
				h.s.memory.WriteLine(hl.line, ctx.m.Data)
				h.writeDRAM(hl.line)
			}
		case haDirDoneS:
			hl.sharers |= bit(hl.req)
			if hl.owner >= 0 {
				hl.sharers |= bit(hl.owner)
				hl.owner = -1
			}
		case haDirDoneSO:
			hl.sharers |= bit(hl.req)
		case haDirOwner:
			hl.owner, hl.sharers = hl.req, 0
		case haDirClearOwner:
			hl.owner = -1
		case haNext:
			ctx.next = true
		default:
			sim.Failf(h.name, hStateNames[hl.st], "line %v: unknown action %d", hl.line, a)
		}
	}
}
