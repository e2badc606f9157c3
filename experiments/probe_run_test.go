package experiments

import (
	"reflect"
	"testing"
	"time"

	"mksim/topologies"
)

// withoutHostTime is a run report with every host-time field zeroed: what
// must be identical between two runs with one seed.
func withoutHostTime(r *RunReport) RunReport {
	c := *r
	c.Host = 0
	c.Engine.Host = 0
	return c
}

// TestMachineCostsDeterministic: `mksim run`'s measurement gives identical
// results twice with the same seed (boot report, every pair's costs and
// per-link traffic, engine events and simulated time), on every shipped
// machine.
func TestMachineCostsDeterministic(t *testing.T) {
	for _, name := range topologies.Shipped() {
		t.Run(name, func(t *testing.T) {
			spec, err := topologies.LoadShipped(name)
			if err != nil {
				t.Fatal(err)
			}
			var reps [2]RunReport
			for i := range reps {
				r, err := MachineCosts(spec, 7)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					t.Logf("seed 7: %d pair classes, %d events, %v simulated, %v host", len(r.Pairs), r.Engine.Events, r.Engine.SimTime, r.Host.Round(time.Millisecond))
				}
				reps[i] = withoutHostTime(r)
			}
			if len(reps[0].Pairs) == 0 || reps[0].Engine.Events == 0 {
				t.Fatalf("empty report: %+v", reps[0])
			}
			if !reflect.DeepEqual(reps[0], reps[1]) {
				t.Fatalf("two runs with seed 7 differ:\n%+v\n%+v", reps[0], reps[1])
			}
		})
	}
}
