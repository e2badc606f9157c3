package sim

import "math/bits"

// bucket is a FIFO of queued nodes linked through node.next; 0 when empty.
type bucket struct{ head, tail uint32 }

// The radix wheel (a hierarchical timing wheel with exact times) has
// wheelLevels levels of wheelSize buckets. Relative to a reference time cur
// (never later than now, nor than any queued event), an event lives at the
// level of the highest base-wheelSize digit in which its time differs from
// cur, in the bucket named by that digit of its time. So a level-0 bucket
// holds events of one time, every event of a lower (level, bucket) is
// earlier than every event of a higher one, and the earliest event is found
// with two bit scans. Scheduling is an O(1) append. When level 0 is empty,
// the earliest event is in the lowest bucket: if the bucket holds few
// events it is simply unlinked; otherwise the bucket is cascaded: cur moves
// up to the event's time, which is about to become now, and the others
// move to lower levels (at least one level down per cascade). A far time (a
// 10 ms timeout) just starts at a higher level. The buckets are linked
// lists through the nodes, so the wheel is the node array plus a few cache
// lines of bucket heads.
//
// Same-time order comes for free: every bucket holds its events in
// scheduling order, because scheduling appends the newest event, unlinking
// keeps the order of the others, and a cascade distributes a bucket, in
// order, into buckets that are all empty (every level below it is). Of the
// events of one time, the first in its bucket is the first scheduled: the
// wheel yields (time, seq) order without ever comparing sequence numbers.
//
// Buckets are 256 wide: the simulator's events lie between a fraction of a
// nanosecond and about 100 ns ahead, so most land in level 1, whose
// buckets are 256 ps wide and rarely hold more than one event (narrower
// levels put them in buckets of several events that have to be searched
// or cascaded).
const (
	wheelBits   = 8
	wheelSize   = 1 << wheelBits
	wheelMask   = wheelSize - 1
	wheelWords  = wheelSize / 64
	wheelLevels = (63 + wheelBits - 1) / wheelBits // Time is a non-negative int64

	// wheelCompactMin is the number of cancelled events still queued above
	// which they are swept out (once they also outnumber the live ones).
	wheelCompactMin = 4096

	// lazyMax is the most events a lowest bucket can hold for its earliest
	// to be unlinked where it is, without cascading the bucket.
	lazyMax = 4
)

// A level's occupancy is a two-level bitmap: sum has a bit per word of w.
var _ [64 - wheelWords]struct{}

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

// levelOf maps bits.Len64(at ^ cur) to the level of an event at at.
var levelOf = func() (t [65]uint8) {
	for n := 1; n <= 64; n++ {
		t[n] = uint8(min((n-1)/wheelBits, wheelLevels-1))
	}
	return t
}()

// insert appends node r, due at at >= e.cur, to its bucket.
func (e *Engine) insert(r uint32, at Time) {
	l := levelOf[bits.Len64(uint64(at^e.cur))]
	b := int(uint64(at)>>(wheelBits*l&63)) & wheelMask
	q := &e.bkt[l][b]
	t := q.tail
	e.nodes[r].next = 0
	e.nodes[t].next = r // the sentinel node 0 if the bucket is empty
	h := q.head
	if t == 0 {
		h = r
	}
	q.head, q.tail = h, r
	e.occ[l].set(b)
	e.levels |= 1 << l
	e.queued++
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
			// The front of the lowest level-0 bucket is the earliest event.
			b := e.occ[0].first()
			q := &e.bkt[0][b]
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
			e.queued--
			if n.pending() {
				return r
			}
			e.release(r)
			continue
		}
		// Level 0 is empty: the earliest event is in the lowest bucket.
		l := bits.TrailingZeros16(e.levels)
		b := e.occ[l].first()
		q := &e.bkt[l][b]
		r := q.head
		if r == q.tail { // one event, the common case in a sparse queue
			n := &e.nodes[r]
			if n.pending() && n.at > limit {
				e.nextAt, e.nextOK = n.at, true
				return 0
			}
			e.take(l, b)
			e.queued--
			if n.pending() {
				e.cur = n.at
				return r
			}
			e.release(r)
			continue
		}
		// Find the first earliest pending event, dropping cancelled ones.
		m, best, bestPrev, k := Time(0), uint32(0), uint32(0), 0
		for prev, x := uint32(0), r; x != 0; {
			n := &e.nodes[x]
			nx := n.next
			if !n.pending() {
				e.unlink(l, b, prev, x)
				e.release(x)
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
		e.queued--
		switch {
		case !n.pending():
			e.release(x)
		case run == 0 && n.at == m:
			run = x
		default:
			e.insert(x, n.at)
		}
	}
	return run
}

// unlink removes node x, which follows node prev (0: x is the head), from
// bucket b of level l.
func (e *Engine) unlink(l, b int, prev, x uint32) {
	q := &e.bkt[l][b]
	nx := e.nodes[x].next
	if prev == 0 {
		q.head = nx
	} else {
		e.nodes[prev].next = nx
	}
	if q.tail == x {
		q.tail = prev
	}
	if q.head == 0 && e.occ[l].clear(b) {
		e.levels &^= 1 << l
	}
	e.queued--
}

// take unlinks bucket b of level l from the wheel and returns its head;
// the caller accounts for its nodes.
func (e *Engine) take(l, b int) uint32 {
	q := &e.bkt[l][b]
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
			q := &e.bkt[l][b]
			r := q.head
			*q = bucket{}
			for r != 0 {
				n := &e.nodes[r]
				x := r
				r = n.next
				if !n.pending() {
					e.release(x)
					e.queued--
					continue
				}
				n.next = 0
				e.nodes[q.tail].next = x
				if q.tail == 0 {
					q.head = x
				}
				q.tail = x
			}
			if q.head == 0 {
				e.occ[l].clear(b)
			}
		}
		if e.occ[l].sum == 0 {
			e.levels &^= 1 << l
		}
	}
}
