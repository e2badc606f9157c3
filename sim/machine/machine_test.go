package machine

import (
	"testing"

	"mksim/arch"
	"mksim/topologies"
)

func build(t *testing.T, name string, seed uint64) *Machine {
	t.Helper()
	spec, err := topologies.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(spec, Options{Seed: seed})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(m.Close)
	return m
}

// TestEveryCoreReportsIn runs the boot program on every shipped machine:
// each core writes its ID and TSC into a shared table, and core 0 waits for
// all of them and checks the table.
func TestEveryCoreReportsIn(t *testing.T) {
	for _, name := range topologies.Shipped() {
		t.Run(name, func(t *testing.T) {
			t.Logf("seed 1")
			m := build(t, name, 1)
			res, err := Boot(m)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Cores) != m.NumCores() {
				t.Fatalf("%d cores reported, want %d", len(res.Cores), m.NumCores())
			}
			for i, c := range res.Cores {
				if c.ID != arch.CoreID(i) || c.TSC < 0 || c.Cycles <= 0 {
					t.Fatalf("core %d reported %+v", i, c)
				}
			}
		})
	}
}
