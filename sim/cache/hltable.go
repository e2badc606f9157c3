package cache

import (
	"math/bits"

	"mksim/sim/mem"
)

// hlTable maps a line to its home record, for the lines a home is busy
// with or tracks (few at a time: every request adds one, its end usually
// removes it). A Go map did this at about 300 instructions a miss
// (lookup, insert, lookup, delete); this is lineIndex's scheme: open
// addressing with linear probing and backward-shift deletion, at most
// half full, doubling as needed. Only lookups by line are ever made of
// it, and each walks its slots in slot order, so nothing depends on the
// layout.
type hlTable struct {
	keys  []mem.LineAddr // noLine: empty slot
	vals  []*hline
	n     int
	shift uint // 64 - log2(len(keys))
}

const hlTableMin = 64

func (t *hlTable) alloc(size int) {
	t.keys = make([]mem.LineAddr, size)
	for i := range t.keys {
		t.keys[i] = noLine
	}
	t.vals = make([]*hline, size)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
}

// home is the slot where the probe for l starts.
func (t *hlTable) home(l mem.LineAddr) int {
	return int((uint64(l) / mem.LineSize * 0x9e3779b97f4a7c15) >> t.shift)
}

// get returns l's record, or nil.
func (t *hlTable) get(l mem.LineAddr) *hline {
	if t.keys == nil {
		return nil
	}
	mask := len(t.keys) - 1
	for i := t.home(l); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case l:
			return t.vals[i]
		case noLine:
			return nil
		}
	}
}

// put adds l, which is absent, with record hl.
func (t *hlTable) put(l mem.LineAddr, hl *hline) {
	if t.keys == nil {
		t.alloc(hlTableMin)
	}
	if 2*(t.n+1) > len(t.keys) {
		keys, vals := t.keys, t.vals
		t.alloc(2 * len(keys))
		t.n = 0
		for i, k := range keys {
			if k != noLine {
				t.put(k, vals[i])
			}
		}
	}
	mask := len(t.keys) - 1
	i := t.home(l)
	for t.keys[i] != noLine {
		i = (i + 1) & mask
	}
	t.keys[i], t.vals[i] = l, hl
	t.n++
}

// del removes l, which is present, shifting back the entries after it
// that would otherwise no longer be found from their home slot.
func (t *hlTable) del(l mem.LineAddr) {
	mask := len(t.keys) - 1
	i := t.home(l)
	for t.keys[i] != l {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; t.keys[j] != noLine; j = (j + 1) & mask {
		if h := t.home(t.keys[j]); (j-h)&mask >= (j-i)&mask {
			t.keys[i], t.vals[i] = t.keys[j], t.vals[j]
			i = j
		}
	}
	t.keys[i], t.vals[i] = noLine, nil
	t.n--
}

// each calls f for every record, in slot order.
func (t *hlTable) each(f func(*hline)) {
	for i, k := range t.keys {
		if k != noLine {
			f(t.vals[i])
		}
	}
}
