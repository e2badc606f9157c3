package experiments

import (
	"fmt"

	"mksim/arch"
	"mksim/topologies"
)

// Core-pair classes of Table 2, chosen from the topology, never from a
// hard-coded core list:
//
//   - shared: two cores of one package that share a cache (an L2 on one
//     die on the Intel, the package's L3 on the quad-core Opterons);
//   - same-die: two cores of one die that share no cache (the 2×2-core
//     AMD's dual-core Opteron, private L2s, no L3);
//   - non-shared: two cores in different packages (the Intel's FSB);
//   - one-hop, two-hop, three-hop: two cores in different packages whose
//     nodes are that many interconnect links apart (the larger of the two
//     directions' routes, since a ping-pong uses both).
const (
	ClassShared    = "shared"
	ClassSameDie   = "same-die"
	ClassNonShared = "non-shared"
	ClassOneHop    = "one-hop"
	ClassTwoHop    = "two-hop"
	ClassThreeHop  = "three-hop"
)

var hopClasses = map[string]int{ClassOneHop: 1, ClassTwoHop: 2, ClassThreeHop: 3}

// pairHops is the hop count between two cores' nodes, the larger of the
// two directions.
func pairHops(s *topologies.Spec, a, b int) int {
	na, nb := s.Cores[a].Node, s.Cores[b].Node
	return max(s.Hops(na, nb), s.Hops(nb, na))
}

// inClass reports whether cores a and b form a pair of class.
func inClass(s *topologies.Spec, class string, a, b int) bool {
	if a == b {
		return false
	}
	ca, cb := s.Cores[a], s.Cores[b]
	samePkg := ca.Package == cb.Package
	switch class {
	case ClassShared:
		return samePkg && s.SharedCacheLevel(a, b) >= 2
	case ClassSameDie:
		return samePkg && ca.Die == cb.Die && s.SharedCacheLevel(a, b) == 0
	case ClassNonShared:
		return !samePkg
	}
	if h, ok := hopClasses[class]; ok {
		return !samePkg && pairHops(s, a, b) == h
	}
	return false
}

// Pair is a sender and a receiver core.
type Pair struct {
	A, B arch.CoreID
}

// FindPair picks a pair of class on s: from core 0 to the lowest-numbered
// core that qualifies, or, if none does, the first qualifying pair in
// (a, b) order.
func FindPair(s *topologies.Spec, class string) (Pair, error) {
	n := s.NumCores()
	for b := 1; b < n; b++ {
		if inClass(s, class, 0, b) {
			return Pair{0, arch.CoreID(b)}, nil
		}
	}
	for a := 1; a < n; a++ {
		for b := 0; b < n; b++ {
			if inClass(s, class, a, b) {
				return Pair{arch.CoreID(a), arch.CoreID(b)}, nil
			}
		}
	}
	return Pair{}, fmt.Errorf("experiments: %s has no %s core pair", s.Name, class)
}
