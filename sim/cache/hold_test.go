package cache

import (
	"fmt"
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// timedOp issues one access from core at a given engine time (Hit, else
// Issue) and records when it completed and what it returned; then, if set,
// runs from the completing event.
type timedOp struct {
	s    *System
	core int
	a    mem.Access
	done bool
	hit  bool
	res  uint64
	at   sim.Time
	then func(o *timedOp)
}

func (o *timedOp) schedule(at sim.Time) { o.s.e.Schedule(at, o, 0) }

func (o *timedOp) Handle(uint64) {
	if v, _, ok := o.s.Port(o.core).Hit(&o.a); ok {
		o.hit = true
		o.Complete(v)
		return
	}
	o.s.Port(o.core).Issue(&o.a, o)
}

func (o *timedOp) Complete(v uint64) {
	o.done, o.res, o.at = true, v, o.s.e.Now()
	if o.then != nil {
		o.then(o)
	}
}

// hit performs a on core's L1 fast path and reports whether it hit.
func hit(s *System, core int, op mem.Op, a mem.Addr, v uint64) (uint64, bool) {
	acc := mem.Access{Op: op, Addr: a, Value: v}
	res, _, ok := s.Port(core).Hit(&acc)
	return res, ok
}

// holdCase is a writer core and a reader core around one line.
type holdCase struct {
	c       tconf
	writer  int // stores the line's eight words: one miss, then the run
	reader  int
	warm    int // core that has the line dirty before (-1: nobody)
	line    mem.Addr
	maxSkew sim.Time // the reader starts at every offset in [-maxSkew, maxSkew] of the writer
	racy    bool     // without the hold, some offset steals the line from the writer
}

func holdCases() []holdCase {
	on := tconf{scheme: Broadcast, nodes: 2, cores: 4, l3: true, big: true}
	return []holdCase{
		// On chip: the writer's store is performed at the package; the
		// reader's load reaches the package before the completion.
		{c: on, writer: 0, reader: 1, warm: 1, line: 0x1000, maxSkew: 40 * sim.Nanosecond, racy: true},
		{c: on, writer: 0, reader: 1, warm: 2, line: 0x1000, maxSkew: 40 * sim.Nanosecond, racy: true},
		{c: tconf{scheme: Directory, nodes: 2, cores: 4, cluster: 2, big: true}, writer: 0, reader: 1, warm: 2, line: 0x1000, maxSkew: 40 * sim.Nanosecond, racy: true},
		// Off chip: the reader's probe reaches the writer's package while
		// the writer's on-chip transfer completes.
		{c: on, writer: 0, reader: 4, warm: 2, line: 0x1000, maxSkew: 80 * sim.Nanosecond, racy: true},
		{c: tconf{scheme: Directory, nodes: 4, cores: 2, l3: true, big: true}, writer: 0, reader: 6, warm: 1, line: 0x1000, maxSkew: 120 * sim.Nanosecond, racy: true},
		// The writer's miss goes off chip: the home orders the reader's
		// request after the writer's transaction, which protects the
		// writer even without the hold.
		{c: on, writer: 0, reader: 4, warm: 4, line: memPerNode + 0x1000, maxSkew: 120 * sim.Nanosecond},
		// The writer hits in its shared L2: no window.
		{c: tconf{scheme: SnoopFilter, nodes: 2, cores: 2, cluster: 2, mesi: true, hub: true, big: true}, writer: 0, reader: 2, warm: 1, line: 0x1000, maxSkew: 120 * sim.Nanosecond},
	}
}

// drainGap is the store buffer's drain rate in these tests: one store per
// cycle of a 2 GHz core (sim/cores' default).
const drainGap = 500 * sim.Picosecond

// storeBuffer drains a core's stores into its L1 in order, one per gap,
// as a TSO store buffer does: a store that misses is issued, and the next
// one drains a gap after its completion.
type storeBuffer struct {
	s      *System
	core   int
	q      []mem.Access
	head   int
	a      mem.Access
	missed []int // indices (in push order) of the stores that missed
	pushed int
	busy   bool
	empty  func() // called when the buffer has drained
}

func (b *storeBuffer) push(a mem.Access) {
	b.q = append(b.q, a)
	if !b.busy {
		b.busy = true
		b.s.e.After(drainGap, b, 0)
	}
}

func (b *storeBuffer) Handle(uint64) {
	if _, _, ok := b.s.Port(b.core).Hit(&b.q[b.head]); ok {
		b.pop()
		return
	}
	b.missed = append(b.missed, b.pushed+b.head)
	b.a = b.q[b.head]
	b.s.Port(b.core).Issue(&b.a, b)
}

func (b *storeBuffer) Complete(uint64) { b.pop() }

func (b *storeBuffer) pop() {
	b.head++
	if b.head < len(b.q) {
		b.s.e.After(drainGap, b, 0)
		return
	}
	b.pushed += len(b.q)
	b.q, b.head, b.busy = b.q[:0], 0, false
	if b.empty != nil {
		b.empty()
	}
}

// sendAt schedules the eight stores of a message (seven payload words,
// then the header word 7) into b at time at.
type sendAt struct {
	b    *storeBuffer
	line mem.Addr
	v    uint64
}

func (x *sendAt) Handle(uint64) {
	for i := 0; i < mem.WordsPerLine; i++ {
		x.b.push(mem.Access{Op: mem.OpStore, Addr: x.line + mem.Addr(8*i), Value: x.v})
	}
}

// runStoreRun has the writer send a message (eight stores to one line
// through a store buffer; the first misses) and the reader load word 7 at
// the writer's start + skew. It returns how many of the seven stores behind
// the miss missed too, and the value the reader saw.
func runStoreRun(t *testing.T, hc holdCase, skew sim.Time) (int, uint64) {
	t.Helper()
	e, s, _ := hc.c.build(t, 1)
	if hc.warm >= 0 {
		store(s, hc.warm, hc.line, 0)
		s.Settle()
	}
	start := e.Now() + 200*sim.Nanosecond
	sb := &storeBuffer{s: s, core: hc.writer}
	e.Schedule(start, &sendAt{b: sb, line: hc.line, v: 1}, 0)
	r := &timedOp{s: s, core: hc.reader, a: mem.Access{Op: mem.OpLoad, Addr: hc.line + 56}}
	r.schedule(start + skew)
	s.Settle()
	if sb.pushed != mem.WordsPerLine || !r.done {
		t.Fatalf("skew %v: accesses did not complete", skew)
	}
	if len(sb.missed) == 0 || sb.missed[0] != 0 {
		t.Fatalf("skew %v: the writer's first store hit; the case does not test a fill", skew)
	}
	if err := s.CheckLine(hc.line.Line()); err != nil {
		t.Fatalf("skew %v: %v", skew, err)
	}
	return len(sb.missed) - 1, r.res
}

// TestFillHoldStoreRun: once a missing store completes, the stores queued
// behind it to the same line drain (one per cycle) without missing,
// whenever another core's load of the line (on chip or off) arrives; and
// that load sees the whole message or none of it. With the hold disabled, some timing steals the line in
// between.
func TestFillHoldStoreRun(t *testing.T) {
	for _, hc := range holdCases() {
		t.Run(fmt.Sprintf("%v/w%d/r%d/warm%d", hc.c, hc.writer, hc.reader, hc.warm), func(t *testing.T) {
			for skew := -hc.maxSkew; skew <= hc.maxSkew; skew += sim.Nanosecond {
				missed, v := runStoreRun(t, hc, skew)
				if missed != 0 {
					t.Fatalf("skew %v: %d of the 7 stores behind the miss missed", skew, missed)
				}
				if v != 0 && v != 1 {
					t.Fatalf("skew %v: reader saw %d", skew, v)
				}
			}
			if !hc.racy {
				return
			}
			off := hc
			off.c.hold = -1
			stolen := 0
			for skew := -hc.maxSkew; skew <= hc.maxSkew; skew += sim.Nanosecond {
				if missed, _ := runStoreRun(t, off, skew); missed > 0 {
					stolen++
				}
			}
			if stolen == 0 {
				t.Errorf("without the hold no timing steals the line: the case tests nothing")
			}
		})
	}
}

// TestFillHoldRead: a load that missed keeps its line for the hold after
// its completion, whenever another core's store arrives: the loads behind
// it hit. The store then completes, and a later load sees it.
func TestFillHoldRead(t *testing.T) {
	for _, hc := range holdCases() {
		hc.writer, hc.reader = hc.reader, hc.writer
		t.Run(fmt.Sprintf("%v/w%d/r%d/warm%d", hc.c, hc.writer, hc.reader, hc.warm), func(t *testing.T) {
			for skew := -hc.maxSkew; skew <= hc.maxSkew; skew += sim.Nanosecond {
				e, s, _ := hc.c.build(t, 1)
				if hc.warm >= 0 {
					store(s, hc.warm, hc.line, 7)
					s.Settle()
				}
				start := e.Now() + 200*sim.Nanosecond
				missed, late := 0, 0
				var probe timedOp
				r := &timedOp{s: s, core: hc.reader, a: mem.Access{Op: mem.OpLoad, Addr: hc.line}}
				r.then = func(o *timedOp) {
					for i := 1; i < mem.WordsPerLine; i++ {
						if _, ok := hit(s, hc.reader, mem.OpLoad, hc.line+mem.Addr(8*i), 0); !ok {
							missed++
						}
					}
					// Half a hold later the line is still there.
					probe = timedOp{s: s, core: hc.reader, a: mem.Access{Op: mem.OpLoad, Addr: hc.line + 8}}
					probe.schedule(o.at + DefaultFillHold/2)
				}
				w := &timedOp{s: s, core: hc.writer, a: mem.Access{Op: mem.OpStore, Addr: hc.line, Value: 9}}
				r.schedule(start)
				w.schedule(start + skew)
				s.Settle()
				if !r.done || !w.done || !probe.done {
					t.Fatalf("skew %v: accesses did not complete", skew)
				}
				if r.hit {
					continue // the writer got there first and the reader hit nothing new
				}
				if !probe.hit {
					late++
				}
				if missed != 0 || late != 0 {
					t.Fatalf("skew %v: %d loads behind the miss missed; load half a hold later hit: %v", skew, missed, probe.hit)
				}
				if r.res != 7 && r.res != 9 {
					t.Fatalf("skew %v: reader saw %d", skew, r.res)
				}
				if v := load(s, hc.reader, hc.line); v != 9 {
					t.Fatalf("skew %v: after the store, load sees %d", skew, v)
				}
				if err := s.CheckLine(hc.line.Line()); err != nil {
					t.Fatalf("skew %v: %v", skew, err)
				}
			}
		})
	}
}

// TestFillHoldWaitOutlivesState: work deferred on a hold runs again in
// whatever state the line reached meanwhile (here the holder's copy is
// evicted and written back while two reads wait).
func TestFillHoldWaitOutlivesState(t *testing.T) {
	for _, c := range []tconf{
		// local: the line is homed on the other node, and the read must be
		// served on chip to wait on the hold.
		{scheme: Broadcast, nodes: 2, cores: 3, big: true, hold: 100 * sim.Nanosecond, local: true},
		{scheme: Directory, nodes: 2, cores: 3, big: true, hold: 100 * sim.Nanosecond},
		{scheme: Broadcast, nodes: 2, cores: 3, l3: true, big: true, hold: 100 * sim.Nanosecond, local: true},
	} {
		t.Run(c.String(), func(t *testing.T) {
			e, s, _ := c.build(t, 1)
			a := mem.Addr(memPerNode + 0x400)
			store(s, 0, a, 5)
			s.Settle()
			start := e.Now() + 200*sim.Nanosecond // past the store's own hold
			w := &timedOp{s: s, core: 1, a: mem.Access{Op: mem.OpStore, Addr: a, Value: 6}}
			r1 := &timedOp{s: s, core: 0, a: mem.Access{Op: mem.OpLoad, Addr: a}}
			r2 := &timedOp{s: s, core: 2, a: mem.Access{Op: mem.OpLoad, Addr: a}}
			w.schedule(start)
			r1.schedule(start + 10*sim.Nanosecond)
			e.RunUntil(start + 60*sim.Nanosecond)
			if p := s.pkgs[0]; p.takes(pM, peHeld) {
				t.Fatal("the Held row takes copies")
			}
			if !w.done || r1.done {
				t.Logf("%s", s.DumpInFlight())
				t.Fatalf("write done %v, read done %v: the read should wait on the write's hold", w.done, r1.done)
			}
			if st := s.pkgs[0].waitFor(a.Line()); st == nil {
				t.Fatalf("no wait on the line\n%s", s.DumpInFlight())
			}
			s.EvictL2(1, a) // the holder's copy leaves; the read still waits
			r2.schedule(e.Now())
			s.Settle()
			if !r1.done || !r2.done || r1.res != 6 || r2.res != 6 {
				t.Fatalf("reads %v %d, %v %d; want 6 and 6", r1.done, r1.res, r2.done, r2.res)
			}
			if !c.l3 {
				if tb := s.tabs.pkg; tb.lookup(pMI, peHeld) == nil || tb.hits[int(pMI)*tb.nev+int(peHeld)] == 0 {
					t.Errorf("the second read did not wait behind the first in MI")
				}
			}
			if r1.at < start+100*sim.Nanosecond {
				t.Errorf("read completed at %v, inside the hold", r1.at-start)
			}
			if err := s.CheckLine(a.Line()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// urpcEnd is one side of a one-line URPC channel pair over the fake
// network: it sends by storing seven payload words then the header through
// a store buffer, and receives by polling the other line's header every
// poll, then loading the payload.
type urpcEnd struct {
	s          *System
	core       int
	out, in    mem.Addr
	poll       sim.Time
	seq, want  uint64
	sb         *storeBuffer
	send       sendAt
	loadMiss   int
	recvd      int
	n          int
	peer       *urpcEnd
	finishedAt sim.Time
	a          mem.Access
}

const urpcPoll = 0

func newURPCEnd(s *System, core int, out, in mem.Addr, n int) *urpcEnd {
	u := &urpcEnd{s: s, core: core, out: out, in: in, poll: 2 * sim.Nanosecond, want: 1, n: n}
	u.sb = &storeBuffer{s: s, core: core}
	u.sb.empty = func() {
		if u.recvd < u.n {
			u.s.e.After(0, u, urpcPoll)
		}
	}
	u.send = sendAt{b: u.sb, line: out}
	return u
}

func (u *urpcEnd) sendMsg(v uint64) {
	u.send.v = v
	u.send.Handle(0)
}

func (u *urpcEnd) Handle(arg uint64) {
	if arg == urpcPoll {
		u.pollOnce()
	}
}

func (u *urpcEnd) pollOnce() {
	a := mem.Access{Op: mem.OpLoad, Addr: u.in + 56}
	if v, _, ok := u.s.Port(u.core).Hit(&a); ok {
		u.got(v)
		return
	}
	u.loadMiss++
	u.a = a
	u.s.Port(u.core).Issue(&u.a, loadDone{u})
}

type loadDone struct{ u *urpcEnd }

func (d loadDone) Complete(v uint64) { d.u.got(v) }

func (u *urpcEnd) got(v uint64) {
	if v != u.want {
		u.s.e.After(u.poll, u, urpcPoll)
		return
	}
	for i := 0; i < mem.WordsPerLine-1; i++ {
		a := mem.Access{Op: mem.OpLoad, Addr: u.in + mem.Addr(8*i)}
		if v, _, ok := u.s.Port(u.core).Hit(&a); !ok || v != u.want {
			u.loadMiss++ // (counted; the value is checked by the header)
		}
	}
	u.recvd++
	u.want++
	if u.recvd == u.n {
		u.finishedAt = u.s.e.Now()
		if u.peer.recvd == u.n {
			return
		}
	}
	u.seq++
	if int(u.seq) <= u.n {
		u.sendMsg(u.seq)
	}
}

// urpcRoundTrips ping-pongs n messages between cores a and b (a sends
// first; each side answers what it receives) and returns the time per
// one-way message and the misses per message of each side.
func urpcRoundTrips(t *testing.T, c tconf, a, b, n int) (sim.Time, float64, float64) {
	t.Helper()
	e, s, _ := c.build(t, 1)
	la, lb := mem.Addr(0x2000), mem.Addr(0x3000)
	ea := newURPCEnd(s, a, la, lb, n)
	eb := newURPCEnd(s, b, lb, la, n)
	ea.peer, eb.peer = eb, ea
	// Warm both lines into both cores.
	for _, core := range []int{a, b} {
		load(s, core, la)
		load(s, core, lb)
	}
	s.Settle()
	start := e.Now()
	e.After(0, eb, urpcPoll)
	ea.seq = 1
	ea.sendMsg(1)
	s.Settle()
	if ea.recvd != n || eb.recvd != n {
		t.Fatalf("%v: %d and %d of %d messages received", c, ea.recvd, eb.recvd, n)
	}
	per := (ea.finishedAt - start) / sim.Time(2*n)
	return per, float64(len(ea.sb.missed)+len(eb.sb.missed)) / float64(2*n), float64(ea.loadMiss+eb.loadMiss) / float64(2*n)
}

// TestFillHoldURPC: a URPC ping-pong between two cores of one package (and
// of two packages): with the hold each message costs one store miss and
// about one load miss; without it the line bounces once per word.
func TestFillHoldURPC(t *testing.T) {
	for _, pair := range []struct {
		c    tconf
		a, b int
	}{
		{tconf{scheme: Broadcast, nodes: 2, cores: 4, l3: true, big: true}, 0, 1},
		{tconf{scheme: Broadcast, nodes: 2, cores: 4, l3: true, big: true}, 0, 4},
		{tconf{scheme: Directory, nodes: 2, cores: 4, cluster: 2, big: true}, 0, 1},
		{tconf{scheme: Directory, nodes: 2, cores: 4, cluster: 2, big: true}, 0, 2},
	} {
		on, sm, lm := urpcRoundTrips(t, pair.c, pair.a, pair.b, 50)
		nc := pair.c
		nc.hold = -1
		off, smOff, lmOff := urpcRoundTrips(t, nc, pair.a, pair.b, 50)
		t.Logf("%v cores %d<->%d: with hold %v/msg, %.2f store + %.2f load misses; without %v/msg, %.2f + %.2f",
			pair.c, pair.a, pair.b, on, sm, lm, off, smOff, lmOff)
		if sm > 1.01 {
			t.Errorf("%v cores %d<->%d: %.2f store misses per message with the hold, want 1", pair.c, pair.a, pair.b, sm)
		}
		if lm > 2.01 {
			t.Errorf("%v cores %d<->%d: %.2f load misses per message with the hold", pair.c, pair.a, pair.b, lm)
		}
		if on > off {
			t.Errorf("%v cores %d<->%d: the hold makes messages slower (%v > %v)", pair.c, pair.a, pair.b, on, off)
		}
	}
}
