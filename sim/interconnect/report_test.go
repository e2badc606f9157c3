package interconnect

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// runRandom runs random traffic on Gruyère with two-message buffers (so
// flow control binds) and returns the report and the delivery log.
func runRandom(t testing.TB, seed uint64) (string, string) {
	cfg := gruyere()
	cfg.Credits = 2
	cfg.RetryTimeout = 5 * sim.Microsecond
	cfg.CheckOwnership = true
	e := sim.New(seed)
	n, err := New(e, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	for i := 0; i < cfg.Nodes; i++ {
		n.Attach(mem.NodeID(i), &logger{e: e, n: n, w: &log})
	}
	g := &traffic{e: e, n: n, r: e.Rand("traffic"), left: 2000, maxGap: 6 * sim.Nanosecond, ops: 4}
	e.Schedule(0, g, 0)
	e.RunUntilIdle()
	return n.Snapshot().String(), log.String()
}

type logger struct {
	e *sim.Engine
	n *Network
	w *strings.Builder
}

func (l *logger) Receive(m *mem.Msg) {
	fmt.Fprintf(l.w, "%s %v\n", ns(l.e.Now()), m)
	l.n.Free(m)
}

func TestDeterminism(t *testing.T) {
	r1, l1 := runRandom(t, 7)
	r2, l2 := runRandom(t, 7)
	if r1 != r2 {
		t.Errorf("same seed, different reports:\n%s\n%s", r1, r2)
	}
	if l1 != l2 {
		t.Error("same seed, different delivery logs")
	}
	if strings.Count(l1, "\n") != 2000 {
		t.Errorf("delivered %d of 2000", strings.Count(l1, "\n"))
	}
	r3, _ := runRandom(t, 8)
	if r3 == r1 {
		t.Error("different seeds gave identical reports; traffic is not seeded")
	}
}

// TestReportGolden pins the report format and the numbers of a small fixed
// scenario: Gruyère with traffic from three operations, a bus, and a
// deadlocked ring.
func TestReportGolden(t *testing.T) {
	var out strings.Builder

	// Gruyère: op 1 moves lines 0->7 (3 hops), op 2 probes from 3 to all,
	// op 0 (untagged) sends two requests 5->4 at once.
	e, n, _ := build(t, gruyere())
	for i := 0; i < 4; i++ {
		send(n, 0, 7, mem.ClassData, uint64(i), 1)
	}
	m := n.NewMsg()
	m.Src, m.Class, m.Txn, m.ID = 3, mem.ClassProbe, 10, 2
	n.Broadcast(m, []mem.NodeID{0, 1, 2, 4, 5, 6, 7})
	send(n, 5, 4, mem.ClassRequest, 20, 0)
	send(n, 5, 4, mem.ClassRequest, 21, 0)
	send(n, 6, 6, mem.ClassIPI, 22, 2)
	e.RunUntil(sim.Microsecond)
	out.WriteString(n.Snapshot().String())

	// An Intel-style FSB: two packages and a memory hub, one snoop
	// broadcast and a data response.
	cfg := DefaultConfig(3)
	cfg.Buses = []BusConfig{FSBBus(0, 1, 2)}
	e, n, _ = build(t, cfg)
	m = n.NewMsg()
	m.Src, m.Class, m.Txn, m.ID = 2, mem.ClassProbe, 1, 5
	n.Broadcast(m, []mem.NodeID{0, 1})
	send(n, 1, 0, mem.ClassData, 2, 5)
	e.RunUntil(sim.Microsecond)
	out.WriteString("\n")
	out.WriteString(n.Snapshot().String())

	// A deadlocked ring, its report, and the counters after recovery.
	rc := clockwise(3, 1)
	rc.RetryTimeout = 2 * sim.Microsecond
	e, n, _ = build(t, rc)
	for i := 0; i < 3; i++ {
		for k := 0; k < 2; k++ {
			send(n, mem.NodeID(i), mem.NodeID((i+2)%3), mem.ClassData, uint64(10*i+k), mem.OpID(i+1))
		}
	}
	e.RunUntilIdle()
	out.WriteString("\n")
	for _, d := range n.Deadlocks() {
		out.WriteString(d.String())
		out.WriteString("\n")
	}
	out.WriteString(n.Snapshot().String())

	golden(t, "report.golden", out.String())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
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
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestNsFormat(t *testing.T) {
	for _, tc := range []struct {
		t    sim.Time
		want string
	}{
		{0, "0ns"}, {500, "0.5ns"}, {376, "0.376ns"}, {18000, "18ns"}, {10000025500, "10000025.5ns"}, {-1500, "-1.5ns"}, {1, "0.001ns"},
	} {
		if got := ns(tc.t); got != tc.want {
			t.Errorf("ns(%d) = %q, want %q", int64(tc.t), got, tc.want)
		}
	}
	for _, tc := range []struct {
		part, whole sim.Time
		want        string
	}{
		{0, 0, "-"}, {1, 3, "33.3"}, {2, 3, "66.7"}, {5, 5, "100.0"}, {1, 2000, "0.1"}, {1, 3000, "0.0"},
	} {
		if got := percent(tc.part, tc.whole); got != tc.want {
			t.Errorf("percent(%d, %d) = %q, want %q", tc.part, tc.whole, got, tc.want)
		}
	}
}
