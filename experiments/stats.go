package experiments

import (
	"math"

	"mksim/arch"
)

// warmupFraction is the share of the first samples every measurement drops
// as warm-up (ump_bench's MAX_COUNT/10).
const warmupFraction = 10

// steady drops the first 10 % of samples (at least one when there are ten
// or more) and converts the rest to float64.
func steady(xs []arch.Cycles) []float64 {
	skip := len(xs) / warmupFraction
	out := make([]float64, 0, len(xs)-skip)
	for _, x := range xs[skip:] {
		out = append(out, float64(x))
	}
	return out
}

// meanSD is the mean and the sample standard deviation (n-1; 0 for fewer
// than two samples). It sums in index order, so equal inputs give
// bit-identical results.
func meanSD(xs []float64) (mean, sd float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	mean = s / float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var q float64
	for _, x := range xs {
		d := x - mean
		q += d * d
	}
	return mean, math.Sqrt(q / float64(len(xs)-1))
}

// scale multiplies every sample by f (e.g. 0.5 for half a round trip).
func scale(xs []float64, f float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * f
	}
	return out
}

// perKcycle converts cycles per message into messages per 1000 cycles.
func perKcycle(cyclesPerMsg float64) float64 {
	if cyclesPerMsg <= 0 {
		return math.NaN()
	}
	return 1000 / cyclesPerMsg
}
