package sim

import (
	"hash/fnv"
	"math/rand/v2"
)

// Rand returns the random stream of the named component. The stream is derived
// from (engine seed, name) alone, so adding or removing a component leaves
// every other component's stream untouched. Asking twice for one name returns
// two independent copies of the same stream; components keep their own.
func (e *Engine) Rand(name string) *rand.Rand {
	return NewRand(e.seed, name)
}

// NewRand derives a deterministic stream from a seed and a component name.
func NewRand(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()^0x9e3779b97f4a7c15))
}
