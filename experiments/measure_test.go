package experiments

import (
	"testing"

	"mksim/arch"
	"mksim/arch/archtest"
	"mksim/topologies"
)

// fake is a functional machine with cores cores, two per package.
func fake(cores int) (*archtest.Machine, *arch.FrameAllocator) {
	m := archtest.New(archtest.Config{Cores: cores, CoresPerPackage: 2, Seed: 3,
		Costs: archtest.Costs{Syscall: 50, SwitchAddressSpace: 100}})
	return m, m.Allocator()
}

func positive(t *testing.T, what string, xs []arch.Cycles, n int) {
	t.Helper()
	if len(xs) != n {
		t.Fatalf("%s: %d samples, want %d", what, len(xs), n)
	}
	for i, x := range xs {
		if x <= 0 {
			t.Fatalf("%s: sample %d is %d", what, i, x)
		}
	}
}

func TestURPCPingPongOnFake(t *testing.T) {
	m, al := fake(2)
	rts, err := URPCPingPong(m, al, 0, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	positive(t, "round trips", rts, 100)
	mean, sd := meanSD(scale(steady(rts), 0.5))
	t.Logf("fake one-way latency %.1f (sd %.1f)", mean, sd)
}

func TestURPCThroughputOnFake(t *testing.T) {
	m, al := fake(4)
	gaps, err := URPCThroughput(m, al, 0, 2, 16, 200)
	if err != nil {
		t.Fatal(err)
	}
	positive(t, "intervals", gaps, 200)
	if _, err := URPCThroughput(m, al, 0, 2, 32, 10); err == nil {
		t.Fatal("32 in flight accepted (ring has 32 slots; flow control allows 31 with acks pending)")
	}
}

// One URPC message touches the sender's state line, the slot, and the
// receiver's state line: the slot is the only line both cores touch.
func TestURPCLinesOnFake(t *testing.T) {
	m, al := fake(2)
	n, err := URPCLinesPerMessage(m, al, 0, 1, 20)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("URPC message touches %d lines, want 3 (two state lines and the slot)", n)
	}
}

func TestLRPCOnFake(t *testing.T) {
	m, al := fake(1)
	ab, ba, err := LRPCPingPong(m, al, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	positive(t, "A→B", ab, 50)
	positive(t, "B→A", ba, 50)

	m, al = fake(1)
	rts, err := LRPCRoundTrips(m, al, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	positive(t, "round trips", rts, 50)
	// A round trip is two one-way trips plus the user code between them.
	lat, _ := meanSD(steady(ab))
	rt, _ := meanSD(steady(rts))
	if rt < 2*lat || rt > 2*lat+100 {
		t.Fatalf("LRPC round trip %.0f cycles, one-way %.0f", rt, lat)
	}

	m, al = fake(1)
	lines, err := LRPCLinesPerMessage(m, al, 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	// kernel's doc: 17 lines per steady-state one-way LRPC.
	if lines < 10 || lines > 30 {
		t.Fatalf("LRPC touches %d lines", lines)
	}
	t.Logf("fake: LRPC one-way %.0f, round trip %.0f cycles, %d lines", lat, rt, lines)
}

func TestSHMOnFake(t *testing.T) {
	m, al := fake(4)
	per, err := SHMUpdate(m, al, []arch.CoreID{0, 1, 2, 3}, 4, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(per) != 4 {
		t.Fatalf("%d cores reported", len(per))
	}
	for i, s := range per {
		positive(t, "core "+arch.CoreID(i).String(), s, 50)
		// On the fake every access costs one cycle: 4 loads, 4 stores
		// and a Now per update.
		if mean, _ := meanSD(steady(s)); mean < 8 {
			t.Fatalf("core %d: %.1f cycles per update of 4 lines", i, mean)
		}
	}
}

func TestMSGOnFake(t *testing.T) {
	m, al := fake(4)
	res, err := MSGUpdate(m, al, 0, []arch.CoreID{1, 2, 3}, 8, 40)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Clients) != 3 || len(res.Server) != 3*40 {
		t.Fatalf("%d clients, %d server samples", len(res.Clients), len(res.Server))
	}
	for i, s := range res.Clients {
		positive(t, "client "+arch.CoreID(i+1).String(), s, 40)
	}
	positive(t, "server", res.Server, 120)
	positive(t, "service", res.Service, 120)
	for i := range res.Server {
		if res.Service[i] > res.Server[i] {
			t.Fatalf("update %d: service %d cycles, more than the %d since the update before", i, res.Service[i], res.Server[i])
		}
	}
	srv, _ := meanSD(steady(res.Server))
	cli, _ := meanSD(pooled(res.Clients))
	if srv < 16 || cli < srv {
		t.Fatalf("server %.0f cycles per update of 8 lines, client round trip %.0f", srv, cli)
	}
}

func TestFindPair(t *testing.T) {
	for _, tc := range []struct {
		machine, class string
		want           Pair
	}{
		{"intel2x4", ClassShared, Pair{0, 1}},
		{"intel2x4", ClassNonShared, Pair{0, 2}},
		{"amd2x2", ClassSameDie, Pair{0, 1}},
		{"amd2x2", ClassOneHop, Pair{0, 2}},
		{"amd4x4", ClassShared, Pair{0, 1}},
	} {
		s, err := topologies.Open(tc.machine)
		if err != nil {
			t.Fatal(err)
		}
		got, err := FindPair(s, tc.class)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s %s: got %v, want %v", tc.machine, tc.class, got, tc.want)
		}
	}
	for _, name := range tableMachines {
		classes := table2Classes[name]
		s, err := topologies.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, class := range classes {
			pr, err := FindPair(s, class)
			if err != nil {
				t.Fatal(err)
			}
			a, b := s.Cores[pr.A], s.Cores[pr.B]
			t.Logf("%s %s: cores %d (P%d) and %d (P%d), %d hops, shared level %d", name, class,
				pr.A, a.Package, pr.B, b.Package, pairHops(s, int(pr.A), int(pr.B)), s.SharedCacheLevel(int(pr.A), int(pr.B)))
			if pr.A != 0 {
				t.Errorf("%s %s: pair %v does not start at core 0", name, class, pr)
			}
			if h, ok := hopClasses[class]; ok && pairHops(s, int(pr.A), int(pr.B)) != h {
				t.Errorf("%s %s: %d hops", name, class, pairHops(s, int(pr.A), int(pr.B)))
			}
		}
	}
	s, _ := topologies.Open("amd2x2")
	if _, err := FindPair(s, ClassThreeHop); err == nil {
		t.Error("amd2x2 has a three-hop pair?")
	}
}
