package sim

import "sort"

// entry is what the heap orders: 16 bytes, no pointers, so four siblings
// share a cache line and sifting is invisible to the garbage collector. key
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

	// heapCompactMin is the number of cancelled events in the heap above
	// which they are swept out (once they also outnumber the live ones).
	heapCompactMin = 32
)

func (a entry) slot() uint32 { return uint32(a.key & slotMask) }

func (a entry) less(b entry) bool {
	return a.at < b.at || (a.at == b.at && a.key < b.key)
}

// heapNext returns the earliest pending event if it is due at or before
// limit, leaving its entry at the root (topDone) for the handler's first
// Schedule to replace; else 0. It drops the cancelled events in its way.
func (e *Engine) heapNext(limit Time) uint32 {
	for len(e.heap) > 0 {
		top := e.heap[0]
		r := top.slot()
		if !e.nodes[r].pending() {
			e.pop()
			e.free = append(e.free, r)
			continue
		}
		if top.at > limit {
			return 0
		}
		e.topDone = true
		return r
	}
	return 0
}

// heapPeek returns the earliest pending time.
func (e *Engine) heapPeek() (Time, bool) {
	e.dropDone()
	for len(e.heap) > 0 {
		top := e.heap[0]
		if r := top.slot(); !e.nodes[r].pending() {
			e.pop()
			e.free = append(e.free, r)
			continue
		}
		return top.at, true
	}
	return 0, false
}

// compactHeap sweeps the cancelled events out of the heap.
func (e *Engine) compactHeap() {
	e.dropDone()
	h := e.heap[:0]
	for _, x := range e.heap {
		if r := x.slot(); e.nodes[r].pending() {
			h = append(h, x)
		} else {
			e.free = append(e.free, r)
		}
	}
	e.heap = h
	e.heapify()
}

// push and pop implement a 4-ary heap: half the depth of a binary heap, and
// the four children of a node share a cache line or two.
func (e *Engine) push(x entry) {
	h := append(e.heap, x)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) >> 2
		if !x.less(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
	e.heap = h
}

// renumber gives the pending entries fresh, dense sequence numbers in their
// current order, so that the sequence never overflows the bits the key
// keeps for it (2^40 events: hours of host time).
func (e *Engine) renumber() {
	e.dropDone()
	h := e.heap
	sort.Slice(h, func(i, j int) bool { return h[i].less(h[j]) })
	for i := range h {
		h[i].key = uint64(i+1)<<slotBits | uint64(h[i].slot())
	}
	e.seq = uint64(len(h)) // a sorted array is a valid heap
}

// dropDone pops the root if it is the entry of the event that just ran and
// the handler did not reuse it.
func (e *Engine) dropDone() {
	if e.topDone {
		e.topDone = false
		e.pop()
	}
}

func (e *Engine) pop() {
	n := len(e.heap) - 1
	e.heap[0] = e.heap[n]
	e.heap = e.heap[:n]
	if n > 0 {
		e.siftDown(0)
	}
}

// heapify restores the heap property over the whole array.
func (e *Engine) heapify() {
	for i := (len(e.heap) - 2) >> 2; i >= 0; i-- {
		e.siftDown(i)
	}
}

// siftDown moves the entry at i down to its place.
func (e *Engine) siftDown(i int) {
	h := e.heap
	n := len(h)
	x := h[i]
	for {
		c := i<<2 + 1
		if c+3 < n {
			// Full set of four children: pick the least without branches
			// (a tournament of two pairs), which is what makes this heap fast:
			// the comparisons are data-dependent and would mispredict.
			m01 := c + lessIdx(h[c+1], h[c])
			m23 := c + 2 + lessIdx(h[c+3], h[c+2])
			m := m01 + (m23-m01)*lessIdx(h[m23], h[m01])
			if !h[m].less(x) {
				break
			}
			h[i] = h[m]
			i = m
			continue
		}
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < n; j++ {
			if h[j].less(h[m]) {
				m = j
			}
		}
		if !h[m].less(x) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = x
}

// lessIdx is 1 if a orders before b, else 0, computed without a branch.
func lessIdx(a, b entry) int {
	lt := b2i(a.at < b.at)
	eq := b2i(a.at == b.at)
	slt := b2i(a.key < b.key)
	return lt | (eq & slt)
}

func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}
