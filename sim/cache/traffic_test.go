package cache

import (
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// idNet wraps fakeNet and records the OpID of every message sent.
type idNet struct {
	*fakeNet
	ids []mem.OpID
}

func (n *idNet) Send(m *mem.Msg) {
	n.ids = append(n.ids, m.ID)
	n.fakeNet.Send(m)
}

// sharePackage0 has every core of package 0 write a in turn, the others read
// it back, and another fetch-add the next word, and returns the
// interconnect messages this causes once package 0 has the line.
func sharePackage0(t *testing.T, c tconf, a mem.Addr) (msgs uint64, s *System) {
	t.Helper()
	_, s, n := c.build(t, 1)
	store(s, 0, a, 1)
	s.Settle()
	before := n.messages()
	for i := 0; i < 20; i++ {
		for core := 0; core < c.cores; core++ {
			store(s, core, a, uint64(i*10+core))
			for r := 0; r < c.cores; r++ {
				if v := load(s, r, a); v != uint64(i*10+core) {
					t.Fatalf("core %d reads %d", r, v)
				}
			}
			fetchAdd(s, (core+1)%c.cores, a+8, 1)
		}
	}
	s.Settle()
	if s.Stats().Packages[0].OnChip == 0 {
		t.Errorf("no on-chip transfers counted")
	}
	return n.messages() - before, s
}

// TestOnChipSharingNoTraffic: a line written in turn by every core of one
// package, and read by all of them, causes no interconnect message once the
// package has it exclusive, when the line is homed on that package (HT),
// or under a directory or snoop filter wherever it is homed.
func TestOnChipSharingNoTraffic(t *testing.T) {
	for _, c := range []tconf{
		{scheme: Broadcast, nodes: 4, cores: 4, l3: true, big: true},
		{scheme: Broadcast, nodes: 4, cores: 4, big: true},
		{scheme: Directory, nodes: 4, cores: 4, cluster: 2, big: true},
		{scheme: SnoopFilter, nodes: 2, cores: 4, cluster: 2, mesi: true, hub: true, big: true},
	} {
		t.Run(c.String(), func(t *testing.T) {
			a := mem.Addr(3*memPerNode/2 + 128) // homed off package 0 (or at the hub)
			if c.scheme == Broadcast {
				a = memPerNode/2 + 128 // homed on package 0
			}
			if d, _ := sharePackage0(t, c, a); d != 0 {
				t.Errorf("%d interconnect messages for a line shared inside one package", d)
			}
		})
	}
}

// TestOnChipOrderedAtHome: on HT, a transfer between two cores of a package
// of a line homed on another node is a request to that home, which probes
// every other node (the K10 sends every L2/L3 miss to the home), unless
// the configuration serves it on chip (LocalOnChip).
func TestOnChipOrderedAtHome(t *testing.T) {
	for _, l3 := range []bool{false, true} {
		c := tconf{scheme: Broadcast, nodes: 4, cores: 4, l3: l3, big: true}
		t.Run(c.String(), func(t *testing.T) {
			a := mem.Addr(3*memPerNode/2 + 128) // homed on node 1
			d, s := sharePackage0(t, c, a)
			// Every round: 4 stores, 12 loads of another cluster's line,
			// 4 fetch-adds, most of them a transfer between clusters,
			// each a request, 3 probes, 3 responses, the home's answer and
			// Done.
			if d < 20*4*9 {
				t.Errorf("%d interconnect messages; want at least %d for ordered on-chip transfers", d, 20*4*9)
			}
			st := s.Stats().Packages[0]
			if st.Requests[0] == 0 || st.Requests[1]+st.Requests[2] == 0 {
				t.Errorf("requests to the home: GetS %d GetM %d Upg %d; want reads and writes", st.Requests[0], st.Requests[1], st.Requests[2])
			}
			c.local = true
			if d, _ := sharePackage0(t, c, a); d != 0 {
				t.Errorf("LocalOnChip: %d interconnect messages for a line shared inside one package", d)
			}
		})
	}
}

// TestOpIDAttribution: every message caused by an access carries its OpID.
func TestOpIDAttribution(t *testing.T) {
	for _, c := range allSchemes() {
		t.Run(c.String(), func(t *testing.T) {
			_, s, n := c.build(t, 1)
			in := &idNet{fakeNet: n}
			s.SetNetwork(in)
			a := mem.Addr(memPerNode + 64)
			other := s.NumCores() - 1 // on the last package
			for i, acc := range []mem.Access{
				{Op: mem.OpStore, Addr: a, Value: 1, ID: 11},
				{Op: mem.OpLoad, Addr: a, ID: 12},
				{Op: mem.OpStore, Addr: a, Value: 2, ID: 13},
				{Op: mem.OpFetchAdd, Addr: a, Value: 1, ID: 14},
			} {
				core := []int{0, other}[i%2]
				in.ids = in.ids[:0]
				acc := acc
				s.Access(core, &acc)
				s.Settle()
				if len(in.ids) == 0 {
					t.Fatalf("access %v sent no message", &acc)
				}
				for _, id := range in.ids {
					if id != acc.ID {
						t.Fatalf("access %v: a message carries op %d", &acc, id)
					}
				}
			}
		})
	}
}

// dropNet loses the n-th Done message.
type dropNet struct {
	*fakeNet
	n, seen int
	dropped *mem.Msg
}

func (d *dropNet) Send(m *mem.Msg) {
	if m.Kind == KDone {
		d.seen++
		if d.seen == d.n {
			d.dropped = m
			return
		}
	}
	d.fakeNet.Send(m)
}

// TestWatchdog: a lost message stalls the line at its home; the tester's
// watchdog must notice and dump what is in flight.
func TestWatchdog(t *testing.T) {
	c := tconf{scheme: Broadcast, nodes: 2, cores: 2}
	_, s, n := c.build(t, 1)
	d := &dropNet{fakeNet: n, n: 50}
	s.SetNetwork(d)
	_, err := NewRandomTester(s, TesterConfig{Seed: 1, Ops: 20000, Watchdog: 50 * sim.Microsecond}).Run()
	if err == nil {
		t.Fatal("no stall reported")
	}
	msg := err.Error()
	for _, want := range []string{"watchdog", "in flight", "ordering", d.dropped.Line.String()} {
		if !contains(msg, want) {
			t.Errorf("report lacks %q:\n%s", want, msg)
		}
	}
}

// TestLRUWrap: the 32-bit LRU stamps renumber without losing the order.
func TestLRUWrap(t *testing.T) {
	a := newArray(Level{Size: 4 * mem.LineSize, Ways: 4})
	fs := a.frames // one set: its ways
	for i := range fs {
		fs[i].tag = mem.LineAddr(i * mem.LineSize)
	}
	a.stamp = ^uint32(0) - 2
	for i := range fs {
		a.touch(&fs[i]) // crosses the wrap
	}
	if v := a.victim(0); v != &fs[0] {
		t.Errorf("victim is way %v, want 0", v.tag)
	}
	a.touch(&fs[0])
	if v := a.victim(0); v != &fs[1] {
		t.Errorf("victim is line %v, want way 1", v.tag)
	}
}
