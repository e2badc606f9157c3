package cache

import "mksim/sim/mem"

// noLine is the tag of an invalid frame, so a tag match alone means valid.
const noLine = ^mem.LineAddr(0)

// frame is one way of one set. The same type serves L1 (st is an l1 state),
// L2 and L3 (st is a copy state, pst the package's stable state).
// The data sits beside the tag: an L1 hit touches one host cache line or
// two. (Keeping data in a separate slab makes tag scans cheaper but costs
// the hit path a second host miss.)
type frame struct {
	tag  mem.LineAddr
	lru  uint32
	st   uint8
	pst  uint8
	data mem.Data
}

func (f *frame) valid() bool { return f.tag != noLine }

func (f *frame) invalidate() {
	f.tag = noLine
	f.st = 0
	f.pst = 0
}

// array is a set-associative tag and data array with LRU replacement.
type array struct {
	frames []frame
	ways   int
	mask   uint64
	stamp  uint32
}

func newArray(l Level) array {
	sets := l.sets()
	a := array{frames: make([]frame, sets*l.Ways), ways: l.Ways, mask: uint64(sets - 1)}
	for i := range a.frames {
		a.frames[i].tag = noLine
	}
	return a
}

func (a *array) set(l mem.LineAddr) []frame {
	base := a.base(l)
	return a.frames[base : base+a.ways]
}

// base is the index of the first frame of l's set.
func (a *array) base(l mem.LineAddr) int { return int((uint64(l)/mem.LineSize)&a.mask) * a.ways }

// lookup returns the frame holding l, or nil.
func (a *array) lookup(l mem.LineAddr) *frame {
	fs := a.set(l)
	for i := range fs {
		if fs[i].tag == l {
			return &fs[i]
		}
	}
	return nil
}

func (a *array) touch(f *frame) {
	a.stamp++
	if a.stamp == 0 {
		a.renumber()
	}
	f.lru = a.stamp
}

// renumber compacts LRU stamps when the 32-bit counter wraps, keeping
// each set's order.
func (a *array) renumber() {
	for i := range a.frames {
		a.frames[i].lru >>= 1
	}
	a.stamp = 1 << 31
}

// victim returns the frame to fill for l: an invalid way if there is one,
// else the least recently used.
func (a *array) victim(l mem.LineAddr) *frame { return &a.frames[a.victimAt(l)] }

// victimAt is victim as an index into frames.
func (a *array) victimAt(l mem.LineAddr) int {
	base := a.base(l)
	fs := a.frames[base : base+a.ways]
	v := 0
	for i := range fs {
		if !fs[i].valid() {
			return base + i
		}
		if fs[i].lru < fs[v].lru {
			v = i
		}
	}
	return base + v
}
