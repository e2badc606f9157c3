package machine

import (
	"mksim/arch"
	"mksim/sim"
	"mksim/sim/cores"
	"mksim/sim/interconnect"
	"mksim/sim/mem"
)

// ipiFabric carries IPIs across the interconnect as ClassIPI messages, so
// an interrupt to another package pays the links' latency and queues behind
// coherence traffic like the real HT interrupt messages do.
type ipiFabric struct {
	net    *interconnect.Network
	nodeOf []mem.NodeID // core -> node
	sink   cores.IPISink
	sent   uint64
}

func (f *ipiFabric) SendIPI(from, to arch.CoreID, v arch.Vector) {
	if int(to) < 0 || int(to) >= len(f.nodeOf) {
		sim.Failf("machine.ipi", "send", "IPI vector %d from %v to nonexistent %v", v, from, to)
	}
	m := f.net.NewMsg()
	m.Class = mem.ClassIPI
	m.Src = f.nodeOf[from]
	m.Dst = f.nodeOf[to]
	m.Requester = int(from)
	m.Unit = int(to)
	m.Acks = int(v)
	f.sent++
	f.net.Send(m)
}

// Receive is where the interconnect delivers every IPI (AttachClass): to
// the target core.
func (f *ipiFabric) Receive(m *mem.Msg) {
	from, to, v := arch.CoreID(m.Requester), arch.CoreID(m.Unit), arch.Vector(m.Acks)
	f.net.Free(m)
	f.sink.DeliverIPI(to, v, from)
}

// noCache is what the interconnect delivers to at a node without a
// coherence controller: only IPIs should go there, and the fabric takes
// those.
type noCache struct{}

func (noCache) Receive(m *mem.Msg) {
	sim.Failf("machine.node", "receive", "message %v for a node without a coherence controller", m)
}
