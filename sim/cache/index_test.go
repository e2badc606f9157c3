package cache

import (
	"math/rand/v2"
	"testing"

	"mksim/sim/mem"
)

// TestLineIndex drives the index with random adds and removes over few
// lines (so probe chains collide, wrap and are shifted back) and through
// several growths, checking every line against a map after every step.
func TestLineIndex(t *testing.T) {
	const narr = 3
	rng := rand.New(rand.NewPCG(1, 2))
	x := newLineIndex(narr)
	model := map[mem.LineAddr]*[narr]int32{}
	check := func(step int) {
		t.Helper()
		if x.n != len(model) {
			t.Fatalf("step %d: %d lines indexed, want %d", step, x.n, len(model))
		}
		for l := mem.LineAddr(0); l < 400*mem.LineSize; l += mem.LineSize {
			w, ok := model[l]
			row := x.lookup(l)
			if !ok {
				if row != nil {
					t.Fatalf("step %d: line %v indexed, want absent", step, l)
				}
				continue
			}
			for k := 0; k < narr; k++ {
				if row[k] != w[k] || x.frame(l, k) != w[k] {
					t.Fatalf("step %d: line %v array %d: frame %d, want %d", step, l, k, row[k], w[k])
				}
			}
		}
	}
	for step := 0; step < 20000; step++ {
		// Few lines early (collisions in a small table), more later (growth).
		span := 40
		if step > 10000 {
			span = 400
		}
		l := mem.LineAddr(rng.IntN(span)) * mem.LineSize
		k := rng.IntN(narr)
		w := model[l]
		if w != nil && w[k] != 0 {
			x.remove(l, k)
			w[k] = 0
			if *w == [narr]int32{} {
				delete(model, l)
			}
		} else {
			fi := rng.IntN(1000)
			x.add(l, k, fi)
			if w == nil {
				w = new([narr]int32)
				model[l] = w
			}
			w[k] = int32(fi + 1)
		}
		if step%97 == 0 || step > 19900 {
			check(step)
		}
	}
	check(-1)
}

// BenchmarkLineIndex: a lookup of a present and of an absent line in an
// index holding 4096 lines (the package controller's hot path).
func BenchmarkLineIndex(b *testing.B) {
	x := newLineIndex(5)
	for i := 0; i < 4096; i++ {
		x.add(mem.LineAddr(2*i)*mem.LineSize, i%5, i)
	}
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		if x.lookup(mem.LineAddr(i&8191)*mem.LineSize) != nil {
			n++
		}
	}
	if n != (b.N+1)/2 && b.N > 1 {
		b.Fatalf("%d of %d found", n, b.N)
	}
}
