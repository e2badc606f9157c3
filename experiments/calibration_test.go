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
// description) that fail today, likewise.
//
// What the paper's SHM points say (paper.md §2.4), for whoever takes this
// on: divide each point by the line updates all threads make per round
// (cores × lines) and, for n >= 4 lines (and n = 2 from 8 cores), every
// point from 2 to 16 cores lands at 89-121 cycles per line update: the
// machine as a whole makes one update every ~95 cycles (~38 ns) whether
// one package takes part or four. Two things in our model now serialise
// them: the K10 orders every request at the line's home, on-chip
// transfers of remotely homed lines included (sim/cache design.md,
// "Ordered on-chip transfers"), and the home's speculative DRAM read of
// each request waits for its bank, one access per row cycle (tRC 50 ns,
// sim/cache dram.go): Fig. 3's lines share one DRAM row. That brought
// SHM8 at 16 cores to 12754 (paper 11690) and SHM4 to 5995 (7420).
// SHM4 still stays under MSG8 (6696) because node 0's own cores move its
// locally homed lines on chip, without the home (a quarter of the
// updates). Tried and rejected: ordering those at the local home's DRAM
// too (bank slot before the sibling probe) with a 10 ns probe occupancy
// makes SHM4 cross MSG8 at 16 cores (5994 vs 5982) and brings MSG and
// Server to the paper, but 4 cores updating 8 lines then make two
// transfers per update (the load's, then the store's after a sibling took
// the line back): SHM8 at 4 cores 7500 against the paper's 2850.
//
// Why the crossing is hard in a bank- or probe-engine-limited model: it
// makes every SHMn cost about the same per line update at 16 cores (ours:
// SHM2 93, SHM4 94, SHM8 100 cycles), while the paper's SHM4 is the odd
// one out (SHM2 93, SHM4 116, SHM8 91). The crossing needs 64 updates ×
// SHM4's cost above 15 clients × the server's service time (ours 446
// cycles with 8 lines, 3 clients on chip at ~340 and 12 off chip at
// 415-500, each remote request's fetch being an HT c2c transfer of
// 220-300 cycles). Measured, not committed: row_cycle 55 ns lifts SHM4
// to 6590 but SHM8 to 13745 (+18 %); HT links at 1.6-2 GHz make MSG8 6030-
// 6220 and Table 2's throughput flat with distance as in the paper, but
// put one-hop latency at -15/-16 %, and the Opteron 8380 (Shanghai, 2008)
// runs HT at 1 GHz (HT3 came with the 8387/8389), so that would be tuning
// against the data sheet; CPI 0.5 puts two Table 2 latencies out of
// bounds. The paper's own MSG1(x) / Server(x) is 15.3 at 16 cores, 11.3
// at 12 and 7.6 at 8: at saturation its round trip is x - 1 server
// services, as ours (x - 1 clients), so MSG8 at 16 cores is compared like
// with like.
//
// The lead for whoever takes this on next: the store buffer. Our SHM
// threads' loads are 99 % forwarded from their own store buffer (the
// buffer drains one miss at a time, so each core runs up to 32 stores,
// 4-16 rounds, ahead on its own stale values), and an update costs one
// transaction (the store's GetM), not two. Measured, not committed: an
// RFO prefetch (PrefetchW) of the next buffered store's line whenever the
// head store misses, as x86 cores issue ownership requests ahead of the
// in-order commit, leaves every Table 1-3 row unchanged (URPC's stores
// fill one line at a time), brings SHM4 at 3-4 cores to 1300/1600 (paper
// 1180/1530; now 900/800), and with row_cycle 40 ns and
// probe_occupancy 22 ns gives SHM4 7824 against MSG8 6760 at 16 cores
// (the crossing holds) and amd4x4 throughput +13/-5/-16 %; but SHM8 goes
// to 4289/5499 at 3/4 cores (paper 2290/2850), above its 8-core point
// (4796), and to 14318 at 16 (+22 %). On chip it makes more transfers
// per update (ownership requests that lose their line before the store
// commits), each holding node 0's probe engine 20 ns; a shorter
// occupancy for on-chip probes alone (10 ns: SHM8 2299 at 4 cores) puts
// amd4x4's shared throughput at +45 %, which wants it at 20 ns or more.
// Counted at 4 cores and 8 lines: 1.9 on-chip transfers per update
// without the ownership prefetch, 3.1 with it (it takes lines that other
// cores take back before the store commits), and node 0's probe engine
// (20 ns, 50 cycles, per transfer) is the limit either way: the paper's
// 2850 means about 1.8 per update, so SHM8 at 4 cores argues against such
// prefetching on the K10 while SHM4 at 3-4 cores argues for more
// transfers than we make.
//
// Since probes travel as multicasts (sim/interconnect design.md, "Link
// broadcast"): SHM4 at 16 cores 6124 (was 5995), SHM2 3126 (2969), SHM4 at
// 4 cores 1100 (800; paper 1530); MSG8 and Server unchanged (6700, 417).
// The server's time is its fetches and its software, not probe traffic.
var knownShapeFail = map[string]string{
	"SHM4 crosses MSG8": "SHM4 at 16 cores is 6124 against MSG8's 6700: node 0's cores move its locally homed " +
		"lines on chip without the home's DRAM ordering (a quarter of the updates), and MSG8 is 15 % over the paper",
}

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
