package cores

import (
	"fmt"
	"math/rand/v2"

	"mksim/sim"
	"mksim/sim/mem"
)

// fakeMem is a test memory system: one shared functional memory (an arena
// of words) and, per line, the set of cores holding it (a tiny directory).
// A load hits if the core holds the line; a write or locked op hits if the
// core holds it alone. A miss is performed when it completes, missLat plus
// a random extra later; a write takes the line from every other holder and
// fires their watches. So memory is linearisable and multi-copy atomic:
// what x86-TSO needs from below the store buffer.
//
// In eventMode Hit fails for everything but draining stores, and Issue
// performs would-be hits at once, completing them after the hit latency:
// every access the core itself makes becomes its own event, the reference
// the inline fast path must match. (Drains stay hits: a drain and a load of
// the same core due at the same time are ordered drain first inline, but
// a drain completing through an event would lose that tie.)
type fakeMem struct {
	eng     *sim.Engine
	rng     *rand.Rand
	words   []uint64
	lines   []fakeLine
	ports   []*fakePort
	hitLat  []sim.Time // per core
	missLat []sim.Time // per core
	jitter  []sim.Time // per core; a miss adds rng.IntN(jitter+1) rounded down to unit
	unit    []sim.Time // per core: latencies are multiples of it (its clock period)
	maxOut  int
	// evictProb is the chance, on each miss completion, of evicting a
	// random line from a random core (a timing perturbation).
	evictProb float64
	eventMode bool
	trace     []string
	tracing   bool
	free      []*fakeReq
	misses    uint64
}

type fakeLine struct{ holders uint64 }

type fakePort struct {
	m         *fakeMem
	id        int
	watching  bool
	watchLine mem.LineAddr
	watchW    LineWatcher
	watches   uint64
}

type fakeReq struct {
	m    *fakeMem
	p    *fakePort
	a    *mem.Access
	done mem.Completion
	// result of an access performed at issue (event mode)
	performed bool
	result    uint64
}

const fakeArena = 1 << 20 // bytes

func newFakeMem(eng *sim.Engine, ncores int, seed uint64) *fakeMem {
	m := &fakeMem{
		eng:     eng,
		rng:     sim.NewRand(seed, "fakemem"),
		words:   make([]uint64, fakeArena/8),
		lines:   make([]fakeLine, fakeArena/mem.LineSize),
		hitLat:  make([]sim.Time, ncores),
		missLat: make([]sim.Time, ncores),
		jitter:  make([]sim.Time, ncores),
		unit:    make([]sim.Time, ncores),
		maxOut:  1,
	}
	for i := 0; i < ncores; i++ {
		m.ports = append(m.ports, &fakePort{m: m, id: i})
		m.hitLat[i] = 3 * sim.Nanosecond / 2
		m.missLat[i] = 60 * sim.Nanosecond
		m.unit[i] = 1
	}
	return m
}

func (m *fakeMem) line(a mem.Addr) *fakeLine {
	if uint64(a) >= fakeArena {
		panic(fmt.Sprintf("fakeMem: address %v outside arena", a))
	}
	return &m.lines[uint64(a)/mem.LineSize]
}

// hold gives core id a copy of the line (for setting up hit/miss states).
func (m *fakeMem) hold(id int, a mem.Addr) { m.line(a).holders |= 1 << id }

func (m *fakeMem) word(a mem.Addr) uint64 { return m.words[a/8] }

func (m *fakeMem) setWord(a mem.Addr, v uint64) { m.words[a/8] = v }

// drop takes line l away from core k, firing its watch.
func (m *fakeMem) drop(k int, l *fakeLine, la mem.LineAddr) {
	if l.holders&(1<<k) == 0 {
		return
	}
	l.holders &^= 1 << k
	p := m.ports[k]
	if p.watching && p.watchLine == la {
		p.watching = false
		p.watchW.LineChanged(la)
	}
}

// canHit reports whether core id may perform a at once.
func (m *fakeMem) canHit(id int, a *mem.Access) bool {
	l := m.line(a.Addr)
	bit := uint64(1) << id
	switch a.Op {
	case mem.OpLoad, mem.OpPrefetch:
		return l.holders&bit != 0
	case mem.OpFlush, mem.OpInvalidate:
		return true
	default:
		return l.holders == bit
	}
}

// perform does the access with the required permissions; it is called at
// the time the access takes effect.
func (m *fakeMem) perform(id int, a *mem.Access) uint64 {
	l := m.line(a.Addr)
	la := a.Addr.Line()
	bit := uint64(1) << id
	var r uint64
	switch a.Op {
	case mem.OpLoad, mem.OpPrefetch:
		l.holders |= bit
		r = m.words[a.Addr/8]
	case mem.OpFlush, mem.OpInvalidate:
		l.holders &^= bit
	default:
		for k := range m.ports {
			if k != id {
				m.drop(k, l, la)
			}
		}
		l.holders = bit
		if a.Op.Writes() && a.Op != mem.OpPrefetchW {
			old := m.words[a.Addr/8]
			m.words[a.Addr/8] = a.Apply(old)
			r = old
		}
	}
	if m.tracing {
		// Engine time is not the operation's time for inline hits (the
		// core runs ahead of the engine), so traces record order only.
		m.trace = append(m.trace, fmt.Sprintf("c%d %v -> %d", id, a, r))
	}
	return r
}

func (p *fakePort) Hit(a *mem.Access) (uint64, sim.Time, bool) {
	m := p.m
	if (m.eventMode && a.Op != mem.OpStore) || !m.canHit(p.id, a) {
		return 0, 0, false
	}
	return m.perform(p.id, a), m.hitLat[p.id], true
}

func (p *fakePort) Issue(a *mem.Access, done mem.Completion) {
	m := p.m
	var r *fakeReq
	if n := len(m.free); n > 0 {
		r = m.free[n-1]
		m.free = m.free[:n-1]
	} else {
		r = &fakeReq{m: m}
	}
	r.p, r.a, r.done, r.performed = p, a, done, false
	if m.eventMode && m.canHit(p.id, a) {
		r.performed = true
		r.result = m.perform(p.id, a)
		m.eng.After(m.hitLat[p.id], r, 0)
		return
	}
	m.misses++
	lat := m.missLat[p.id]
	if j := m.jitter[p.id]; j > 0 {
		u := m.unit[p.id]
		lat += sim.Time(m.rng.Int64N(int64(j)/int64(u)+1)) * u
	}
	m.eng.After(lat, r, 0)
}

func (r *fakeReq) Handle(uint64) {
	m := r.m
	res := r.result
	if !r.performed {
		res = m.perform(r.p.id, r.a)
		if m.evictProb > 0 && m.rng.Float64() < m.evictProb {
			k := m.rng.IntN(len(m.ports))
			li := m.rng.IntN(64) // the low lines, where tests put their data
			m.drop(k, &m.lines[li], mem.LineAddr(li*mem.LineSize))
		}
	}
	done := r.done
	r.a, r.done = nil, nil
	m.free = append(m.free, r)
	done.Complete(res)
}

func (p *fakePort) MaxOutstanding() int { return p.m.maxOut }

func (p *fakePort) Watch(l mem.LineAddr, w LineWatcher) bool {
	if p.m.line(mem.Addr(l)).holders&(1<<p.id) == 0 {
		return false
	}
	p.watching, p.watchLine, p.watchW = true, l, w
	p.watches++
	return true
}

func (p *fakePort) Unwatch(l mem.LineAddr, w LineWatcher) {
	if p.watching && p.watchLine == l && p.watchW == w {
		p.watching = false
	}
}

// noWatch hides a port's Watcher, to test SpinUntil's fallback.
type noWatch struct{ p *fakePort }

func (n noWatch) Hit(a *mem.Access) (uint64, sim.Time, bool) { return n.p.Hit(a) }
func (n noWatch) Issue(a *mem.Access, d mem.Completion)      { n.p.Issue(a, d) }
func (n noWatch) MaxOutstanding() int                        { return n.p.MaxOutstanding() }

// ncMem is a non-coherent test memory: each core has private copies of
// lines, filled on a miss from shared memory, written back only by Flush
// and dropped by Invalidate (or Flush). Nothing keeps copies coherent.
type ncMem struct {
	eng     *sim.Engine
	shared  map[mem.LineAddr]*mem.Data
	ports   []*ncPort
	hitLat  sim.Time
	missLat sim.Time
}

type ncCopy struct {
	d     mem.Data
	dirty bool
}

type ncPort struct {
	m      *ncMem
	copies map[mem.LineAddr]*ncCopy
	a      *mem.Access
	done   mem.Completion
}

func newNCMem(eng *sim.Engine, n int) *ncMem {
	m := &ncMem{eng: eng, shared: map[mem.LineAddr]*mem.Data{}, hitLat: sim.Nanosecond, missLat: 50 * sim.Nanosecond}
	for i := 0; i < n; i++ {
		m.ports = append(m.ports, &ncPort{m: m, copies: map[mem.LineAddr]*ncCopy{}})
	}
	return m
}

func (m *ncMem) sharedLine(l mem.LineAddr) *mem.Data {
	d := m.shared[l]
	if d == nil {
		d = new(mem.Data)
		m.shared[l] = d
	}
	return d
}

func (p *ncPort) Hit(a *mem.Access) (uint64, sim.Time, bool) {
	l := a.Addr.Line()
	cp := p.copies[l]
	switch a.Op {
	case mem.OpFlush:
		if cp != nil && cp.dirty {
			*p.m.sharedLine(l) = cp.d
		}
		delete(p.copies, l)
		return 0, p.m.hitLat, true
	case mem.OpInvalidate:
		delete(p.copies, l)
		return 0, p.m.hitLat, true
	}
	if cp == nil {
		return 0, 0, false
	}
	w := a.Addr.Word()
	old := cp.d[w]
	if a.Op.Writes() {
		cp.d[w] = a.Apply(old)
		cp.dirty = true
	}
	return old, p.m.hitLat, true
}

func (p *ncPort) Issue(a *mem.Access, done mem.Completion) {
	p.a, p.done = a, done
	p.m.eng.After(p.m.missLat, p, 0)
}

func (p *ncPort) Handle(uint64) {
	l := p.a.Addr.Line()
	p.copies[l] = &ncCopy{d: *p.m.sharedLine(l)}
	r, _, _ := p.Hit(p.a)
	done := p.done
	p.done = nil
	done.Complete(r)
}
