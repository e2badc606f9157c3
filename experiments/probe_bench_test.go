package experiments

import (
	"testing"

	"mksim/topologies"
)

// BenchmarkRun is what `mksim run` does on gruyere (the default): build the
// machine, boot every core, measure every pair class. The figure is host
// seconds per run (target: under 1 s, set-up included) and the engine's
// speed.
func BenchmarkRun(b *testing.B) {
	spec, err := topologies.LoadShipped("gruyere")
	if err != nil {
		b.Fatal(err)
	}
	var events uint64
	b.ReportAllocs()
	for b.Loop() {
		r, err := MachineCosts(spec, 1)
		if err != nil {
			b.Fatal(err)
		}
		events = r.Engine.Events
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mevents/s")
}
