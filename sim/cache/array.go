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
	l1w  uint8 // L2 frames: l1wBit of each L1 that may hold the line E or M
	data mem.Data
}

func (f *frame) valid() bool { return f.tag != noLine }

func (f *frame) invalidate() {
	f.tag = noLine
	f.st = 0
	f.pst = 0
	f.l1w = 0
}

// array is a set-associative tag and data array with LRU replacement.
//
// Frame i of set s is frames[s*ss + i*ws]. Arrays of up to wayMajorMax
// ways (the L1s) are stored way by way (ss 1, ws sets): the lines a program
// uses fill way 0 first and then lie side by side, so a simulated L1
// holding 256 lines keeps 20 KiB of host memory hot instead of 32 KiB
// (in a set-by-set array each 80-byte frame shares its host cache lines
// with another way's frame), and the L1 hit path misses the host caches
// less. Wider arrays (L2, L3) stay set by set (ss ways, ws 1): their
// victim scans read a set's tags, which are then contiguous. Nothing else
// depends on the order: frames are named by their index, and a set's ways
// are scanned in way order either way.
type array struct {
	frames []frame
	ways   int
	ss, ws int // frame index strides of a set and a way
	mask   uint64
	stamp  uint32
}

// wayMajorMax is the widest array stored way by way.
const wayMajorMax = 4

func newArray(l Level) array {
	sets := l.sets()
	a := array{frames: make([]frame, sets*l.Ways), ways: l.Ways, ss: l.Ways, ws: 1, mask: uint64(sets - 1)}
	if l.Ways <= wayMajorMax {
		a.ss, a.ws = 1, sets
	}
	for i := range a.frames {
		a.frames[i].tag = noLine
	}
	return a
}

// first is the index of way 0 of l's set; way i is at first + i*ws.
func (a *array) first(l mem.LineAddr) int { return int((uint64(l)/mem.LineSize)&a.mask) * a.ss }

// lookup returns the frame holding l, or nil.
func (a *array) lookup(l mem.LineAddr) *frame {
	fs := a.frames
	i := a.first(l)
	for end := i + a.ways*a.ws; i < end; i += a.ws {
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
// else the least recently used (the first of them in way order).
func (a *array) victim(l mem.LineAddr) *frame { return &a.frames[a.victimAt(l)] }

// victimAt is victim as an index into frames.
func (a *array) victimAt(l mem.LineAddr) int {
	fs := a.frames
	i := a.first(l)
	v := i
	for end := i + a.ways*a.ws; i < end; i += a.ws {
		if !fs[i].valid() {
			return i
		}
		if fs[i].lru < fs[v].lru {
			v = i
		}
	}
	return v
}
