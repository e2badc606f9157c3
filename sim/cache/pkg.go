package cache

import (
	"fmt"

	"mksim/sim"
	"mksim/sim/mem"
)

// PackageStats counts one package controller.
type PackageStats struct {
	L3Hits, L3Misses uint64
	OnChip           uint64 // reads and writes served by another cluster on chip
	Requests         [3]uint64
	Writebacks       uint64 // Puts sent
	ProbesIn         uint64
	ProbeData        uint64 // probe responses carrying data
}

// copyRec is an on-chip copy that has just left its array.
type copyRec struct {
	line mem.LineAddr
	st   uint8 // copy state it had
	pst  uint8
	data mem.Data
	ok   bool
}

func (c *copyRec) dirty() bool { return c.st == cO || c.st == cM }

// ptxn is a package's transaction on one line: an MSHR for a request to the
// home, or a victim buffer for a writeback. Its state is the line's
// package state while it lives.
type ptxn struct {
	// Control, in the first 64 bytes: what every response reads.
	line       mem.LineAddr
	txn        uint64
	cl         *cluster // where the data is installed
	expect     int
	got        int
	slot       int // index in pkg.live
	id         mem.OpID
	st         uint8
	kind       mem.Kind
	demand     bool // holds a package MSHR
	homeSeen   bool
	homeShared bool
	shared     bool // some probe response kept a copy
	dirtyRecv  bool // a probe response carried dirty data
	hasData    bool // response data
	def        bool // definitive (from a cache, or MemX)
	hasVic     bool // victim data: the package's own copy, held here when no cache has it
	vicDirty   bool

	waiters reqQueue
	started sim.Time
	home    mem.NodeID // the line's home, looked up once for all the messages to it
	data    mem.Data
	vic     mem.Data
	init    *req     // the on-chip request that allocated it
	_       [24]byte // to 256 bytes, a size the allocator aligns to host lines
}

// pkg is a package's on-chip controller (AMD: the SRQ and crossbar). It
// keeps its clusters and L3 coherent and is the node's agent in the
// inter-node protocol.
type pkg struct {
	// The fields every probe, response and request reads come first, side
	// by side (a few host cache lines, not one per field).
	s         *System
	tab       *table
	lines     []mem.LineAddr // lines[i] == live[i].line: the scan reads one dense slice
	live      []*ptxn        // transactions in flight (few: a linear scan beats a map)
	index     lineIndex      // where the L2s and L3 hold each line (index.go)
	clusters  []*cluster
	node      mem.NodeID
	hold      sim.Time   // Package.FillHold in effect; 0: no holds
	holdEnd   sim.Time   // the latest end of a hold in holds
	probeOcc  sim.Time   // Package.ProbeOccupancy
	sibOcc    sim.Time   // Package.SiblingOccupancy
	probeFree sim.Time   // the probe engine is busy until then
	probeQ    []*mem.Msg // deferred network probes, oldest at probeHead
	probeHead int
	probeWake probeWake // probeengine.go
	arrive    pkgArrive
	respOut   delayLine
	reqOut    delayLine
	stats     PackageStats
	mesi      bool
	dir       bool
	retrying  bool
	// ackOnly[st][k]: the row for (st, PrbS+k) only answers, with an Ack
	// (ackNo: AckNo; ackShared: AckShared), and stays in st, so a probe of
	// kind KPrbS+k finding st takes probe's short cut (checked at
	// start-up: the table stays the one authority).
	ackOnly [numPStates][2]uint8
	// countAck[st]: the row for (st, Ack) only counts the response, in
	// st (checked at start-up), so response takes its short cut.
	countAck [numPStates]bool
	// orderOnChip: the home orders on-chip transfers between clusters of
	// lines homed on other nodes (broadcast, unless Config.LocalOnChip).
	orderOnChip bool
	// byTxn[n%numByTxn] is the live transaction numbered n, if no later
	// one took the slot (else nil or another): responses carry the
	// number, and finding it here spares response the scan of lines.
	byTxn [numByTxn]*ptxn
	// txnLines[txnHash(l)] counts the live transactions on lines that
	// hash like l: where it is 0, l has none.
	txnLines [numTxnLines]uint32

	cfg     *Package
	l3      *array
	l3lat   sim.Time
	txnFree []*ptxn
	mshrN   int
	mshrU   int
	mshrQ   reqQueue
	name    string
	l3name  string

	// Fill hold (hold.go).
	holds    []hold
	waits    []*holdWait // by index; live ones have deferred work
	nwait    int         // live waits
	spare    []holdItem
	holdWake holdWake
}

// txn returns the transaction in flight on line, or nil.
func (p *pkg) txn(line mem.LineAddr) *ptxn {
	// Most probes find no transaction: the count spares them the scan
	// (test builds scan anyway, to check the count).
	if p.txnLines[txnHash(line)] == 0 && !checkInvariants {
		return nil
	}
	for i, l := range p.lines {
		if l == line {
			if checkInvariants && p.txnLines[txnHash(line)] == 0 {
				p.fail(line, p.live[i].st, "live transaction %d not counted in txnLines", p.live[i].txn)
			}
			return p.live[i]
		}
	}
	return nil
}

// txnHash picks line's counter in pkg.txnLines.
func txnHash(line mem.LineAddr) uint64 { return uint64(line) / mem.LineSize % numTxnLines }

// numTxnLines is the size of pkg.txnLines (a power of two).
const numTxnLines = 64

// numByTxn is the size of pkg.byTxn (a power of two).
const numByTxn = 32

// pkgArrive is the handler for on-chip requests arriving at the package.
type pkgArrive struct{ p *pkg }

func (a *pkgArrive) Handle(arg uint64) {
	r := a.p.s.reqs[arg]
	a.p.request(r)
	if checkInvariants {
		a.p.s.checkLine(r.line)
	}
}

func (a *pkgArrive) Name() string { return a.p.name }

func newPkg(s *System, cfg *Package) *pkg {
	p := &pkg{s: s, node: cfg.Node, cfg: cfg, tab: s.tabs.pkg,
		mshrN: cfg.MSHRs, name: fmt.Sprintf("node%d.pkg", cfg.Node), mesi: s.cfg.MESI, dir: s.cfg.Scheme.directory()}
	if p.mshrN <= 0 {
		p.mshrN = 8
	}
	p.arrive.p = p
	p.orderOnChip = !p.dir && !s.cfg.LocalOnChip
	p.hold = cfg.fillHold()
	p.holdWake.p = p
	p.probeWake.p = p
	p.probeOcc = cfg.ProbeOccupancy
	p.sibOcc = cfg.SiblingOccupancy
	p.l3name = p.name + ".L3"
	p.reqOut = delayLine{s: s, name: p.name + ".reqOut", d: cfg.RequestOut}
	p.respOut = delayLine{s: s, name: p.name + ".respOut", d: cfg.ProbeResponse}
	if cfg.L3 != nil {
		a := newArray(*cfg.L3)
		p.l3 = &a
		p.l3lat = cfg.L3.Latency
	}
	for i := range cfg.Clusters {
		p.clusters = append(p.clusters, newCluster(s, p, i, &cfg.Clusters[i]))
	}
	p.index = newLineIndex(len(p.clusters) + 1)
	for st := range p.ackOnly {
		for k := range p.ackOnly[st] {
			r := p.tab.lookup(uint8(st), pePrbS+uint8(k))
			if r != nil && r.next == uint8(st) && r.n == 1 {
				switch r.act[0] {
				case paAckNo:
					p.ackOnly[st][k] = ackNo
				case paAckShared:
					p.ackOnly[st][k] = ackShared
				}
			}
		}
	}
	for st := range p.countAck {
		r := p.tab.lookup(uint8(st), peAck)
		p.countAck[st] = r != nil && r.next == uint8(st) && r.n == 1 && r.act[0] == paCount
	}
	return p
}

// Name names the controller in panics and traces.
func (p *pkg) Name() string { return p.name }

// ---------------------------------------------------------------------------
// Where the line is on chip.

// fref is one on-chip frame holding a line: an L2 frame (c != nil) or an
// L3 frame (c == nil).
type fref struct {
	c *cluster
	f *frame
}

type frefs struct {
	n  int
	fs [maxClusters + 1]fref
}

// frames lists the frames holding line: the L2s in cluster order, then the
// L3.
func (p *pkg) frames(line mem.LineAddr, out *frefs) {
	out.n = 0
	if w := p.index.lookup(line); w != nil {
		p.framesOf(w, out)
	}
}

// framesOf is frames for the line whose index row is w. Callers on hot
// paths look the row up first and declare their frefs (zeroing it) only
// when the line is on chip, which most probed lines are not.
func (p *pkg) framesOf(w []int32, out *frefs) {
	// The count is kept in a local and w is resliced to the clusters'
	// length once, so the loop does no bounds checks on w and does not
	// reload and store out.n per frame (framesOf runs for most probes
	// and requests that find the line on chip).
	cs := p.clusters
	w = w[:len(cs)+1]
	n := 0
	for k, i := range w[:len(cs)] {
		if i != 0 {
			c := cs[k]
			out.fs[n] = fref{c, &c.arr.frames[i-1]}
			n++
		}
	}
	if i := w[len(cs)]; i != 0 {
		out.fs[n] = fref{nil, &p.l3.frames[i-1]}
		n++
	}
	out.n = n
}

func (p *pkg) hasFrames(line mem.LineAddr) bool { return p.index.slot(line) >= 0 }

// l3Array is the L3's number in the index.
func (p *pkg) l3Array() int { return len(p.clusters) }

// findL3 returns the L3 frame holding line, or nil.
func (p *pkg) findL3(line mem.LineAddr) *frame {
	if p.l3 == nil {
		return nil
	}
	if i := p.index.frame(line, p.l3Array()); i != 0 {
		return &p.l3.frames[i-1]
	}
	return nil
}

// sync merges dirty L1 data into the L2s and returns the line's stable
// package state (which must not be busy) and whether a copy is dirty.
//
// sync, setP, capture and the ShareAll action read the line's index row in
// place rather than listing its frames in a frefs first (framesOf): they
// move no line in or out of an array, so the row stays valid, and the
// list cost more than their work (zeroing it, and a write barrier check
// per pointer stored).
func (p *pkg) sync(line mem.LineAddr) (uint8, bool) {
	w := p.index.lookup(line)
	if w == nil {
		return pI, false
	}
	return p.syncRow(line, w)
}

// syncRow is sync for the line whose index row is w.
func (p *pkg) syncRow(line mem.LineAddr, w []int32) (uint8, bool) {
	cs := p.clusters
	w = w[:len(cs)+1]
	st, found, dirty := uint8(pI), false, false
	for k, i := range w[:len(cs)] {
		if i != 0 {
			c := cs[k]
			f := &c.arr.frames[i-1]
			c.pull(line, f)
			if !found {
				st, found = f.pst, true
			}
			dirty = dirty || f.st == cO || f.st == cM
		}
	}
	if i := w[len(cs)]; i != 0 {
		f := &p.l3.frames[i-1]
		if !found {
			st = f.pst
		}
		dirty = dirty || f.st == cO || f.st == cM
	}
	return st, dirty
}

// setP records a stable package state in every on-chip copy.
func (p *pkg) setP(line mem.LineAddr, st uint8) {
	w := p.index.lookup(line)
	if w == nil {
		return
	}
	if st == pI {
		// An indexed line has a copy in at least one array.
		sim.Failf(p.name, "I", "line %v: state I with copies on chip", line)
	}
	cs := p.clusters
	w = w[:len(cs)+1]
	for k, i := range w[:len(cs)] {
		if i != 0 {
			cs[k].arr.frames[i-1].pst = st
		}
	}
	if i := w[len(cs)]; i != 0 {
		p.l3.frames[i-1].pst = st
	}
}

func (p *pkg) stepL3(f *frame, ev uint8, why string) {
	stepCopy(p.s, p, p.l3Array(), p.l3name, f, ev, why)
}

// dropRef removes one on-chip copy and returns it.
func (p *pkg) dropRef(r fref, ev uint8) copyRec {
	rec := copyRec{line: r.f.tag, pst: r.f.pst, ok: true}
	if r.c != nil {
		rec.data, rec.st = r.c.drop(r.f, ev)
	} else {
		rec.data, rec.st = r.f.data, r.f.st
		p.stepL3(r.f, ev, "drop")
	}
	return rec
}

// placeVictim takes a copy just evicted from an L2: into the L3 if there
// is one, else off the chip.
func (p *pkg) placeVictim(v *copyRec, id mem.OpID) {
	if p.l3 == nil {
		p.dropCopy(v, id)
		return
	}
	if g := p.findL3(v.line); g != nil {
		if v.dirty() {
			g.data = v.data
			p.stepL3(g, ceHandOff, "victim merge")
		}
		p.l3.touch(g)
		return
	}
	wi := p.l3.victimAt(v.line)
	w := &p.l3.frames[wi]
	var wrec copyRec
	if w.valid() {
		wrec = p.dropRef(fref{nil, w}, ceEvict)
	}
	w.tag, w.st, w.pst, w.data = v.line, v.st, v.pst, v.data
	p.index.add(v.line, p.l3Array(), wi)
	p.l3.touch(w)
	if wrec.ok {
		p.dropCopy(&wrec, id)
	}
}

// dropCopy handles a copy that has left the chip's caches: if others
// remain, a dirty copy hands its ownership to one of them; if it was the
// last, the package table decides (writeback, or keep it in a transaction's
// buffer).
func (p *pkg) dropCopy(v *copyRec, id mem.OpID) {
	var fs frefs
	p.frames(v.line, &fs)
	if fs.n > 0 {
		if v.dirty() {
			r := fs.fs[0]
			r.f.data = v.data
			if r.c != nil {
				r.c.step(r.f, ceHandOff, "hand-off")
			} else {
				p.stepL3(r.f, ceHandOff, "hand-off")
			}
		}
		return
	}
	ctx := pctx{line: v.line, id: id, data: v.data, vdirty: v.dirty()}
	if t := p.txn(v.line); t != nil {
		ctx.t = t
		st := t.st
		if st == pEX && ctx.vdirty {
			st = p.fire(&ctx, st, peDirty)
		}
		p.fire(&ctx, st, peLastCopy)
		return
	}
	st := v.pst
	if st == pE && ctx.vdirty {
		st = p.fire(&ctx, st, peDirty)
	}
	p.fire(&ctx, st, peLastCopy)
}

// ---------------------------------------------------------------------------
// The table machine.

// What a probe's row does when it only answers (pkg.ackOnly).
const (
	ackNone   uint8 = iota // something else: run the row
	ackNo                  // AckNo
	ackShared              // AckShared
)

type pctx struct {
	line mem.LineAddr
	t    *ptxn
	r    *req
	m    *mem.Msg
	id   mem.OpID
	// data is the copy that left (LastCopy, FlushLast; vdirty), or the
	// data captured for a response (have; dirty). One buffer serves both,
	// so that a context costs one 64-byte buffer to clear, not two:
	// captures are for probes, copies leave for requests and evictions,
	// and paFlushLocal and paVictim fail on a captured buffer, paData on
	// one that is not.
	data  mem.Data
	until sim.Time // Held: when the hold ends
	// The flags, side by side.
	ev     uint8
	vdirty bool
	dirty  bool
	have   bool
	free   bool
	wake   bool
	keep   bool // the message was deferred; do not free it
}

func (p *pkg) fail(line mem.LineAddr, st uint8, format string, args ...any) {
	sim.Failf(p.name, pStateNames[st], "line %v: %s", line, fmt.Sprintf(format, args...))
}

// fire runs the row for (st, ev) and returns the next state.
func (p *pkg) fire(ctx *pctx, st, ev uint8) uint8 {
	row := p.tab.lookup(st, ev)
	if row == nil {
		p.fail(ctx.line, st, "no transition for event %s%s", pEventNames[ev], p.ctxString(ctx))
	}
	p.tab.ran(st, ev)
	ctx.ev = ev
	ctx.free, ctx.wake = false, false
	p.act(ctx, st, row.acts())
	next := row.next
	t := ctx.t
	if transientP(next) {
		if t == nil {
			p.fail(ctx.line, st, "event %s: next state %s needs a transaction", pEventNames[ev], pStateNames[next])
		}
		t.st = next
	} else {
		if t != nil && !ctx.free {
			p.fail(ctx.line, st, "event %s: stable state %s with a live transaction", pEventNames[ev], pStateNames[next])
		}
		var ws *req
		demand, remote := false, false
		if t != nil {
			ws = t.waiters.take()
			demand = t.demand
			remote = t.kind == KGetS || t.kind == KGetM || t.kind == KUpg
			p.freeTxn(t)
		}
		// Record the state in the copies, unless nothing changed (or the
		// line left the chip: I has no copies to mark).
		if (next != st && next != pI) || t != nil {
			p.setP(ctx.line, next)
		}
		if ctx.wake {
			p.rerun(ws, remote)
		} else if ws != nil {
			p.fail(ctx.line, st, "event %s: transaction freed with waiters and no wake", pEventNames[ev])
		}
		if demand {
			p.retryMSHR()
		}
		return next
	}
	if ctx.wake {
		p.rerun(t.waiters.take(), true)
	}
	return next
}

func (p *pkg) ctxString(ctx *pctx) string {
	s := ""
	if ctx.r != nil {
		s += fmt.Sprintf(" (request %v)", ctx.r)
	}
	if ctx.m != nil {
		s += fmt.Sprintf(" (message %v)", ctx.m)
	}
	return s
}

// rerun re-runs requests that waited on a transaction; remote says the
// transaction brought the data from off chip.
func (p *pkg) rerun(r *req, remote bool) {
	for r != nil {
		next := r.next
		r.next = nil
		r.viaTxn = r.viaTxn || remote
		p.request(r)
		r = next
	}
}

func (p *pkg) newTxn(line mem.LineAddr, demand bool, id mem.OpID) *ptxn {
	if checkInvariants && p.txn(line) != nil {
		sim.Failf(p.name, pStateNames[p.txn(line).st], "line %v: a second transaction", line)
	}
	var t *ptxn
	if n := len(p.txnFree); n > 0 {
		t = p.txnFree[n-1]
		p.txnFree = p.txnFree[:n-1]
		*t = ptxn{}
	} else {
		t = new(ptxn)
	}
	p.s.txnSeq++
	t.line, t.txn, t.id, t.demand, t.started = line, p.s.txnSeq, id, demand, p.s.e.Now()
	t.home = p.s.homeOf(line)
	if demand {
		p.mshrU++
	}
	t.slot = len(p.live)
	p.live = append(p.live, t)
	p.byTxn[t.txn%numByTxn] = t
	p.txnLines[txnHash(line)]++
	p.lines = append(p.lines, line)
	return t
}

func (p *pkg) freeTxn(t *ptxn) {
	k := len(p.live) - 1
	last := p.live[k]
	p.live[t.slot], p.lines[t.slot] = last, last.line
	last.slot = t.slot
	p.live[k] = nil
	p.live, p.lines = p.live[:k], p.lines[:k]
	if t.demand {
		p.mshrU--
	}
	if p.byTxn[t.txn%numByTxn] == t {
		p.byTxn[t.txn%numByTxn] = nil
	}
	p.txnLines[txnHash(t.line)]--
	t.txn = 0
	p.txnFree = append(p.txnFree, t)
}

// retryMSHR restarts requests that waited for a package MSHR.
func (p *pkg) retryMSHR() {
	if p.retrying {
		return
	}
	p.retrying = true
	for p.mshrU < p.mshrN && !p.mshrQ.empty() {
		p.request(p.mshrQ.pop())
	}
	p.retrying = false
}

// request handles an on-chip request that reached the package.
func (p *pkg) request(r *req) {
	r.stage = stPkg
	line := r.line
	if p.l3 != nil && !r.l3seen && r.op != mem.OpFlush && r.op != mem.OpInvalidate {
		// Count each request once as an L3 access: hits where the L3
		// serves it, misses when neither its L2 nor the L3 has the line.
		r.l3seen = true
		if w := p.index.lookup(line); w == nil || w[r.l1.cl.idx] == 0 && w[p.l3Array()] == 0 {
			p.stats.L3Misses++
		}
	}
	ctx := pctx{line: line, r: r, id: r.id}
	var st uint8
	if t := p.txn(line); t != nil {
		ctx.t, st = t, t.st
	} else {
		var dirty bool
		st, dirty = p.sync(line)
		if st == pE && dirty {
			st = p.fire(&ctx, st, peDirty)
		}
	}
	var ev uint8
	switch {
	case r.op == mem.OpFlush || r.op == mem.OpInvalidate:
		ev = peFlush
		if f := r.l1.cl.find(line); f != nil {
			var fs frefs
			p.frames(line, &fs)
			if fs.n == 1 {
				ev = peFlushLast
			}
		}
	case opClass(r.op) == 1:
		ev = peWrite
	default:
		ev = peRead
	}
	if p.orderOnChip && !transientP(st) && p.needsOrder(r, st, ev) {
		ev += peReadX - peRead
	}
	// requestHeld finds nothing unless some line has deferred work or a
	// hold may be in force: its own first tests, made here without the
	// call.
	if p.hold > 0 && (p.nwait > 0 || p.holding()) {
		if u := p.requestHeld(r, st, ev); u != 0 {
			ctx.until = u
			ev = peHeld
		}
	}
	if row := p.tab.lookup(st, ev); row != nil && row.n > 0 && row.act[0] == paAlloc && p.mshrU >= p.mshrN {
		p.mshrQ.push(r)
		return
	}
	p.fire(&ctx, st, ev)
}

// receive handles a message from the network. Probes and forwards go
// through the probe engine (probeengine.go), which may defer them.
func (p *pkg) receive(m *mem.Msg) {
	switch m.Kind {
	case KPrbS, KPrbM, KFwdS, KFwdM:
		p.stats.ProbesIn++
		// The probe runs now if the engine is free (the common case;
		// always, with no occupancies: probeFree never passes now),
		// else waits for its slot.
		if now := p.s.e.Now(); p.probeFree <= now {
			p.probeFree = now + p.probeOcc
			p.runProbe(m)
		} else {
			p.deferProbe(m)
		}
		return
	}
	line := m.Line
	p.response(m)
	p.s.freeMsg(m)
	if checkInvariants {
		p.s.checkLine(line)
	}
}

// runProbe handles a probe the probe engine has taken.
func (p *pkg) runProbe(m *mem.Msg) {
	line := m.Line
	p.probe(m)
	if checkInvariants {
		p.s.checkLine(line)
	}
}

// respEvents[k] is the event of a response of kind k (a table: response
// runs for most messages a package receives); peRead, which is no
// message's event, for the kinds that are not responses.
var respEvents = [numKinds]uint8{KMem: peMem, KMemX: peMemX, KGrant: peGrant, KAck: peAck, KAckData: peAckData,
	KWbGo: peWbGo, KPutAck: pePutAck}

// response handles the home's answer to one of this package's requests,
// or a probe response.
func (p *pkg) response(m *mem.Msg) {
	line := m.Line
	var ev uint8
	if int(m.Kind) < len(respEvents) {
		ev = respEvents[m.Kind]
	}
	if ev == peRead {
		sim.Failf(p.name, "receive", "line %v: unexpected message %v", line, m)
	}
	// Entries of byTxn are live, and numbers unique: a match is the
	// line's transaction, as the scan would find it.
	t := p.byTxn[m.Txn%numByTxn]
	if t == nil || t.txn != m.Txn || t.line != line {
		t = p.txn(line)
		if t == nil || t.txn != m.Txn {
			st := uint8(pI)
			if t != nil {
				st = t.st
			}
			p.fail(line, st, "message %v matches no transaction", m)
		}
	}
	if ev == peAck && p.countAck[t.st] {
		// A probe response without data, most of what a request
		// waits for: its row only counts it (paCount, without the
		// dirty check, which is for AckData). The table machine runs
		// for the last one, in maybeComplete.
		p.tab.ran(t.st, peAck)
		t.got++
		t.shared = t.shared || m.Shared
		if t.homeSeen && t.got >= t.expect {
			ctx := pctx{line: line, m: m, id: m.ID, t: t}
			p.maybeComplete(&ctx)
		}
		return
	}
	ctx := pctx{line: line, m: m, id: m.ID, t: t}
	id := t.txn
	p.fire(&ctx, t.st, ev)
	// Still the same transaction? A freed one has txn 0, a reused one a
	// new number, and a line has one transaction at a time (newTxn), so
	// the number alone says it; no second scan of the live list.
	if t.txn == id {
		p.maybeComplete(&ctx)
	}
}

// probe handles a probe or forward from a home. It frees the message
// unless it keeps it: deferred by a fill hold, or sent on as the answer.
// (Freeing here keeps runProbe small enough to inline.)
func (p *pkg) probe(m *mem.Msg) {
	line := m.Line
	t := p.txn(line)
	k := m.Kind - KPrbS // PrbS 0, PrbM 1: the probes ackOnly covers
	var st, a uint8
	dirty := false
	switch {
	case t != nil:
		st = t.st
		if ordering(st) {
			// The copies are still the package's to write: merge what
			// the L1s wrote before answering.
			_, dirty = p.sync(line)
			dirty = dirty && st == pEX
		} else if k < 2 {
			a = p.ackOnly[st][k]
		}
	default:
		if i := p.index.slot(line); i < 0 {
			st = pI
		} else {
			st, dirty = p.syncRow(line, p.index.row(i))
			dirty = dirty && st == pE
		}
		if !dirty && k < 2 {
			a = p.ackOnly[st][k]
		}
	}
	if a != ackNone {
		// Most probes find a row that only answers: the line nowhere on
		// chip and no transaction on it (state I), a request of this
		// package's own on it still waiting (IS, IM: AckNo), or the
		// line on chip S and a read probe (AckShared). Their action,
		// without the table machine around it: no hold can apply (the
		// row takes no copy), and the state stays. The probe, done
		// with, becomes the answer (the receiver of a message may send
		// it on), without a message from the pool and m back to it.
		p.tab.ran(st, pePrbS+uint8(k))
		p.ack(m, m)
		m.Shared = a == ackShared
		p.respOut.push(m, 0)
		return
	}
	ctx := pctx{line: line, m: m, id: m.ID, t: t}
	if dirty {
		st = p.fire(&ctx, st, peDirty)
	}
	var ev, mode uint8
	switch m.Kind {
	case KPrbS:
		ev, mode = pePrbS, hmShare
	case KPrbM:
		ev, mode = pePrbM, hmInv
	case KFwdS:
		ev, mode = peFwdS, hmShare
	default:
		ev, mode = peFwdM, hmInv
	}
	if p.holding() {
		if u := p.heldUntil(line, nil, nil, mode); u != 0 && p.takes(st, ev) {
			ctx.until = u
			ev = peHeld
		}
	}
	p.fire(&ctx, st, ev)
	if !ctx.keep {
		p.s.freeMsg(m)
	}
}

// maybeComplete fires the end of a request transaction once the home's
// response and every probe response are in.
func (p *pkg) maybeComplete(ctx *pctx) {
	t := ctx.t
	if !t.homeSeen || t.got != t.expect {
		if t.homeSeen && t.got > t.expect {
			p.fail(t.line, t.st, "%d probe responses, expected %d", t.got, t.expect)
		}
		return
	}
	ctx.m = nil
	read := t.st == pIS || t.st == pISd || (t.st == pIX && t.kind == KGetS)
	switch {
	case ordering(t.st):
		p.fire(ctx, t.st, peOrdered)
	case read:
		if t.homeShared || t.shared {
			p.fire(ctx, t.st, peLastS)
		} else {
			p.fire(ctx, t.st, peLastE)
		}
	case t.st == pIM || t.st == pSM || t.st == pOM || t.st == pIX:
		if t.hasData || t.hasVic || p.hasFrames(t.line) {
			// Installing M invalidates the copies outside the requester's
			// cluster: wait for their holds.
			if p.holding() {
				if u := p.heldUntil(t.line, nil, t.cl, hmOthers); u != 0 {
					ctx.until = u
					p.fire(ctx, t.st, peHeld)
					return
				}
			}
			p.fire(ctx, t.st, peLastM)
		} else {
			p.fire(ctx, t.st, peNeedData)
		}
	}
}

// ---------------------------------------------------------------------------
// Actions.

func (p *pkg) msg(kind mem.Kind, class mem.Class, dst mem.NodeID, t *ptxn) *mem.Msg {
	m := p.s.newMsg()
	m.Kind, m.Class, m.Src, m.Dst, m.Requester = kind, class, p.node, dst, int(p.node)
	if t != nil {
		m.Line, m.Txn, m.ID = t.line, t.txn, t.id
	}
	return m
}

// act runs a row's actions in order. The loop is here rather than in fire:
// one call per row, not per action (most actions are a few instructions,
// and act's frame is large).
func (p *pkg) act(ctx *pctx, st uint8, acts []uint8) {
	for _, a := range acts {
		// Read for each action: paAlloc sets ctx.t.
		t := ctx.t
		line := ctx.line
		switch a {
		case paStall:
			t.waiters.push(ctx.r)
		case paAlloc:
			ctx.t = p.newTxn(line, true, ctx.id)
			ctx.t.cl, ctx.t.init = ctx.r.l1.cl, ctx.r
		case paAllocWB:
			ctx.t = p.newTxn(line, false, ctx.id)
		case paSendGetS, paSendGetM, paSendUpg:
			p.sendRequest(t, KGetS+mem.Kind(a-paSendGetS))
		case paSendPutM, paSendPutO, paSendPutE:
			k := KPutM + mem.Kind(a-paSendPutM)
			t.kind = k
			p.stats.Writebacks++
			m := p.msg(k, mem.ClassRequest, t.home, t)
			if p.dir && k != KPutE {
				m.Class, m.Data, m.Dirty = mem.ClassData, t.vic, true
			}
			p.s.send(m)
		case paSendOrdM:
			k := KGetM
			if t.cl.find(line) != nil {
				k = KUpg
			}
			p.sendRequest(t, k)
		case paRestore:
			p.restore(ctx, st)
		case paSendDataReq:
			p.s.send(p.msg(KDataReq, mem.ClassRequest, t.home, t))
		case paSendWbData:
			if !t.hasVic {
				p.fail(line, st, "writeback without data")
			}
			m := p.msg(KWbData, mem.ClassData, t.home, t)
			m.Data, m.Dirty = t.vic, true
			p.s.send(m)
		case paSendWbCancel:
			p.s.send(p.msg(KWbCancel, mem.ClassResponse, t.home, t))
		case paSendDone:
			m := p.msg(KDone, mem.ClassResponse, t.home, t)
			if t.kind == KGetS {
				m.Shared = ctx.ev == peLastS
				m.Dirty = t.dirtyRecv && !p.mesi // the previous owner kept O
				if t.dirtyRecv && p.mesi {
					m.Kind, m.Class, m.Data = KDoneData, mem.ClassData, t.data
				}
			}
			p.s.send(m)
		case paGrantRead:
			p.grantRead(ctx.r, t)
		case paGrantWrite:
			p.grantWrite(ctx.r)
		case paFlushLocal:
			c := ctx.r.l1.cl
			if f := c.find(line); f != nil {
				rec := copyRec{line: line, pst: f.pst, ok: true}
				rec.data, rec.st = c.drop(f, ceEvict)
				if ctx.have {
					p.fail(line, st, "flush with data captured")
				}
				ctx.data, ctx.vdirty = rec.data, rec.dirty()
				if ctx.ev == peFlush {
					p.dropCopy(&rec, ctx.id)
				}
			}
		case paComplete:
			ctx.r.src = SrcLocal
			if ctx.r.viaTxn {
				ctx.r.src = SrcRemote
			}
			p.finish(ctx.r, p.cfg.FromPackage)
		case paVictim:
			if ctx.have {
				p.fail(line, st, "victim buffer from data captured")
			}
			if ctx.vdirty || !t.hasVic {
				t.vic, t.vicDirty = ctx.data, ctx.vdirty
			}
			t.hasVic = true
		case paCapture:
			p.capture(ctx)
		case paShareAll, paShareAllS:
			ev := ceShare
			if a == paShareAllS {
				ev = ceShareS
			}
			if w := p.index.lookup(line); w != nil {
				cs := p.clusters
				w = w[:len(cs)+1]
				for k, i := range w[:len(cs)] {
					if i != 0 {
						c := cs[k]
						c.share(&c.arr.frames[i-1], ev)
					}
				}
				if i := w[len(cs)]; i != 0 {
					p.stepL3(&p.l3.frames[i-1], ev, "probe")
				}
			}
			if t != nil && ev == ceShareS {
				t.vicDirty = false
			}
		case paInvAll:
			if w := p.index.lookup(line); w != nil {
				var fs frefs
				p.framesOf(w, &fs)
				for i := 0; i < fs.n; i++ {
					p.dropRef(fs.fs[i], ceInv)
				}
			}
			if t != nil {
				t.hasVic, t.vicDirty = false, false
			}
		case paAckNo, paAckShared, paData, paDataShared:
			r := p.s.newMsg()
			p.ack(r, ctx.m)
			r.Shared = a == paAckShared || a == paDataShared
			if a == paData || a == paDataShared {
				if !ctx.have {
					p.fail(line, st, "data response without data")
				}
				r.Kind, r.Class, r.Data, r.Dirty = KAckData, mem.ClassData, ctx.data, ctx.dirty
				p.stats.ProbeData++
			}
			p.respOut.push(r, 0)
		case paHome:
			if t.homeSeen {
				p.fail(line, st, "two home responses")
			}
			t.homeSeen, t.expect, t.homeShared = true, ctx.m.Acks, ctx.m.Shared
		case paCount:
			t.got++
			t.shared = t.shared || ctx.m.Shared
			if ctx.m.Kind == KAckData && ctx.m.Dirty {
				t.dirtyRecv = true
			}
		case paBuf:
			m := ctx.m
			switch {
			case m.Kind == KAckData:
				if t.def && t.hasData && t.data != m.Data {
					p.fail(line, st, "two different definitive data responses")
				}
				t.data, t.hasData, t.def = m.Data, true, true
			case !t.def:
				t.data, t.hasData = m.Data, true
				t.def = m.Kind == KMemX
			}
		case paInstallEarly:
			if p.hasFrames(line) {
				p.fail(line, st, "early install with copies on chip")
			}
			t.cl.install(line, cS, pS, t.data, t.id)
		case paInstallS, paInstallE:
			p.installRead(ctx, a == paInstallE)
		case paInstallM:
			p.installM(ctx)
		case paFree:
			ctx.free = true
		case paWake:
			ctx.wake = true
		case paDefer:
			p.deferWork(ctx)
		default:
			p.fail(line, st, "unknown action %d", a)
		}
	}
}

// ack makes r this node's answer to probe m: an Ack for m's line and
// transaction, no data, not shared, to m's requester. r may be m itself
// (most probes become their own answer), and then the fields an Ack
// keeps are not written again. It sets the header only: an Ack carries
// no data (mem.Msg). Test builds check the header field by field against
// the whole Ack, so that a field added to mem.Header is not left behind.
func (p *pkg) ack(r, m *mem.Msg) {
	var want mem.Header
	if checkInvariants {
		want = mem.Header{Kind: KAck, Class: mem.ClassResponse, Src: p.node, Dst: mem.NodeID(m.Requester),
			Line: m.Line, Txn: m.Txn, ID: m.ID, Requester: m.Requester}
	}
	req := m.Requester
	if r != m {
		r.Line, r.Txn, r.ID, r.Requester = m.Line, m.Txn, m.ID, req
	}
	r.Kind, r.Class, r.Shared, r.Dirty = KAck, mem.ClassResponse, false, false
	r.Src, r.Dst, r.Unit, r.Acks = p.node, mem.NodeID(req), 0, 0
	if checkInvariants && r.Header != want {
		p.fail(r.Line, pI, "ack header %+v, want %+v", r.Header, want)
	}
}

// capture takes the freshest data of the line: a dirty copy, else any
// copy, else the transaction's victim buffer.
func (p *pkg) capture(ctx *pctx) {
	ctx.have, ctx.dirty = false, false
	if w := p.index.lookup(ctx.line); w != nil {
		// The last dirty frame in frames order, else the first.
		var src *frame
		cs := p.clusters
		w = w[:len(cs)+1]
		for k, i := range w[:len(cs)] {
			if i != 0 {
				if f := &cs[k].arr.frames[i-1]; src == nil || f.st == cO || f.st == cM {
					src = f
				}
			}
		}
		if i := w[len(cs)]; i != 0 {
			if f := &p.l3.frames[i-1]; src == nil || f.st == cO || f.st == cM {
				src = f
			}
		}
		ctx.data, ctx.have, ctx.dirty = src.data, true, src.st == cO || src.st == cM
	}
	if t := ctx.t; t != nil && t.hasVic && (!ctx.have || t.vicDirty) {
		ctx.data, ctx.have, ctx.dirty = t.vic, true, t.vicDirty
	}
}

// sendRequest sends t's request (GetS, GetM or Upg) to the line's home.
func (p *pkg) sendRequest(t *ptxn, k mem.Kind) {
	t.kind = k
	p.stats.Requests[k-KGetS]++
	p.reqOut.push(p.msg(k, mem.ClassRequest, t.home, t), 0)
}

// ordering reports whether st is an ordered on-chip transfer still holding
// the line (SX, EX, OX, MX; not IX, which lost it).
func ordering(st uint8) bool { return st >= pSX && st != pIX }

// needsOrder reports whether serving r on chip (package state st, event
// peRead or peWrite) would take a sibling cluster's copy of a line homed
// on another node: from its L2 for a read the requester's own L2 and the
// L3 cannot serve, or by invalidating it for a write the package may make.
// The home orders such a transfer first (orderedOnChip in tables.go).
//
// The cheap tests come first, and one index lookup serves them all: the
// home's is a search of the memory ranges, and most requests that get
// here find no sibling's copy to take.
func (p *pkg) needsOrder(r *req, st, ev uint8) bool {
	if r.ordered {
		return false
	}
	read := ev == peRead && st != pI
	if !read && (ev != peWrite || st != pE && st != pM) {
		return false
	}
	w := p.index.lookup(r.line)
	if w == nil {
		return false
	}
	c := r.l1.cl
	if read && (w[c.idx] != 0 || w[p.l3Array()] != 0) {
		return false
	}
	for k, d := range p.clusters {
		if d != c && w[k] != 0 {
			return p.s.homeOf(r.line) != p.node
		}
	}
	return false
}

// restore ends an ordering transaction (state st): its request may now be
// served on chip, and a dirty copy evicted meanwhile goes back to the
// requester's cluster.
func (p *pkg) restore(ctx *pctx, st uint8) {
	t := ctx.t
	t.init.ordered = true
	if !t.hasVic || p.hasFrames(t.line) {
		t.hasVic = false
		return
	}
	cst := uint8(cS)
	switch st {
	case pEX:
		cst = cE
	case pOX:
		cst = cO
	case pMX:
		cst = cM
	}
	t.hasVic = false
	t.cl.install(t.line, cst, pS, t.vic, t.id)
}

// finish completes an on-chip request after d.
func (p *pkg) finish(r *req, d sim.Time) {
	r.l1.cl.release(r)
	r.l1.completeAt(r, d)
}

// grantRead serves a read on chip: from the requester's own L2, the L3, a
// sibling cluster, or the transaction's buffer.
func (p *pkg) grantRead(r *req, t *ptxn) {
	c := r.l1.cl
	line := r.line
	lat := p.cfg.FromPackage
	f := c.find(line)
	r.src = SrcLocal
	if f == nil && p.l3 != nil {
		if g := p.findL3(line); g != nil {
			st, pst, data := g.st, g.pst, g.data
			p.stepL3(g, ceEvict, "move to L2")
			f = c.install(line, st, pst, data, r.id)
			lat += p.l3lat
			p.stats.L3Hits++
			r.src = SrcL3
		}
	}
	if f == nil {
		for _, d := range p.clusters {
			if d == c {
				continue
			}
			if g := d.find(line); g != nil {
				d.share(g, ceShare)
				f = c.install(line, cS, g.pst, g.data, r.id)
				lat += p.siblingProbe(r)
				break
			}
		}
	}
	if f == nil && t != nil && t.hasVic {
		st := uint8(cS)
		if t.vicDirty {
			st = cO
		}
		f = c.install(line, st, pS, t.vic, r.id)
		t.hasVic, t.vicDirty = false, false
	}
	if f == nil {
		p.fail(line, pS, "read granted with no copy on chip (request %v)", r)
	}
	if r.viaTxn && r.src == SrcLocal {
		r.src = SrcRemote
	}
	c.fillL1(r.l1, f, r)
	p.finish(r, lat)
}

// grantWrite serves a write on chip (package E or M): every other copy is
// invalidated and the requester's L2 gets the line M.
func (p *pkg) grantWrite(r *req) {
	c := r.l1.cl
	line := r.line
	var fs frefs
	p.frames(line, &fs)
	var data mem.Data
	have, other, inL3 := false, false, false
	var own *frame
	for i := 0; i < fs.n; i++ {
		ref := fs.fs[i]
		d := ref.f.st == cO || ref.f.st == cM
		if !have || d {
			data, have = ref.f.data, true
		}
		if ref.c == c {
			own = ref.f
			continue
		}
		if ref.c == nil {
			inL3 = true
		} else {
			other = true
		}
		p.dropRef(ref, ceInv)
	}
	if !have {
		p.fail(line, pM, "write granted with no copy on chip (request %v)", r)
	}
	lat := p.cfg.FromPackage
	r.src = SrcLocal
	switch {
	case other:
		lat += p.siblingProbe(r)
	case inL3:
		lat += p.l3lat
		p.stats.L3Hits++
		r.src = SrcL3
	}
	if r.viaTxn && r.src == SrcLocal {
		r.src = SrcRemote
	}
	if own == nil {
		own = c.install(line, cM, pM, data, r.id)
	} else {
		own.data = data
		c.step(own, ceGrantM, "grant write")
	}
	c.fillL1(r.l1, own, r)
	p.finish(r, lat)
}

// installRead ends a read transaction: the line goes to the requester's
// cluster unless a copy is already on chip.
func (p *pkg) installRead(ctx *pctx, excl bool) {
	t := ctx.t
	w := p.index.lookup(t.line)
	if w == nil {
		data := t.data
		if !t.hasData {
			if !t.hasVic {
				p.fail(t.line, t.st, "read completes without data")
			}
			data = t.vic
		}
		st := uint8(cS)
		if excl {
			st = cE
		}
		t.cl.install(t.line, st, pS, data, t.id)
		t.hasVic = false
		return
	}
	if excl {
		var fs frefs
		p.framesOf(w, &fs)
		if fs.n == 1 {
			f := fs.fs[0]
			if f.c != nil {
				f.c.step(f.f, ceGrantE, "exclusive")
			} else {
				p.stepL3(f.f, ceGrantE, "exclusive")
			}
		}
	}
	t.hasVic = false
}

// installM ends a write transaction: the requester's cluster gets the line
// M with the freshest data; every other on-chip copy is invalidated.
func (p *pkg) installM(ctx *pctx) {
	t := ctx.t
	line := t.line
	var fs frefs
	p.frames(line, &fs)
	var data mem.Data
	have := false
	var own *frame
	for i := 0; i < fs.n; i++ {
		ref := fs.fs[i]
		if ref.c != nil {
			ref.c.pull(line, ref.f)
		}
		d := ref.f.st == cO || ref.f.st == cM
		if !have || d {
			data, have = ref.f.data, true
		}
		if ref.c == t.cl {
			own = ref.f
			continue
		}
		p.dropRef(ref, ceInv)
	}
	if !have && t.hasVic {
		data, have = t.vic, true
	}
	if !have && t.hasData {
		data, have = t.data, true
	}
	if !have {
		p.fail(line, t.st, "write completes without data")
	}
	t.hasVic = false
	if own == nil {
		t.cl.install(line, cM, pM, data, t.id)
	} else {
		own.data = data
		t.cl.step(own, ceGrantM, "write complete")
	}
}
