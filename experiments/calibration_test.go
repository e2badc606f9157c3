package experiments

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests in this file run the registered experiments on the simulated
// machines at full size (about 30 s of host time together). They report
// every row's error against the paper and fail when it is outside the
// calibration bounds: latency ±15 %, throughput ±20 %, and Fig. 3's shape.
// A failure here means the hardware parameters (topologies/*.yaml) need
// calibrating, or a model is wrong; it is never skipped to hide that.

type simResult struct {
	rows    []Row
	seconds float64
	err     error
}

var (
	simOnce    sync.Once
	simResults map[string]simResult
)

// fullResults runs every experiment once at full size on the simulator
// and shares the rows between the tests of this file.
func fullResults(t *testing.T) map[string]simResult {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the full experiments on the simulator (-short)")
	}
	simOnce.Do(func() {
		simResults = map[string]simResult{}
		for _, b := range bodies {
			start := time.Now()
			rows, _, err := b.run(Params{Seed: 1}, simBackend, fullSizes)
			simResults[b.name] = simResult{rows, time.Since(start).Seconds(), err}
		}
	})
	return simResults
}

func rowsOf(t *testing.T, name string) []Row {
	t.Helper()
	r := fullResults(t)[name]
	if r.err != nil {
		t.Fatalf("%s: %v", name, r.err)
	}
	t.Logf("%s ran in %.1fs of host time", name, r.seconds)
	return r.rows
}

// knownOut lists the calibrated rows that are outside their bounds today,
// each with the reason, so that CI stays green while the gap stays visible
// and exact: a row not listed that leaves its bounds fails the test, and so
// does a listed row that comes back within them (delete its entry). Both
// lists are the open part of the Table 2 / Fig. 3 calibration (issue 6).
var knownOut = map[string]string{}

// knownShapeFail lists the Fig. 3 shape checks (by the start of their
// description) that fail today, likewise. None does.
//
// The check that held out longest, "SHM4 crosses MSG8" at 16 cores, turned
// on the server. Its time per update was 417 cycles against the paper's
// 360 because every network probe held each node's probe engine for
// 20 ns, the occupancy Table 2's same-package throughput and the on-chip
// shared-memory points need; a server's request fetch then queued at every
// node behind its fifteen clients' probes. A network probe's lookup is a
// few northbridge cycles on a real K10 (at 20 ns no node could look up more
// than 50 M probes a second, which would cap a four-socket machine at
// 3.2 GB/s), so the engine now charges network probes 2 ns and on-chip
// sibling probes 20 ns (sim/cache design.md, "Probe engine"). The server
// came to 367 and MSG8 to 5928 (paper 5820), below SHM4's 5995 (paper
// 7420): the crossing holds, by about 1 %, and holds for any network
// occupancy from 1 to 5 ns. Tables 1 and 3 did not move; in Table 2 only
// off-chip throughput did (amd4x4 one-hop +7.9 %, two-hop -14.2 %).
//
// What stays off, for whoever takes it on: SHM4 is 19 % under the paper at
// 16 cores and 28 % at 4, while SHM2 and SHM8 are within 10 % at 16. Per
// line update at 16 cores the paper's SHM2, SHM4 and SHM8 cost 93, 116 and
// 91 cycles and ours 97, 94 and 100: our threads are limited by the home's
// DRAM bank (Fig. 3's lines share one row; tRC 50 ns) and by the ordering of
// every request at the home, which makes every SHMn cost about the same per
// line update, while the paper's SHM4 is the odd one out. SHM1 is far
// under the paper from 5 cores on (114 against 940 at 16): a core that has
// the line makes many updates from its store buffer before a probe takes
// it. Measured and not committed earlier: an RFO prefetch of the next
// buffered store's line, and a prefetch of the next line in the SHM loop,
// each bring SHM4 at 3-4 cores near the paper but put SHM8 at 3-4 or 16
// cores 20 % or more over it.
var knownShapeFail = map[string]string{}

func rowKey(r Row) string { return r.Experiment + "/" + r.Machine + "/" + r.Series + "/" + r.X }

// judge applies within and the knownOut list: it returns an error message
// for a row that fails unexpectedly or passes while listed as failing.
func judge(t *testing.T, r Row, bound float64) string {
	t.Helper()
	ok := within(t, r, bound)
	why, listed := knownOut[rowKey(r)]
	switch {
	case !ok && !listed:
		return fmt.Sprintf("%s: %.2f is outside ±%.0f%% of the paper's %.2f", rowKey(r), r.Value, bound*100, r.Paper)
	case ok && listed:
		return fmt.Sprintf("%s: now within bounds (%.2f vs %.2f): remove it from knownOut (%s)", rowKey(r), r.Value, r.Paper, why)
	case !ok:
		t.Logf("  known deviation: %s", why)
	}
	return ""
}

// relErr is (value - paper) / paper.
func relErr(r Row) float64 { return (r.Value - r.Paper) / r.Paper }

// within logs a row against the paper and reports whether it is within
// ±bound of it (rows without a paper number always are).
func within(t *testing.T, r Row, bound float64) bool {
	t.Helper()
	sd := ""
	if !math.IsNaN(r.SD) {
		sd = fmt.Sprintf(" (sd %.1f)", r.SD)
	}
	if math.IsNaN(r.Paper) {
		t.Logf("%-8s %-10s %-11s %9.2f%s %s; no paper number (held out)", r.Machine, r.Series, r.X, r.Value, sd, r.Unit)
		return true
	}
	e := relErr(r)
	ok := math.Abs(e) <= bound
	mark := "ok"
	if !ok {
		mark = fmt.Sprintf("OUT OF BOUNDS (±%.0f%%)", bound*100)
	}
	t.Logf("%-8s %-10s %-11s %9.2f%s %s; paper %.2f; error %+.1f%% %s", r.Machine, r.Series, r.X, r.Value, sd, r.Unit, r.Paper, e*100, mark)
	return ok
}

func TestCalibrationTable1(t *testing.T) {
	var bad []string
	for _, r := range rowsOf(t, "table1") {
		if msg := judge(t, r, 0.15); msg != "" {
			bad = append(bad, msg)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("Table 1 (±15%%):\n  %s", strings.Join(bad, "\n  "))
	}
}

func TestCalibrationTable2(t *testing.T) {
	var bad []string
	for _, r := range rowsOf(t, "table2") {
		bound := 0.15
		if r.Series == "throughput" {
			bound = 0.20
		}
		if msg := judge(t, r, bound); msg != "" {
			bad = append(bad, msg)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("Table 2 (latency ±15%%, throughput ±20%%):\n  %s", strings.Join(bad, "\n  "))
	}
}

// Table 3: the URPC rows must match the paper as Table 2's do; the LRPC
// rows are compared with L4's IPC, a different system, so they are only
// reported; the line counts are reported (the paper's include stack and
// code, which are not simulated memory).
func TestCalibrationTable3(t *testing.T) {
	var bad []string
	for _, r := range rowsOf(t, "table3") {
		msg := ""
		switch r.Series {
		case "urpc-latency":
			msg = judge(t, r, 0.15)
		case "urpc-throughput":
			msg = judge(t, r, 0.20)
		default:
			within(t, r, math.Inf(1))
		}
		if msg != "" {
			bad = append(bad, msg)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("Table 3 URPC rows:\n  %s", strings.Join(bad, "\n  "))
	}
}

// TestFig3Shape checks what the paper says about Fig. 3 (paper.md §2.4);
// every point's error against the plot is reported but not bounded (the
// plot's values are read off a figure, and the shape is the claim).
func TestFig3Shape(t *testing.T) {
	rows := rowsOf(t, "fig3")
	v := map[string]map[string]float64{}
	for _, r := range rows {
		if v[r.Series] == nil {
			v[r.Series] = map[string]float64{}
		}
		v[r.Series][r.X] = r.Value
		within(t, r, math.Inf(1))
	}
	at := func(s string, k int) float64 { return v[s][fmt.Sprint(k)] }
	var fails []string
	check := func(ok bool, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		why, listed := "", false
		for k, w := range knownShapeFail {
			if strings.HasPrefix(format, k) {
				why, listed = w, true
			}
		}
		switch {
		case !ok && !listed:
			fails = append(fails, msg)
			msg += ": FAILS"
		case !ok:
			msg += ": FAILS (known: " + why + ")"
		case listed:
			fails = append(fails, msg+": now holds: remove it from knownShapeFail")
		}
		t.Log("shape: " + msg)
	}
	check(at("SHM1", 2) < 30, "SHM1 at 2 cores under 30 cycles (%.0f)", at("SHM1", 2))
	for _, s := range []string{"SHM1", "SHM2", "SHM4", "SHM8", "MSG1", "MSG8"} {
		check(at(s, 16) > 2*at(s, 2), "%s grows with cores: 16 cores %.0f > 2 × 2 cores %.0f", s, at(s, 16), at(s, 2))
	}
	check(at("SHM1", 16) < at("SHM2", 16) && at("SHM2", 16) < at("SHM4", 16) && at("SHM4", 16) < at("SHM8", 16),
		"SHM grows with lines at 16 cores (%.0f < %.0f < %.0f < %.0f)", at("SHM1", 16), at("SHM2", 16), at("SHM4", 16), at("SHM8", 16))
	check(at("SHM8", 16) > 8000, "SHM8 at 16 cores costs almost 12,000 cycles (%.0f > 8000)", at("SHM8", 16))
	for _, k := range []int{2, 16} {
		check(math.Abs(at("MSG8", k)-at("MSG1", k)) <= 0.15*at("MSG1", k),
			"MSG barely depends on the lines: MSG8 %.0f within 15%% of MSG1 %.0f at %d cores", at("MSG8", k), at("MSG1", k), k)
	}
	check(at("SHM4", 2) < at("MSG8", 2) && at("SHM4", 16) > at("MSG8", 16),
		"SHM4 crosses MSG8: below at 2 cores (%.0f < %.0f), above at 16 (%.0f > %.0f)",
		at("SHM4", 2), at("MSG8", 2), at("SHM4", 16), at("MSG8", 16))
	check(at("Server", 16) >= 250 && at("Server", 16) <= 450, "Server flat at about 330-360 cycles: %.0f at 16 cores", at("Server", 16))
	check(at("Server", 2) > at("Server", 16), "Server higher at 2 cores (%.0f) than at 16 (%.0f)", at("Server", 2), at("Server", 16))
	// "The single server can do twice as many updates per second as all
	// 16 shared-memory threads combined" (SHM8 vs Server at 16 cores).
	srvRate, shmRate := 1/at("Server", 16), 16/at("SHM8", 16)
	check(srvRate >= 2*shmRate*0.8, "server rate %.2g updates/cycle about twice the 16 SHM8 threads' %.2g", srvRate, shmRate)
	if len(fails) > 0 {
		t.Fatalf("Fig. 3 shape: %d checks fail:\n  %s", len(fails), strings.Join(fails, "\n  "))
	}
}

// The same seed gives byte-identical CSV on the simulator (reduced sizes,
// every experiment, two runs each).
func TestDeterministicOnSim(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulator (-short)")
	}
	sz := sizes{LRPC: 100, Ping: 100, Tput: 50, InFlight: 16, Lines: 20, Fig3Iters: 40, Fig3Cores: []int{2, 9}}
	for _, b := range bodies {
		var csv [2][]byte
		for i := range csv {
			rows, _, err := b.run(Params{Seed: 3}, simBackend, sz)
			if err != nil {
				t.Fatalf("%s: %v", b.name, err)
			}
			csv[i] = EncodeCSV(rows)
		}
		checkCSV(t, b.name, csv[0], b.rows(sz))
		if !bytes.Equal(csv[0], csv[1]) {
			t.Fatalf("%s: two runs with one seed differ:\n%s\n%s", b.name, csv[0], csv[1])
		}
	}
}
