package archtest

import (
	"testing"

	"mksim/arch"
)

// BenchmarkOps measures host time per memory operation with two cores
// interleaving (every operation is a scheduling point).
func BenchmarkOps(b *testing.B) {
	m := New(Config{Cores: 2, MaxSteps: 1 << 62})
	al := m.Allocator()
	x, y := al.MustAlloc(0, 64, 64), al.MustAlloc(0, 64, 64)
	m.Start(0, func(c arch.Core) {
		for i := 0; i < b.N/2; i++ {
			c.Store(x, c.Load(x)+1)
		}
	})
	m.Start(1, func(c arch.Core) {
		for i := 0; i < b.N/2; i++ {
			c.Store(y, c.Load(y)+1)
		}
	})
	b.ResetTimer()
	if err := m.Run(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(m.Steps())/b.Elapsed().Seconds()/1e6, "Mops/s")
}
