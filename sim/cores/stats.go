package cores

import (
	"fmt"

	"mksim/arch"
	"mksim/sim"
)

// Stats counts what one core did. Loads include loads forwarded from the
// store buffer and the iterations SpinUntil skipped while sleeping (so they
// match the naive polling loop); Resumes counts switches into the core's
// coroutine, the host-side cost.
type Stats struct {
	Instructions uint64
	Loads        uint64
	Stores       uint64
	Atomics      uint64
	Forwarded    uint64 // loads served by the store buffer

	LoadMisses   uint64 // loads that went to the memory system
	StoreMisses  uint64 // buffered stores that missed when draining
	AtomicMisses uint64
	OtherMisses  uint64 // flushes and invalidations that went to the memory system

	StoresDrained     uint64
	Fences            uint64
	DrainStalls       uint64 // instructions that waited for the store buffer
	SBFullStalls      uint64 // stores that found the buffer full
	Prefetches        uint64
	PrefetchesDropped uint64
	// HWPrefetches counts the hardware stream prefetcher's prefetches
	// (dropped ones included); HWPrefetchesDropped those that found every
	// prefetch slot busy.
	HWPrefetches        uint64
	HWPrefetchesDropped uint64
	Flushes             uint64
	Invalidates         uint64

	Spins       uint64 // SpinUntil calls
	SpinSkipped uint64 // polling iterations charged without executing them

	IPIsSent           uint64
	IPIsReceived       uint64
	Interrupts         uint64
	SpuriousInterrupts uint64 // interrupts with no handler installed

	Syscalls          uint64
	AddrSpaceSwitches uint64
	TLBInvalidations  uint64

	Resumes    uint64
	HaltedTime sim.Time
	BusyTime   sim.Time    // local time since the core started, minus time halted
	BusyCycles arch.Cycles // BusyTime in the core's cycles
}

// Misses is every access that went to the memory system.
func (s Stats) Misses() uint64 {
	return s.LoadMisses + s.StoreMisses + s.AtomicMisses + s.OtherMisses
}

func (s Stats) String() string {
	return fmt.Sprintf("instr %d loads %d stores %d atomics %d misses %d busy %d cycles ipis %d/%d",
		s.Instructions, s.Loads, s.Stores, s.Atomics, s.Misses(), s.BusyCycles, s.IPIsSent, s.IPIsReceived)
}

// Stats returns the core's counters so far.
func (c *Core) Stats() Stats {
	s := c.stats
	s.BusyTime = c.now - c.started - s.HaltedTime
	if s.BusyTime < 0 {
		s.BusyTime = 0
	}
	s.BusyCycles = arch.Cycles(s.BusyTime / c.period)
	return s
}
