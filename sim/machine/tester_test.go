package machine

import (
	"bufio"
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"mksim/sim/cache"
	"mksim/topologies"
)

// The random coherence tester of sim/cache, run over each shipped
// machine's real cache system and real interconnect (links, routing
// tables, buses, credits) as sim/machine wires them. The cores are built
// but never started, so the engine carries only the tester's traffic.
// Non-coherent cores have no port in the cache system and are left out
// (cache.System.Cores lists only cores with an L1 there).

var (
	machineTesterOps  = flag.Int("machine.tester.ops", 100_000, "machine random tester: accesses per shipped topology")
	machineTesterSeed = flag.Uint64("machine.tester.seed", 1, "machine random tester: seed (each topology adds its index)")
	machineTesterOnly = flag.String("machine.tester.topology", "", "machine random tester: run only topologies whose name contains this")
)

// runMachineTester runs the random tester on a fresh machine built from
// the shipped topology name.
func runMachineTester(t *testing.T, name string, seed uint64, ops int) {
	t.Helper()
	m := build(t, name, seed)
	s := m.Caches()
	lines := cache.TesterLines(s, 6+len(m.Spec().Nodes))
	start := time.Now()
	rt := cache.NewRandomTester(s, cache.TesterConfig{Seed: seed, Ops: ops, Lines: lines})
	res, err := rt.Run()
	if err != nil {
		t.Fatalf("%s: %v\n(rerun: go test ./sim/machine -run 'TestMachineRandom/%s' -machine.tester.seed %d -machine.tester.ops %d; add \"%s %d %d\" to testdata/regressions.txt)",
			name, err, name, seed, ops, name, seed, ops)
	}
	if res.Ops != ops {
		t.Fatalf("%s: tester ran %d accesses, want %d", name, res.Ops, ops)
	}
	rep := m.Network().Snapshot()
	var msgs uint64
	for i := range rep.Channels {
		msgs += rep.Channels[i].TotalMsgs()
	}
	if len(m.Spec().Nodes) > 1 && msgs == 0 {
		t.Fatalf("%s: %d accesses and no interconnect traffic: the tester did not reach the real network", name, ops)
	}
	t.Logf("%s seed %d (%d cores): %v; %v; %d link messages, %d delivered; %.2fs host",
		name, seed, len(s.Cores()), res, s.Stats(), msgs, rep.Delivered, time.Since(start).Seconds())
}

// TestMachineRandom runs the random tester on every shipped machine.
func TestMachineRandom(t *testing.T) {
	for i, name := range topologies.Shipped() {
		if *machineTesterOnly != "" && !strings.Contains(name, *machineTesterOnly) {
			continue
		}
		seed := *machineTesterSeed + uint64(i)
		t.Run(name, func(t *testing.T) {
			t.Logf("seed %d", seed)
			runMachineTester(t, name, seed, *machineTesterOps)
		})
	}
}

// TestMachineRandomRegressions reruns every seed that once failed on a
// shipped machine (testdata/regressions.txt: "topology seed ops" lines).
func TestMachineRandomRegressions(t *testing.T) {
	f, err := os.Open("testdata/regressions.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	shipped := map[string]bool{}
	for _, n := range topologies.Shipped() {
		shipped[n] = true
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 3 {
			t.Fatalf("regressions.txt:%d: want \"topology seed ops\", got %q", n, line)
		}
		if !shipped[fs[0]] {
			t.Fatalf("regressions.txt:%d: unknown shipped topology %q", n, fs[0])
		}
		seed, err1 := strconv.ParseUint(fs[1], 10, 64)
		ops, err2 := strconv.Atoi(fs[2])
		if err1 != nil || err2 != nil {
			t.Fatalf("regressions.txt:%d: bad seed or ops in %q", n, line)
		}
		t.Run(line, func(t *testing.T) { runMachineTester(t, fs[0], seed, ops) })
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}
