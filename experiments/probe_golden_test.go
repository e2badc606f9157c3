package experiments

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mksim/topologies"
)

// The probe's output on every shipped machine is pinned by a golden file:
// any change to a latency or to the traffic the probe causes on any link
// shows up as a diff. Rewrite them with -update after a deliberate change
// (a calibration, a protocol fix) and review the diff.

func init() {
	// Another test file of this package may define -update too; share it.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// renderProbe is the probe's text form, as `mksim probe` prints it.
func renderProbe(res *ProbeResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "machine %s: load-to-use latency on core 0, in its cycles\n", res.Machine)
	for _, l := range res.Latencies {
		fmt.Fprintf(&b, "  %-12s %6d\n", l.Level, l.Cycles)
	}
	fmt.Fprintf(&b, "\ninterconnect counters over the probe run\n%s", res.Links)
	return b.String()
}

func TestProbeGolden(t *testing.T) {
	for _, name := range topologies.Shipped() {
		t.Run(name, func(t *testing.T) {
			spec, err := topologies.LoadShipped(name)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Probe(spec, 1)
			if err != nil {
				t.Fatal(err)
			}
			got := renderProbe(res)
			path := filepath.Join("testdata", "probe", name+".golden")
			if updateGolden() {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("probe %s differs from %s (rerun with -update if the change is deliberate):\n%s", name, path, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff lists the lines that differ between two texts, by line number.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
		}
	}
	return b.String()
}

// TestProbeHotOS checks gruyere's probe against the HotOS'09 table, the
// numbers its hardware parameters are calibrated to: within ±10 %.
func TestProbeHotOS(t *testing.T) {
	spec, err := topologies.LoadShipped("gruyere")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Probe(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, l := range res.Latencies {
		got[l.Level] = float64(l.Cycles)
	}
	for _, want := range []struct {
		level  string
		cycles float64
	}{{"L1", 2}, {"L2", 15}, {"L3", 75}, {"c2c-package", 130}, {"c2c-1hop", 190}, {"c2c-2hop", 260}} {
		c, ok := got[want.level]
		if !ok {
			t.Errorf("%s: not measured (probe gave %v)", want.level, res.Latencies)
			continue
		}
		dev := (c - want.cycles) / want.cycles
		t.Logf("%-12s %4.0f cycles, HotOS %3.0f (%+.1f%%)", want.level, c, want.cycles, 100*dev)
		if dev < -0.10 || dev > 0.10 {
			t.Errorf("%s: %.0f cycles, outside ±10%% of HotOS's %.0f", want.level, c, want.cycles)
		}
	}
}
