package sim

import "slices"

// entry is what the list orders: 16 bytes, no pointers, so four share a
// cache line and moving them is invisible to the garbage collector. key
// packs the sequence number above the slot reference, so comparing keys
// compares sequence numbers.
type entry struct {
	at  Time
	key uint64
}

const (
	// maxSeq is the largest sequence number a key holds; at it the pending
	// events are renumbered.
	maxSeq = 1<<(64-slotBits) - 1

	// listCompactMin is the number of cancelled events in the list above
	// which they are swept out (once they also outnumber the live ones).
	listCompactMin = 32
)

func (a entry) slot() uint32 { return uint32(a.key & slotMask) }

func (a entry) less(b entry) bool {
	return a.at < b.at || (a.at == b.at && a.key < b.key)
}

// The list holds the pending events while they are few, sorted, earliest
// first, in list[lhead:]: taking the earliest moves lhead on. Scheduling
// (Engine.Schedule, which does the insertion itself) inserts in order from
// the end: a new event is usually among the latest, so it passes few
// entries, and as it has the largest sequence number only times need
// comparing. With under toWheelAt events that is cheaper
// than a heap's sift-down, whose comparisons are data-dependent branches.
// When the list reaches its capacity it slides back to the start of its
// array (amortized: the array is several times toWheelAt long).

// listLen is the number of entries in the list, cancelled ones included.
func (e *Engine) listLen() int { return len(e.list) - e.lhead }

// listNext returns the earliest pending event, unqueued, if it is due at or
// before limit; else 0. It drops the cancelled events in its way.
func (e *Engine) listNext(limit Time) uint32 {
	for e.lhead < len(e.list) {
		top := e.list[e.lhead]
		r := top.slot()
		live := e.nodes[r].pending()
		if live && top.at > limit {
			return 0
		}
		e.lhead++
		if e.lhead == len(e.list) {
			e.list, e.lhead = e.list[:0], 0
		}
		if live {
			return r
		}
		e.release(r)
	}
	return 0
}

// listPeek returns the earliest pending time.
func (e *Engine) listPeek() (Time, bool) {
	for e.lhead < len(e.list) {
		top := e.list[e.lhead]
		if r := top.slot(); !e.nodes[r].pending() {
			e.lhead++
			e.release(r)
			continue
		}
		return top.at, true
	}
	e.list, e.lhead = e.list[:0], 0
	return 0, false
}

// compactList sweeps the cancelled events out of the list, keeping the
// order of the others, and slides it to the start of its array.
func (e *Engine) compactList() {
	l := e.list[:0]
	for _, x := range e.list[e.lhead:] {
		if r := x.slot(); e.nodes[r].pending() {
			l = append(l, x)
		} else {
			e.release(r)
		}
	}
	e.list, e.lhead = l, 0
}

// renumber gives the pending entries fresh, dense sequence numbers in their
// current order, so that the sequence never overflows the bits the key
// keeps for it (2^40 events: hours of host time).
func (e *Engine) renumber() {
	l := e.list[e.lhead:]
	for i := range l {
		l[i].key = uint64(i+1)<<slotBits | uint64(l[i].slot())
	}
	e.seq = uint64(len(l))
}

// sortList puts the list in order.
func (e *Engine) sortList() {
	slices.SortFunc(e.list[e.lhead:], func(a, b entry) int {
		if a.less(b) {
			return -1
		}
		return 1
	})
}
