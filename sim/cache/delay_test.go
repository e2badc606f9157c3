package cache

import (
	"math/rand/v2"
	"testing"

	"mksim/sim/mem"
)

// TestDLQueue drives a delay line's FIFO with random pushes and pops, in
// bursts long enough to overflow the in-place ring and drain it again,
// checking every pop and length against a plain slice.
func TestDLQueue(t *testing.T) {
	var q dlQueue
	var ref []dlEntry
	rng := rand.New(rand.NewPCG(7, 7))
	msgs := make([]mem.Msg, 64)
	next := uint64(1)
	for step := 0; step < 100000; step++ {
		if len(ref) == 0 || rng.IntN(100) < 50+20*((step/500)%2*2-1) {
			e := dlEntry{m: &msgs[next%64], dsts: next}
			next++
			q.push(e)
			ref = append(ref, e)
		} else {
			got := q.pop()
			if got != ref[0] {
				t.Fatalf("step %d: popped %v, want %v", step, got, ref[0])
			}
			ref = ref[1:]
		}
		if q.len() != len(ref) {
			t.Fatalf("step %d: length %d, want %d", step, q.len(), len(ref))
		}
	}
}
