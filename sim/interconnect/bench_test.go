package interconnect

import (
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// pump keeps a fixed number of messages in flight from node 0 to node 2 of a
// 3-node line: every delivery frees the message and sends a new one, until
// left reaches zero.
type pump struct {
	n    *Network
	left int
	got  int
}

func (p *pump) Receive(m *mem.Msg) {
	p.got++
	p.n.Free(m)
	p.next()
}

func (p *pump) next() {
	if p.left == 0 {
		return
	}
	p.left--
	m := p.n.NewMsg()
	m.Src, m.Dst, m.Class, m.ID = 0, 2, mem.Class(p.left%2*int(mem.ClassData)), mem.OpID(p.left&3)
	p.n.Send(m)
}

func newPump(tb testing.TB, inFlight, total int) (*sim.Engine, *pump) {
	e := sim.New(1)
	n, err := New(e, line(3))
	if err != nil {
		tb.Fatal(err)
	}
	p := &pump{n: n, left: total}
	n.Attach(2, p)
	for i := 0; i < inFlight; i++ {
		p.next()
	}
	return e, p
}

// TestZeroAllocs: once pools and queues have grown, carrying a message over
// two hops allocates nothing.
func TestZeroAllocs(t *testing.T) {
	e, p := newPump(t, 16, 1<<30)
	e.RunUntil(10 * sim.Microsecond) // warm up
	allocs := testing.AllocsPerRun(100, func() {
		e.RunUntil(e.Now() + sim.Microsecond)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per microsecond of traffic", allocs)
	}
	if p.got == 0 {
		t.Fatal("no traffic")
	}
}

func TestZeroAllocsBroadcast(t *testing.T) {
	e := sim.New(1)
	cfg := DefaultConfig(4)
	cfg.Buses = []BusConfig{FSBBus(0, 1, 2, 3)}
	cfg.Links = []LinkConfig{HTLink(0, 3)}
	n, err := New(e, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		n.Attach(mem.NodeID(i), &freeing{n})
	}
	dsts := []mem.NodeID{0, 1, 2, 3}
	round := func() {
		m := n.NewMsg()
		m.Src, m.Class = 0, mem.ClassProbe
		n.Broadcast(m, dsts)
		e.RunUntilIdle()
	}
	for i := 0; i < 10; i++ {
		round()
	}
	if allocs := testing.AllocsPerRun(100, round); allocs != 0 {
		t.Errorf("%v allocations per broadcast", allocs)
	}
}

type freeing struct{ n *Network }

func (f *freeing) Receive(m *mem.Msg) { f.n.Free(m) }

// BenchmarkLinkTraffic measures messages per host second through a 2-hop
// path with 16 in flight (alternating probes and data messages).
func BenchmarkLinkTraffic(b *testing.B) {
	e, p := newPump(b, 16, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	e.RunUntilIdle()
	b.StopTimer()
	if p.got != b.N {
		b.Fatalf("delivered %d of %d", p.got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(e.Stats().Events)/float64(b.N), "events/msg")
}
