package sim

import "math/bits"

// bucket is a list of queued nodes linked through node.next; 0 when empty.
// Unless unsorted is set, it is sorted on time, same-time nodes in
// insertion order, so its head is its earliest node.
type bucket struct {
	head, tail uint32
	unsorted   bool
}

// The radix wheel (a hierarchical timing wheel with exact times) has
// wheelLevels levels of wheelSize buckets. Relative to a reference time cur
// (never later than now, nor than any queued event), an event lives at the
// level of the highest base-wheelSize digit in which its time differs from
// cur, in the bucket named by that digit of its time. So a level-0 bucket
// holds events of one time, every event of a lower (level, bucket) is
// earlier than every event of a higher one, and the earliest event is in
// the lowest bucket of the lowest level, found with two bit scans.
//
// Buckets are kept sorted on time: scheduling usually appends (the new
// event is the latest of its bucket), or else walks a few nodes from the
// head; a bucket where the walk would be longer is marked unsorted and
// appended to. So the earliest event is usually the head of the lowest
// bucket: at level 0 or 1 (256 ps wide) it is simply unlinked, and cur
// moves up to its time, about to become now, when that empties the bucket
// (no event is left at or below it, so every event keeps its place). A
// lowest bucket of a higher level holding several events is cascaded: cur
// moves up to its earliest event's time and the others move to lower
// levels (at least one level down per cascade), so that the events
// scheduled next land at level 1 rather than in the same wide bucket. An
// unsorted lowest bucket is searched: if it holds few events its earliest
// is unlinked, else it is cascaded. A far time (a 10 ms timeout) just
// starts at a higher level. The buckets are linked lists through the
// nodes, so the wheel is the node array plus a few cache lines of bucket
// heads.
//
// Same-time order comes for free: every bucket holds the events of one
// time in scheduling order, because scheduling puts the newest event after
// every event of its time (appended, or inserted after the last one not
// later than it), unlinking keeps the order of the others, and a cascade
// distributes a bucket, in order, into buckets that are all empty (every
// level below it is). Of the events of one time, the first in its bucket is
// the first scheduled: the wheel yields (time, seq) order without ever
// comparing sequence numbers.
//
// Levels are 256 buckets wide, except level 1, 4096 wide: the simulator's
// events lie between a fraction of a nanosecond and about 100 ns ahead, so
// most land in level 1, whose buckets are 256 ps wide and rarely hold more
// than one event (narrower levels put them in buckets of several events
// that have to be searched or cascaded). Level 1 spans 1 us, so that few
// events cross into level 2 (with 256 buckets, a 65 ns span, a quarter
// did, and most of them were cascaded back down).
const (
	wheelBits    = 8                                                 // digit width of every level but level 1
	wideBits     = 12                                                // level 1's digit width
	wheelLevels  = 2 + (63-wheelBits-wideBits+wheelBits-1)/wheelBits // Time is a non-negative int64
	wheelBuckets = (wheelLevels-1)<<wheelBits + 1<<wideBits
	wheelWords   = 1 << wideBits / 64 // occupancy words of the widest level

	// wheelCompactMin is the number of cancelled events still queued above
	// which they are swept out (once they also outnumber the live ones).
	wheelCompactMin = 4096

	// lazyMax is the most events an unsorted lowest bucket can hold for
	// its earliest to be unlinked where it is, without cascading the
	// bucket.
	lazyMax = 4

	// walkMax is the most nodes insert passes to keep a bucket sorted.
	walkMax = 4

	// cascadeFrom is the lowest level whose sorted buckets are cascaded
	// when they hold several events, rather than popped at their head.
	// Level-1 buckets are 256 ps wide and hold a few events at most;
	// level-2 buckets, 1 us wide, collect the events beyond level 1's
	// span: cascading them once moves the reference time up, so that the
	// events scheduled next land in level 1.
	cascadeFrom = 2
)

// A level's occupancy is a two-level bitmap: sum has a bit per word of w.
var _ [64 - wheelWords]struct{}

// wheelLevel is where a level's digit lies in a time and where its buckets
// lie in Engine.bkt.
type wheelLevel struct {
	shift uint // the digit is (at >> shift) & mask
	mask  int
	base  int // bucket b of the level is bkt[base+b]
}

var levels = func() (t [wheelLevels]wheelLevel) {
	shift, base := uint(0), 0
	for l := range t {
		bits := wheelBits
		if l == 1 {
			bits = wideBits
		}
		t[l] = wheelLevel{shift: shift, mask: 1<<bits - 1, base: base}
		shift += uint(bits)
		base += 1 << bits
	}
	return t
}()

// bucket returns bucket b of level l.
func (e *Engine) bucket(l, b int) *bucket { return &e.bkt[levels[l].base+b] }

// occupancy says which buckets of a level are non-empty: bit b%64 of w[b/64]
// for bucket b, and bit i of sum when w[i] is not zero.
type occupancy struct {
	sum uint64
	w   [wheelWords]uint64
}

func (o *occupancy) set(b int) {
	o.w[b>>6] |= 1 << (b & 63)
	o.sum |= 1 << (b >> 6)
}

// clear marks bucket b empty and reports whether the level now is.
func (o *occupancy) clear(b int) bool {
	i := b >> 6
	o.w[i] &^= 1 << (b & 63)
	if o.w[i] == 0 {
		o.sum &^= 1 << i
	}
	return o.sum == 0
}

// first returns the lowest non-empty bucket, or -1.
func (o *occupancy) first() int {
	if o.sum == 0 {
		return -1
	}
	i := bits.TrailingZeros64(o.sum)
	return i<<6 | bits.TrailingZeros64(o.w[i])
}

// firstSet is first for an occupancy known to be non-empty (the engine's
// fast paths: levels says so). Setting bit 63 changes neither lowest set
// bit and spares the zero cases: no test of sum, and a bare bsf rather
// than one with a conditional move for a zero word (RandomTraffic: about
// 2 instructions fewer per event).
func (o *occupancy) firstSet() int {
	i := bits.TrailingZeros64(o.sum|1<<63) & (wheelWords - 1)
	return i<<6 | bits.TrailingZeros64(o.w[i]|1<<63)
}

// after returns the lowest non-empty bucket above b, or -1.
func (o *occupancy) after(b int) int {
	i := b >> 6
	if w := o.w[i] &^ (1<<(b&63+1) - 1); b&63 != 63 && w != 0 {
		return i<<6 | bits.TrailingZeros64(w)
	}
	if s := o.sum &^ (1<<(i+1) - 1); i != 63 && s != 0 {
		j := bits.TrailingZeros64(s)
		return j<<6 | bits.TrailingZeros64(o.w[j])
	}
	return -1
}

// levelOf maps bits.Len64(at ^ cur) to the level of an event at at: the
// level whose digit holds the highest bit in which at differs from cur.
var levelOf = func() (t [65]uint8) {
	for n := 1; n <= 64; n++ {
		l := 0
		for l+1 < wheelLevels && levels[l+1].shift <= uint(n-1) {
			l++
		}
		t[n] = uint8(l)
	}
	return t
}()

// insert puts node r, due at at >= e.cur, in its bucket. It keeps a sorted
// bucket sorted: usually r is the latest of its bucket and is appended;
// otherwise it goes after the last node due at or before at if that is
// among the first walkMax, else it is appended and the bucket is marked
// unsorted (so that a crowded bucket never costs a long walk).
func (e *Engine) insert(r uint32, at Time) {
	e.insertNode(r, &e.nodes[r], at)
}

// insertNode is insert for a caller that holds n, node r.
func (e *Engine) insertNode(r uint32, n *node, at Time) {
	l := levelOf[bits.Len64(uint64(at^e.cur))]
	lv := &levels[l]
	b := int(uint64(at)>>lv.shift) & lv.mask
	q := &e.bkt[lv.base+b]
	t := q.tail
	tn := &e.nodes[t] // the sentinel node 0 if the bucket is empty
	if tn.at > at {   // never for node 0, which is never scheduled: its at is 0
		if !q.unsorted && e.insertSorted(q, r, n, at) {
			return
		}
		q.unsorted = true
	}
	n.next = 0
	tn.next = r
	h := q.head
	if t == 0 {
		h = r
	}
	q.head, q.tail = h, r
	e.occ[l].set(b)
	e.levels |= 1 << l
}

// insertSorted links node r into the sorted bucket q, whose tail is due
// after at, after the last node due at or before at, if that is one of the
// first walkMax nodes; else it reports false and leaves q as it was.
func (e *Engine) insertSorted(q *bucket, r uint32, n *node, at Time) bool {
	prev, x := uint32(0), q.head
	for i := 0; e.nodes[x].at <= at; i++ {
		if i == walkMax {
			return false
		}
		prev, x = x, e.nodes[x].next
	}
	n.next = x
	if prev == 0 {
		q.head = r
	} else {
		e.nodes[prev].next = r
	}
	return true
}

// next unqueues and returns the earliest pending event if it is due at or
// before limit, else returns 0 and leaves it queued (and remembered). It
// drops the cancelled events in its way. Only an event about to run moves
// the wheel's reference time, so anything may still be scheduled at or
// after now when next returns 0.
func (e *Engine) next(limit Time) uint32 {
	if e.nextOK && e.nextAt > limit {
		return 0
	}
	for e.levels != 0 {
		if e.levels&1 != 0 {
			// A level-0 bucket holds events of one time, in
			// scheduling order: the front of the lowest one is the
			// earliest event.
			b := e.occ[0].first()
			q := &e.bkt[b] // level 0's buckets come first
			r := q.head
			n := &e.nodes[r]
			if n.pending() && n.at > limit {
				e.nextAt, e.nextOK = n.at, true
				return 0
			}
			q.head = n.next
			if q.head == 0 {
				q.tail = 0
				if e.occ[0].clear(b) {
					e.levels &^= 1
				}
			}
			if n.pending() {
				return r
			}
			e.dropDead(r)
			continue
		}
		// The earliest event is in the lowest bucket of the lowest
		// level; at its head if the bucket is sorted.
		l := bits.TrailingZeros16(e.levels)
		b := e.occ[l].first()
		q := e.bucket(l, b)
		r := q.head
		if !q.unsorted {
			n := &e.nodes[r]
			live := n.pending()
			if live && n.at > limit {
				e.nextAt, e.nextOK = n.at, true
				return 0
			}
			if live && l >= cascadeFrom && r != q.tail {
				// A wide bucket holding several events: they
				// are cascaded to narrower ones.
				return e.cascade(l, b, n.at)
			}
			q.head = n.next
			if q.head == 0 {
				q.tail = 0
				if e.occ[l].clear(b) {
					e.levels &^= 1 << l
				}
				// Nothing is left in this bucket or below: the
				// reference time can move up to the event's
				// time, about to become now, and every queued
				// event keeps its level and bucket.
				if live {
					e.cur = n.at
				}
			}
			if live {
				return r
			}
			e.dropDead(r)
			continue
		}
		// Find the first earliest pending event, dropping cancelled ones.
		m, best, bestPrev, k := Time(0), uint32(0), uint32(0), 0
		for prev, x := uint32(0), r; x != 0; {
			n := &e.nodes[x]
			nx := n.next
			if !n.pending() {
				e.unlink(l, b, prev, x)
				e.dropDead(x)
				x = nx
				continue
			}
			if best == 0 || n.at < m {
				m, best, bestPrev = n.at, x, prev
			}
			k++
			prev, x = x, nx
		}
		if best == 0 {
			continue // all were cancelled
		}
		if m > limit {
			e.nextAt, e.nextOK = m, true
			return 0
		}
		if k <= lazyMax {
			// Few events: leave the others where they are (the
			// reference time stays put) and just unlink this one.
			e.unlink(l, b, bestPrev, best)
			return best
		}
		if r = e.cascade(l, b, m); r != 0 {
			return r
		}
	}
	return 0
}

// cascade empties bucket b of level l (the lowest; level 0 is empty) into
// the levels below, the reference time advanced to m, the earliest pending
// time in it, which is about to become now. It returns, unqueued, the first
// pending event at m, the one to run; the others move down, cancelled ones
// are dropped. With nothing pending in the bucket it returns 0.
func (e *Engine) cascade(l, b int, m Time) uint32 {
	r := e.take(l, b)
	e.cur = max(e.cur, m)
	run := uint32(0)
	for r != 0 {
		n := &e.nodes[r]
		x := r
		r = n.next
		switch {
		case !n.pending():
			e.dropDead(x)
		case run == 0 && n.at == m:
			run = x
		default:
			e.insertNode(x, n, n.at)
		}
	}
	return run
}

// unlink removes node x, which follows node prev (0: x is the head), from
// bucket b of level l.
func (e *Engine) unlink(l, b int, prev, x uint32) {
	q := e.bucket(l, b)
	nx := e.nodes[x].next
	if prev == 0 {
		q.head = nx
	} else {
		e.nodes[prev].next = nx
	}
	if q.tail == x {
		q.tail = prev
	}
	if q.head == q.tail {
		q.unsorted = false // one node or none
	}
	if q.head == 0 && e.occ[l].clear(b) {
		e.levels &^= 1 << l
	}
}

// dropDead releases node r, a cancelled event just taken out of the wheel.
func (e *Engine) dropDead(r uint32) {
	e.dead--
	e.release(r)
}

// take unlinks bucket b of level l from the wheel and returns its head;
// the caller accounts for its nodes.
func (e *Engine) take(l, b int) uint32 {
	q := e.bucket(l, b)
	r := q.head
	*q = bucket{}
	if e.occ[l].clear(b) {
		e.levels &^= 1 << l
	}
	return r
}

// peek returns the earliest pending time without unqueuing it.
func (e *Engine) peek() (Time, bool) {
	if !e.nextOK {
		e.next(-1) // nothing is due before time 0: finds and remembers it
	}
	return e.nextAt, e.nextOK
}

// compact sweeps cancelled events out of every bucket, keeping the order of
// the others, so that a workload that keeps re-arming far timeouts does not
// grow the wheel without bound.
func (e *Engine) compact() {
	for l := 0; l < wheelLevels; l++ {
		for b := e.occ[l].first(); b >= 0; b = e.occ[l].after(b) {
			q := e.bucket(l, b)
			r, unsorted := q.head, q.unsorted
			*q = bucket{}
			for r != 0 {
				n := &e.nodes[r]
				x := r
				r = n.next
				if !n.pending() {
					e.dropDead(x)
					continue
				}
				n.next = 0
				e.nodes[q.tail].next = x
				if q.tail == 0 {
					q.head = x
				}
				q.tail = x
			}
			// Dropping nodes keeps the others' order.
			q.unsorted = unsorted && q.head != q.tail
			if q.head == 0 {
				e.occ[l].clear(b)
			}
		}
		if e.occ[l].sum == 0 {
			e.levels &^= 1 << l
		}
	}
}
