package cache

import (
	"math/bits"

	"mksim/sim"
	"mksim/sim/mem"
)

// lineIndex is a package's exact index of the lines its L2s and L3 hold:
// for each line, the frame holding it in each of those arrays. The package
// controller looks a line up on chip several times per request and on
// every probe (pkg.frames); a tag scan of every array costs, on gruyere,
// four 16-way L2 sets and a 32-way L3 set, 96 tags in about as many host
// cache lines, where the index costs one hash probe. It also proves a line
// absent, which is what most probes find.
//
// Arrays are numbered as the package numbers them: cluster i's L2 is array
// i, the L3 is array len(clusters). A slot holds one line and, per array,
// the index of its frame plus one (0: not in that array); a line leaves
// the index when its last frame does.
//
// Open addressing with linear probing and backward-shift deletion (no
// tombstones, so a miss stops at the first empty slot), at most half full,
// doubling as needed. The layout is invisible to the simulation: only
// which frames hold a line is ever read from it.
type lineIndex struct {
	keys  []mem.LineAddr // noLine: empty slot
	where []int32        // narr per slot: frame index + 1 in each array, 0: none
	narr  int
	n     int  // lines indexed
	shift uint // 64 - log2(len(keys))
}

// lineIndexMin is the first capacity: most packages hold few lines in tests.
const lineIndexMin = 64

func newLineIndex(narr int) lineIndex {
	x := lineIndex{narr: narr}
	x.alloc(lineIndexMin)
	return x
}

func (x *lineIndex) alloc(size int) {
	x.keys = make([]mem.LineAddr, size)
	for i := range x.keys {
		x.keys[i] = noLine
	}
	x.where = make([]int32, size*x.narr)
	x.shift = uint(64 - bits.TrailingZeros(uint(size)))
}

// home is the slot where a probe for l starts (Fibonacci hashing of the
// line number: consecutive lines spread over the table).
func (x *lineIndex) home(l mem.LineAddr) int {
	return int((uint64(l) / mem.LineSize * 0x9e3779b97f4a7c15) >> x.shift)
}

// slot returns the slot holding l, or -1.
func (x *lineIndex) slot(l mem.LineAddr) int {
	mask := len(x.keys) - 1
	for i := x.home(l); ; i = (i + 1) & mask {
		switch x.keys[i] {
		case l:
			return i
		case noLine:
			return -1
		}
	}
}

func (x *lineIndex) row(i int) []int32 {
	return x.where[i*x.narr : (i+1)*x.narr : (i+1)*x.narr]
}

// lookup returns, for each array, the index + 1 of the frame holding l (0
// where none does), or nil if no array holds l. The row is valid until
// the index next changes.
func (x *lineIndex) lookup(l mem.LineAddr) []int32 {
	// Written out rather than as slot then row, so that the compiler
	// inlines it (the controllers look lines up a few times per message).
	mask := len(x.keys) - 1
	for i := x.home(l); ; i = (i + 1) & mask {
		switch x.keys[i] {
		case l:
			return x.where[i*x.narr : (i+1)*x.narr]
		case noLine:
			return nil
		}
	}
}

// frame returns the index + 1 of the frame holding l in array k, or 0.
func (x *lineIndex) frame(l mem.LineAddr, k int) int32 {
	// Written out, as lookup, and returning the int32 as stored: cheap
	// enough for cluster.find, with it, to inline into its callers.
	mask := len(x.keys) - 1
	for i := x.home(l); ; i = (i + 1) & mask {
		switch x.keys[i] {
		case l:
			return x.where[i*x.narr+k]
		case noLine:
			return 0
		}
	}
}

// add records that frame fi of array k now holds l.
func (x *lineIndex) add(l mem.LineAddr, k, fi int) {
	// The search (slot's, written out) stops at l or at the first empty
	// slot from l's home, which is where insert would put l: most adds
	// are of a new line, and take that slot without a second search.
	mask := len(x.keys) - 1
	i := x.home(l)
	for x.keys[i] != l && x.keys[i] != noLine {
		i = (i + 1) & mask
	}
	if x.keys[i] == noLine {
		if 2*(x.n+1) > len(x.keys) {
			x.grow()
			i = x.insert(l)
		} else {
			x.keys[i] = l
			x.n++
		}
	}
	if x.where[i*x.narr+k] != 0 {
		sim.Failf("cache.index", "add", "line %v: array %d already holds it in frame %d", l, k, x.where[i*x.narr+k]-1)
	}
	x.where[i*x.narr+k] = int32(fi + 1)
}

// remove records that array k no longer holds l.
func (x *lineIndex) remove(l mem.LineAddr, k int) {
	i := x.slot(l)
	if i < 0 || x.where[i*x.narr+k] == 0 {
		sim.Failf("cache.index", "remove", "line %v: array %d does not hold it", l, k)
	}
	x.where[i*x.narr+k] = 0
	for _, w := range x.row(i) {
		if w != 0 {
			return
		}
	}
	x.delete(i)
}

// insert puts l, which is absent, in a free slot with an empty row.
func (x *lineIndex) insert(l mem.LineAddr) int {
	mask := len(x.keys) - 1
	i := x.home(l)
	for x.keys[i] != noLine {
		i = (i + 1) & mask
	}
	x.keys[i] = l
	x.n++
	return i
}

// delete empties slot i, shifting back the entries after it that would
// otherwise no longer be found from their home slot.
func (x *lineIndex) delete(i int) {
	mask := len(x.keys) - 1
	for j := (i + 1) & mask; x.keys[j] != noLine; j = (j + 1) & mask {
		// The entry at j may fill the hole at i if i lies on its probe
		// path, from its home h up to j: (j-h) >= (j-i), cyclically.
		if h := x.home(x.keys[j]); (j-h)&mask >= (j-i)&mask {
			x.keys[i] = x.keys[j]
			copy(x.row(i), x.row(j))
			i = j
		}
	}
	x.keys[i] = noLine
	clear(x.row(i))
	x.n--
}

// grow doubles the table.
func (x *lineIndex) grow() {
	keys, where := x.keys, x.where
	x.alloc(2 * len(keys))
	x.n = 0
	for i, l := range keys {
		if l != noLine {
			copy(x.row(x.insert(l)), where[i*x.narr:(i+1)*x.narr])
		}
	}
}
