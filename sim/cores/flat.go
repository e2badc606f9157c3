package cores

import (
	"mksim/sim"
	"mksim/sim/mem"
)

// FlatPort is the simplest memory system: every core's port is the same
// FlatPort, and every access hits one shared physical memory with a fixed
// latency, with no event. It is coherent (trivially: there are no caches)
// and gives x86-TSO through the cores' store buffers. Meant for tests of
// packages that run on sim/cores without the real memory system.
type FlatPort struct {
	Mem     *mem.Memory
	Latency sim.Time // charged per access; at least one core cycle is charged anyway
}

// NewFlatPort returns a port over a fresh memory.
func NewFlatPort(latency sim.Time) *FlatPort {
	return &FlatPort{Mem: mem.NewMemory(), Latency: latency}
}

// Hit performs every access at once.
func (f *FlatPort) Hit(a *mem.Access) (uint64, sim.Time, bool) {
	switch a.Op {
	case mem.OpLoad:
		return f.Mem.ReadWord(a.Addr), f.Latency, true
	case mem.OpStore:
		f.Mem.WriteWord(a.Addr, a.Value)
		return 0, f.Latency, true
	case mem.OpCAS, mem.OpFetchAdd, mem.OpSwap:
		old := f.Mem.ReadWord(a.Addr)
		f.Mem.WriteWord(a.Addr, a.Apply(old))
		return old, f.Latency, true
	default: // prefetches, flushes and invalidations have nothing to do
		return 0, f.Latency, true
	}
}

// Issue is never called: every access hits.
func (f *FlatPort) Issue(a *mem.Access, _ mem.Completion) {
	sim.Failf("cores.FlatPort", "issue", "unexpected miss for %v", a)
}
