package cache

import (
	"math/rand/v2"
	"testing"

	"mksim/sim/mem"
)

// refArray is the plainest set-associative LRU array: per set, its ways
// in order, each a tag (noLine: invalid) and an LRU stamp.
type refArray struct {
	ways  [][]refWay
	stamp uint32
}

type refWay struct {
	tag mem.LineAddr
	lru uint32
}

func (r *refArray) set(l mem.LineAddr) []refWay {
	return r.ways[int(uint64(l)/mem.LineSize)%len(r.ways)]
}

func (r *refArray) lookup(l mem.LineAddr) int {
	for w, x := range r.set(l) {
		if x.tag == l {
			return w
		}
	}
	return -1
}

func (r *refArray) victim(l mem.LineAddr) int {
	s := r.set(l)
	v := 0
	for w, x := range s {
		if x.tag == noLine {
			return w
		}
		if x.lru < s[v].lru {
			v = w
		}
	}
	return v
}

// TestArrayMatchesReference runs random fills, hits and invalidations on
// arrays of several shapes and checks every lookup and victim choice, as a
// way of a set, against refArray: both layouts (array.go) must choose
// exactly the frames a plain set-by-set array would.
func TestArrayMatchesReference(t *testing.T) {
	for _, shape := range []struct{ sets, ways int }{{1, 4}, {8, 2}, {16, 4}, {16, 8}, {16, 16}, {4, 32}, {64, 1}} {
		a := newArray(Level{Size: shape.sets * shape.ways * mem.LineSize, Ways: shape.ways})
		ref := &refArray{ways: make([][]refWay, shape.sets)}
		for s := range ref.ways {
			ref.ways[s] = make([]refWay, shape.ways)
			for w := range ref.ways[s] {
				ref.ways[s][w].tag = noLine
			}
		}
		way := func(f *frame) int {
			for i := range a.frames {
				if &a.frames[i] == f {
					w := i / a.ws // way-major
					if a.ws == 1 {
						w = i % a.ways // set-major
					}
					if f.valid() && a.first(f.tag)+w*a.ws != i {
						t.Fatalf("frame %d holds line %v of another set", i, f.tag)
					}
					return w
				}
			}
			t.Fatal("frame not in the array")
			return -1
		}
		rng := rand.New(rand.NewPCG(uint64(shape.sets), uint64(shape.ways)))
		lines := 3 * shape.sets * shape.ways
		for step := 0; step < 20000; step++ {
			l := mem.LineAddr(rng.IntN(lines) * mem.LineSize)
			f := a.lookup(l)
			rw := ref.lookup(l)
			if (f == nil) != (rw < 0) || (f != nil && way(f) != rw) {
				t.Fatalf("%dx%d step %d: lookup %v: way %v, reference %d", shape.sets, shape.ways, step, l, f, rw)
			}
			switch {
			case f != nil && rng.IntN(4) == 0: // invalidate
				f.invalidate()
				ref.set(l)[rw].tag = noLine
			case f != nil: // hit
				a.touch(f)
				ref.stamp++
				ref.set(l)[rw].lru = ref.stamp
			default: // fill
				vi := a.victimAt(l)
				v := &a.frames[vi]
				if v != a.victim(l) {
					t.Fatal("victim and victimAt disagree")
				}
				rv := ref.victim(l)
				if w := way(v); w != rv {
					t.Fatalf("%dx%d step %d: victim for %v is way %d, reference %d", shape.sets, shape.ways, step, l, w, rv)
				}
				v.tag = l
				a.touch(v)
				ref.stamp++
				ref.set(l)[rv] = refWay{tag: l, lru: ref.stamp}
			}
		}
	}
}
