package kernel

import (
	"testing"

	"mksim/arch"
	"mksim/arch/archtest"
)

// BenchmarkLRPC measures host time per one-way LRPC (user to user) on the
// functional fake, and reports the fake's cycle count per one-way trip.
func BenchmarkLRPC(b *testing.B) {
	m := archtest.New(archtest.Config{MaxSteps: 1 << 62})
	al := m.Allocator()
	var ab []arch.Cycles
	m.Start(0, func(c arch.Core) {
		k, err := Boot(c, al, 0, Options{})
		if err != nil {
			panic(err)
		}
		if ab, _, err = k.LRPCBench(b.N/2+1, false); err != nil {
			panic(err)
		}
	})
	b.ResetTimer()
	if err := m.Run(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(ab[len(ab)-1]), "fake-cycles/oneway")
}
