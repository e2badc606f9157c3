package cache

import (
	"fmt"

	"mksim/sim"
	"mksim/sim/mem"
)

// Source says where an access found its data; the probe and the counters
// use it.
type Source uint8

const (
	SrcL1      Source = iota // L1 hit
	SrcL2                    // L2 hit
	SrcL3                    // L3 hit
	SrcPackage               // another cluster's cache on the same package
	SrcRemote                // off chip: memory or another node's cache
	SrcLocal                 // on chip, no data moved (permission or flush)
	numSources
)

var sourceNames = [...]string{"L1", "L2", "L3", "package", "remote", "local"}

func (s Source) String() string {
	if s < numSources {
		return sourceNames[s]
	}
	return fmt.Sprintf("Source(%d)", uint8(s))
}

// req stages, for dumps.
const (
	stFree   uint8 = iota
	stL2           // waiting for the L2 lookup
	stL2Wait       // waiting for an L2 MSHR
	stToPkg        // on its way to the package controller
	stPkg          // at the package: waiting for a transaction or an MSHR
	stDone         // performed; completion on its way to the core
	stHeld         // at the package: waiting for another L1's fill hold to end
	numStages
)

var stageNames = [...]string{"free", "L2-lookup", "L2-mshr-wait", "to-package", "at-package", "completing", "hold-wait"}

// req is one L1 MSHR: a miss from issue to completion.
type req struct {
	gid     int
	idx     int
	l1      *L1
	op      mem.Op
	addr    mem.Addr
	line    mem.LineAddr
	val     uint64
	old     uint64
	id      mem.OpID
	done    mem.Completion
	result  uint64
	issued  sim.Time
	stage   uint8
	src     Source
	holdsL2 bool
	viaTxn  bool // waited for an off-chip transaction
	ordered bool // the home has ordered its on-chip transfer (orderedOnChip)
	l3seen  bool // counted as an L3 access
	next    *req
}

func (r *req) String() string {
	return fmt.Sprintf("core%d %v %v op %d issued %v stage %s", r.l1.core, r.op, r.addr, r.id, r.issued, stageNames[r.stage])
}

// reqQueue is an intrusive FIFO of reqs.
type reqQueue struct{ head, tail *req }

func (q *reqQueue) push(r *req) {
	r.next = nil
	if q.tail == nil {
		q.head = r
	} else {
		q.tail.next = r
	}
	q.tail = r
}

func (q *reqQueue) pop() *req {
	r := q.head
	if r != nil {
		q.head = r.next
		if q.head == nil {
			q.tail = nil
		}
		r.next = nil
	}
	return r
}

func (q *reqQueue) empty() bool { return q.head == nil }

// take detaches and returns the whole list.
func (q *reqQueue) take() *req {
	r := q.head
	q.head, q.tail = nil, nil
	return r
}

// L1Stats counts a core's L1 accesses.
type L1Stats struct {
	Hits       uint64 // fast-path hits
	Misses     uint64 // accesses that went through Issue
	BySource   [numSources]uint64
	Prefetches uint64
	Dropped    uint64 // prefetches dropped for want of an MSHR
}

// L1 is a core's private L1 data cache and its mem.Port.
type L1 struct {
	// What Hit reads, first: the array, the hit tables (copies of the
	// system's, no pointer to chase), the latency, the hit counter.
	arr     array
	hitOp   [numOps][numL1States]uint8
	hitNext [2][numL1States]uint8
	lat     sim.Time
	stats   L1Stats

	s    *System
	core int
	cl   *cluster
	mshr []req
	free []int
	pend struct {
		ok   bool
		a    mem.Access
		done mem.Completion
	}
	pfq     []mem.Completion // prefetch completions due now
	name    string
	lastSrc Source

	// The core's watch (WatchLine): one line at a time.
	watchOn   bool
	watchLine mem.LineAddr
	watchFn   func(mem.LineAddr)
}

const (
	evL2 = iota
	evComplete
	evPrefAck
)

func newL1(s *System, core int, cl *cluster, lv Level) *L1 {
	n := lv.MSHRs
	if n <= 0 {
		n = 1
	}
	l := &L1{s: s, core: core, cl: cl, arr: newArray(lv), lat: lv.Latency, hitOp: s.tabs.hitOp, hitNext: s.tabs.hitNext,
		mshr: make([]req, n), name: fmt.Sprintf("core%d.L1", core)}
	for i := n - 1; i >= 0; i-- {
		r := &l.mshr[i]
		r.gid, r.idx, r.l1 = len(s.reqs), i, l
		s.reqs = append(s.reqs, r)
		l.free = append(l.free, i)
	}
	// Reverse so slot 0 is used first.
	for i, j := 0, len(l.free)-1; i < j; i, j = i+1, j-1 {
		l.free[i], l.free[j] = l.free[j], l.free[i]
	}
	return l
}

// Name names the L1 in panics and traces.
func (l *L1) Name() string { return l.name }

// Stats returns the L1's counters.
func (l *L1) Stats() L1Stats { return l.stats }

// LastSource is where the most recent completed miss found its data.
func (l *L1) LastSource() Source { return l.lastSrc }

func opClass(op mem.Op) int {
	if op == mem.OpLoad || op == mem.OpPrefetch {
		return 0
	}
	return 1
}

// perform does op on the word of d and returns the word's previous value.
func perform(d *mem.Data, op mem.Op, a mem.Addr, val, old uint64) uint64 {
	w := &d[a.Word()]
	prev := *w
	switch op {
	case mem.OpStore, mem.OpSwap:
		*w = val
	case mem.OpCAS:
		if prev == old {
			*w = val
		}
	case mem.OpFetchAdd:
		*w = prev + val
	}
	return prev
}

// Hit is the fast path: if the L1 holds the line with enough permission the
// access is performed now and its latency returned. No event, no
// allocation, no map.
func (l *L1) Hit(a *mem.Access) (uint64, sim.Time, bool) {
	op := a.Op
	line := a.Addr.Line()
	fs, ws := l.arr.frames, l.arr.ws
	i := l.arr.first(line)
	for end := i + l.arr.ways*ws; i < end; i += ws {
		f := &fs[i]
		if f.tag != line {
			continue
		}
		// hitOp's rows for Flush and Invalidate are all hitMiss.
		nx := l.hitOp[op][f.st]
		if nx == hitMiss {
			return 0, 0, false
		}
		f.st = nx
		l.arr.touch(f)
		l.stats.Hits++
		// Loads first: three quarters of the benchmarks' operations.
		if op == mem.OpLoad {
			return f.data[a.Addr.Word()], l.lat, true
		}
		if op == mem.OpPrefetch || op == mem.OpPrefetchW {
			return 0, l.lat, true
		}
		res := perform(&f.data, op, a.Addr, a.Value, a.Old)
		if checkInvariants && opClass(op) == 1 {
			l.s.checkLine(line)
		}
		return res, l.lat, true
	}
	return 0, 0, false
}

// Issue starts a miss. done.Complete is called from an event once the
// access has been performed (prefetches: at once, while the fill goes on).
func (l *L1) Issue(a *mem.Access, done mem.Completion) {
	prefetch := a.Op == mem.OpPrefetch || a.Op == mem.OpPrefetchW
	if prefetch {
		l.stats.Prefetches++
		if done != nil {
			l.pfq = append(l.pfq, done)
			l.s.e.After(0, l, evPrefAck)
		}
		done = nil
	}
	if len(l.free) == 0 {
		if prefetch {
			l.stats.Dropped++
			return
		}
		if l.pend.ok {
			sim.Failf(l.name, "issue", "two demand accesses outstanding (%v while %v waits)", a, &l.pend.a)
		}
		l.pend.ok, l.pend.a, l.pend.done = true, *a, done
		return
	}
	l.start(a, done)
}

func (l *L1) start(a *mem.Access, done mem.Completion) {
	n := len(l.free) - 1
	idx := l.free[n]
	l.free = l.free[:n]
	r := &l.mshr[idx]
	r.op, r.addr, r.line, r.val, r.old, r.id = a.Op, a.Addr, a.Addr.Line(), a.Value, a.Old, a.ID
	r.done, r.result, r.issued, r.stage, r.src, r.viaTxn, r.l3seen, r.ordered = done, 0, l.s.e.Now(), stL2, SrcL2, false, false, false
	l.stats.Misses++
	if l.cl.find(r.line) == nil {
		// The L2 does not have it either: go straight on to the package
		// (one event fewer). Should the line reach the L2 meanwhile, the
		// package serves it from there.
		l.cl.stats.Misses++
		l.cl.toPackageAfter(r, l.lat+l.cl.lat)
		return
	}
	e := l.s.e
	e.Post(e.Now()+l.lat+l.cl.lat, l, uint64(idx)<<2|evL2)
}

// completeAt schedules the completion of r, which has just been performed,
// after d. A demand access holds the line until the fill hold after that.
func (l *L1) completeAt(r *req, d sim.Time) {
	r.stage = stDone
	if p := l.cl.pkg; p.hold > 0 && r.done != nil && r.op != mem.OpFlush && r.op != mem.OpInvalidate {
		p.addHold(l, r.line, opClass(r.op) == 1, l.s.e.Now()+d)
	}
	l.s.e.Post(l.s.e.Now()+d, l, uint64(r.idx)<<2|evComplete)
}

// Handle runs the L1's events: the L2 lookup of a miss, a completion.
func (l *L1) Handle(arg uint64) {
	idx := int(arg >> 2)
	switch arg & 3 {
	case evL2:
		r := &l.mshr[idx]
		l.cl.lookup(r)
		if checkInvariants {
			l.s.checkLine(r.line)
		}
	case evComplete:
		r := &l.mshr[idx]
		done, res := r.done, r.result
		l.stats.BySource[r.src]++
		l.lastSrc = r.src
		r.stage, r.done = stFree, nil
		l.free = append(l.free, idx)
		if l.pend.ok {
			l.pend.ok = false
			a, d := l.pend.a, l.pend.done
			l.pend.done = nil
			l.start(&a, d)
		}
		if done != nil {
			done.Complete(res)
		}
	case evPrefAck:
		d := l.pfq[0]
		copy(l.pfq, l.pfq[1:])
		l.pfq[len(l.pfq)-1] = nil
		l.pfq = l.pfq[:len(l.pfq)-1]
		d.Complete(0)
	}
}

// l1Step applies the L1 table to frame f of l for event ev; l2 is the
// cluster's frame for the same line (the target of writebacks).
func (l *L1) step(f *frame, ev uint8, l2 *frame) {
	r := l.s.tabs.l1.lookup(f.st, ev)
	if r == nil {
		sim.Failf(l.name, l1StateNames[f.st], "line %v: no transition for event %s", f.tag, l1EventNames[ev])
	}
	for _, a := range r.acts() {
		if a == l1aWriteback {
			if l2 == nil || l2.tag != f.tag {
				sim.Failf(l.name, l1StateNames[f.st], "line %v: dirty L1 line has no L2 frame (inclusion broken)", f.tag)
			}
			l2.data = f.data
			l.cl.step(l2, ceDirty, "l1 writeback")
		}
	}
	f.st = r.next
	if r.next == l1I {
		line := f.tag
		f.invalidate()
		if l.watchOn && line == l.watchLine {
			l.watchOn = false
			l.watchFn(line)
		}
	}
}

// WatchLine registers a one-shot watch on this L1's copy of line and
// reports true, or reports false if the L1 does not hold the line. fn(line)
// is called once, from the event in which the copy stops being valid:
// invalidated for another core's write (on chip or off), probed away,
// evicted or flushed. A downgrade that keeps the copy readable (M or E to
// S, when another core reads the line) is not reported: the data the core
// polls has not changed. fn is never called from inside WatchLine. An L1
// keeps one watch: a new one replaces the old. fn is stored, not copied,
// so a caller that passes the same func each time allocates nothing.
// (sim/cores' Watcher is implemented over this by sim/machine, which can
// import both packages.)
func (l *L1) WatchLine(line mem.LineAddr, fn func(mem.LineAddr)) bool {
	if l.arr.lookup(line) == nil {
		l.watchOn = false
		return false
	}
	l.watchOn, l.watchLine, l.watchFn = true, line, fn
	return true
}

// UnwatchLine cancels the watch on line if it has not fired; otherwise it
// does nothing.
func (l *L1) UnwatchLine(line mem.LineAddr) {
	if l.watchOn && l.watchLine == line {
		l.watchOn = false
	}
}
