package mem

import (
	"fmt"
	"math/bits"
	"sort"
)

// pageLines is the allocation granule of Memory: 4 KiB worth of lines.
const pageLines = 64

type page [pageLines]Data

// Memory is physical memory holding real data, allocated on first touch.
// Untouched memory reads as zero. The map is only ever indexed, never
// iterated, so it cannot perturb determinism.
type Memory struct {
	pages map[uint64]*page
}

// NewMemory returns an empty physical memory.
func NewMemory() *Memory { return &Memory{pages: make(map[uint64]*page)} }

func (m *Memory) page(l LineAddr, create bool) *page {
	key := uint64(l) / (LineSize * pageLines)
	p := m.pages[key]
	if p == nil && create {
		p = new(page)
		m.pages[key] = p
	}
	return p
}

// ReadLine returns the line's contents.
func (m *Memory) ReadLine(l LineAddr) Data {
	p := m.page(l, false)
	if p == nil {
		return Data{}
	}
	return p[(uint64(l)/LineSize)%pageLines]
}

// WriteLine replaces the line's contents.
func (m *Memory) WriteLine(l LineAddr, d Data) {
	m.page(l, true)[(uint64(l)/LineSize)%pageLines] = d
}

// ReadWord returns the 8-byte word at a (a must be 8-byte aligned).
func (m *Memory) ReadWord(a Addr) uint64 {
	d := m.ReadLine(a.Line())
	return d[a.Word()]
}

// WriteWord stores the 8-byte word at a.
func (m *Memory) WriteWord(a Addr, v uint64) {
	p := m.page(a.Line(), true)
	p[(uint64(a.Line())/LineSize)%pageLines][a.Word()] = v
}

// Range is a span of physical memory homed at one node.
type Range struct {
	Base Addr
	Size uint64
	Home NodeID
}

// End is one past the last byte of the range.
func (r Range) End() Addr { return r.Base + Addr(r.Size) }

// HomeMap maps addresses to their home node (the memory controller that
// orders requests to them).
type HomeMap struct {
	ranges []Range // sorted by Base, non-overlapping
	// Where the ranges follow one another without gaps and have one size,
	// a power of two (the machines' memory, one range per node), Home
	// indexes them by (a-base)>>shift rather than searching.
	uniform bool
	base    Addr
	shift   uint
}

// NewHomeMap checks and sorts the ranges. Overlaps are an error (the topology
// loader reports them with file and line before we get here).
func NewHomeMap(rs []Range) (*HomeMap, error) {
	s := append([]Range(nil), rs...)
	sort.Slice(s, func(i, j int) bool { return s[i].Base < s[j].Base })
	for i := 1; i < len(s); i++ {
		if s[i].Base < s[i-1].End() {
			return nil, fmt.Errorf("memory ranges overlap: %#x+%#x and %#x", uint64(s[i-1].Base), s[i-1].Size, uint64(s[i].Base))
		}
	}
	h := &HomeMap{ranges: s}
	if len(s) > 0 && s[0].Size != 0 && s[0].Size&(s[0].Size-1) == 0 {
		h.uniform, h.base, h.shift = true, s[0].Base, uint(bits.TrailingZeros64(s[0].Size))
		for i := 1; i < len(s); i++ {
			if s[i].Size != s[0].Size || s[i].Base != s[i-1].End() {
				h.uniform = false
			}
		}
	}
	return h, nil
}

// Home returns the home node of a. An address outside every range is a
// modelling bug (software allocated memory the machine does not have).
func (h *HomeMap) Home(a Addr) NodeID {
	// sort.Search, written out: every request asks, and the closure costs
	// more than the search.
	rs := h.ranges
	if h.uniform && a >= h.base {
		if k := uint64(a-h.base) >> h.shift; k < uint64(len(rs)) {
			return rs[k].Home
		}
	}
	i, j := 0, len(rs)
	for i < j {
		m := int(uint(i+j) >> 1)
		if rs[m].End() > a {
			j = m
		} else {
			i = m + 1
		}
	}
	if i == len(rs) || a < rs[i].Base {
		panic(fmt.Sprintf("mem.HomeMap: address %v is in no memory range", a))
	}
	return rs[i].Home
}

// Ranges returns the ranges in address order.
func (h *HomeMap) Ranges() []Range { return append([]Range(nil), h.ranges...) }
