package cache

import (
	"bufio"
	"flag"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"mksim/sim"
)

var (
	testerOps  = flag.Int("tester.ops", 100_000, "random tester: accesses per configuration")
	testerSeed = flag.Uint64("tester.seed", 1, "random tester: seed (each configuration adds its index)")
	testerOnly = flag.String("tester.config", "", "random tester: run only configurations whose name contains this")
)

// testerConfigs is every machine the random tester runs on: each scheme
// with 2, 4 and 8 packages, 1 to 4 cores per package, private and shared
// L2s, with and without an L3, MOESI and MESI, and network jitter that
// reorders messages.
func testerConfigs() []tconf {
	var cs []tconf
	i := 0
	for _, sch := range []Scheme{Broadcast, Directory, SnoopFilter} {
		for _, nodes := range []int{2, 4, 8} {
			for _, l3 := range []bool{false, true} {
				i++
				c := tconf{scheme: sch, nodes: nodes, cores: 1 + i%4, l3: l3, jitter: 7 * sim.Nanosecond}
				switch {
				case sch == SnoopFilter:
					c.hub, c.mesi = true, true
					if c.cores >= 2 {
						c.cluster = 2
					}
				case i%3 == 0:
					c.mesi = true
				}
				if c.cores == 4 && i%2 == 0 {
					c.cluster = 2
				}
				cs = append(cs, c)
			}
		}
	}
	// Single-MSHR packages and no jitter: different interleavings.
	cs = append(cs,
		tconf{scheme: Broadcast, nodes: 4, cores: 4, l3: true, mshrs: 1},
		tconf{scheme: Directory, nodes: 4, cores: 3, mshrs: 1},
		tconf{scheme: Directory, nodes: 2, cores: 4, cluster: 4, l3: true, mesi: true},
		// Realistic sizes: few evictions, long-lived shared copies.
		tconf{scheme: Broadcast, nodes: 8, cores: 4, l3: true, big: true, jitter: 7 * sim.Nanosecond},
		tconf{scheme: Directory, nodes: 4, cores: 2, l3: true, big: true, jitter: 7 * sim.Nanosecond},
		// A network with Broadcast and a message pool.
		tconf{scheme: Broadcast, nodes: 4, cores: 2, l3: true, bcast: true, jitter: 7 * sim.Nanosecond},
		tconf{scheme: SnoopFilter, nodes: 4, cores: 2, cluster: 2, mesi: true, hub: true, bcast: true, jitter: 7 * sim.Nanosecond},
		// Long fill holds: much deferred work, waits that outlive the
		// line's state (evictions, writebacks, transactions).
		tconf{scheme: Broadcast, nodes: 4, cores: 4, cluster: 2, l3: true, jitter: 7 * sim.Nanosecond, hold: 40 * sim.Nanosecond},
		tconf{scheme: Broadcast, nodes: 2, cores: 3, mesi: true, jitter: 7 * sim.Nanosecond, hold: 40 * sim.Nanosecond, lines: 24},
		tconf{scheme: Directory, nodes: 4, cores: 3, jitter: 7 * sim.Nanosecond, hold: 40 * sim.Nanosecond, lines: 24},
		tconf{scheme: SnoopFilter, nodes: 2, cores: 4, cluster: 2, mesi: true, hub: true, jitter: 7 * sim.Nanosecond, hold: 40 * sim.Nanosecond},
		tconf{scheme: Broadcast, nodes: 4, cores: 3, jitter: 7 * sim.Nanosecond, hold: 100 * sim.Nanosecond, lines: 2},
		tconf{scheme: Directory, nodes: 2, cores: 4, l3: true, jitter: 7 * sim.Nanosecond, hold: 100 * sim.Nanosecond, lines: 2},
	)
	return cs
}

func runTester(t *testing.T, c tconf, seed uint64, ops int) {
	t.Helper()
	_, s, _ := c.build(t, seed)
	nl := c.lines
	if nl == 0 {
		nl = 6 + c.nodes
	}
	rt := NewRandomTester(s, TesterConfig{Seed: seed, Ops: ops, Lines: TesterLines(s, nl)})
	res, err := rt.Run()
	if err != nil {
		t.Fatalf("%v: %v\n(rerun: go test ./sim/cache -run 'TestRandom/%s' -tester.seed %d -tester.ops %d; add \"%s %d %d\" to testdata/regressions.txt)",
			c, err, c, seed, ops, c, seed, ops)
	}
	t.Logf("%v seed %d: %v; %v", c, seed, res, s.Stats())
	coverage.add(s)
}

// coverage accumulates which table rows the random tester exercised.
type rowCoverage struct {
	sync.Mutex
	tabs map[string]*table
}

var coverage rowCoverage

func (cv *rowCoverage) add(s *System) {
	cv.Lock()
	defer cv.Unlock()
	if cv.tabs == nil {
		cv.tabs = map[string]*table{}
	}
	for _, u := range []*table{s.tabs.pkg, s.tabs.home} {
		acc := cv.tabs[u.name]
		if acc == nil {
			acc = newTable(u.name, u.states, u.events, u.actions)
			for i := range u.rows {
				for j := range u.rows[i] {
					acc.rows[i][j] = row{set: u.rows[i][j].set, next: u.rows[i][j].next}
				}
			}
			cv.tabs[u.name] = acc
		}
		acc.addHits(u)
	}
}

// TestRandom runs the random tester on every configuration. With -v it
// lists the protocol table rows no run exercised.
func TestRandom(t *testing.T) {
	t.Cleanup(func() {
		coverage.Lock()
		defer coverage.Unlock()
		var names []string
		for n := range coverage.tabs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			for _, r := range coverage.tabs[n].unexercised() {
				t.Logf("not exercised: %s", r)
			}
		}
	})
	for i, c := range testerConfigs() {
		if *testerOnly != "" && !strings.Contains(c.String(), *testerOnly) {
			continue
		}
		seed := *testerSeed + uint64(i)
		t.Run(c.String(), func(t *testing.T) {
			t.Parallel()
			runTester(t, c, seed, *testerOps)
		})
	}
}

// TestRandomRegressions reruns every seed that once failed.
func TestRandomRegressions(t *testing.T) {
	f, err := os.Open("testdata/regressions.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byName := map[string]tconf{}
	for _, c := range testerConfigs() {
		byName[c.String()] = c
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 3 {
			t.Fatalf("regressions.txt:%d: want \"config seed ops\", got %q", n, line)
		}
		c, ok := byName[fs[0]]
		if !ok {
			t.Fatalf("regressions.txt:%d: unknown configuration %q", n, fs[0])
		}
		seed, err1 := strconv.ParseUint(fs[1], 10, 64)
		ops, err2 := strconv.Atoi(fs[2])
		if err1 != nil || err2 != nil {
			t.Fatalf("regressions.txt:%d: bad seed or ops in %q", n, line)
		}
		t.Run(line, func(t *testing.T) { runTester(t, c, seed, ops) })
	}
}
