package cores

import (
	"errors"
	"fmt"

	"mksim/arch"
	"mksim/sim"
)

// Config describes one core type. The lead's sim/machine fills it from a
// topology's core-type entry; every cost is in cycles of the core's own clock.
//
// Fields documented "0: default" take the default when left zero; the other
// costs mean what they say at zero.
type Config struct {
	Type     string    // core type name, for messages and CoreInfo
	Clock    sim.Clock // the core's clock; its period must be positive
	Coherent bool      // whether the core's caches take part in coherence (informational here)

	// CPI is CPINum/CPIDen cycles per instruction for Compute. Both zero
	// means 1. The fraction is exact: fractional cycles carry over from one
	// Compute to the next.
	CPINum, CPIDen int64

	StoreBufferEntries int // FIFO store buffer size (0: default 16)
	// PrefetchDegree is how many lines the hardware stream prefetcher
	// (stream.go) keeps ahead of an ascending stream of demand loads; 0
	// turns it off.
	PrefetchDegree int
	StoreCycles    arch.Cycles // cost of issuing a store into the buffer (0: default 1)
	ForwardCycles  arch.Cycles // store-to-load forwarding latency (0: default 3)
	DrainCycles    arch.Cycles // minimum gap between two stores draining into L1, and from a store entering the buffer to its first drain attempt (0: default 1)
	LockedCycles   arch.Cycles // extra cost of a locked operation (CAS, FetchAdd, Swap) beyond its L1 access
	FenceCycles    arch.Cycles // cost of an mfence once the buffer is empty
	FlushCycles    arch.Cycles // extra cost of Flush/Invalidate beyond the L1 access

	TrapCycles            arch.Cycles // taking an interrupt: entry, handler dispatch and iret (about 800 on the paper's AMD machines)
	IPISendCycles         arch.Cycles // writing the APIC ICR to send an IPI
	SyscallCycles         arch.Cycles // syscall + sysret
	AddrSpaceSwitchCycles arch.Cycles // loading CR3 including the implied TLB flush
	InvlpgCycles          arch.Cycles // invalidating one TLB entry (95-320 cycles on the paper's hardware)

	// SpinLoopCycles is the cost of one iteration of SpinUntil's polling
	// loop beyond the load itself (compare and branch). 0: default 2.
	SpinLoopCycles arch.Cycles
	// SpinPollCycles selects SpinUntil's behaviour on ports that cannot
	// watch lines. 0 (the default) is exact: the core re-polls at the first
	// loop iteration after each pending event, so it returns at the same
	// iteration as the naive loop. A positive value re-polls no more often
	// than every SpinPollCycles, trading up to that much accuracy for fewer
	// events.
	SpinPollCycles arch.Cycles
}

// Defaults filled in by New for zero fields.
const (
	DefaultStoreBufferEntries = 16
	DefaultStoreCycles        = 1
	DefaultForwardCycles      = 3
	DefaultDrainCycles        = 1
	DefaultSpinLoopCycles     = 2
)

// Validate reports a configuration no core can run with.
func (c *Config) Validate() error {
	var errs []error
	if c.Clock.Period <= 0 {
		errs = append(errs, fmt.Errorf("clock %q: period %v is not positive", c.Clock.Name, c.Clock.Period))
	}
	if c.CPINum < 0 || c.CPIDen < 0 || (c.CPINum == 0) != (c.CPIDen == 0) {
		errs = append(errs, fmt.Errorf("CPI %d/%d: numerator and denominator must both be positive (or both zero for 1)", c.CPINum, c.CPIDen))
	}
	if c.PrefetchDegree < 0 || c.PrefetchDegree > numPrefetchSlots {
		errs = append(errs, fmt.Errorf("prefetch degree %d: want 0..%d", c.PrefetchDegree, numPrefetchSlots))
	}
	if c.StoreBufferEntries < 0 || c.StoreBufferEntries > 1024 {
		errs = append(errs, fmt.Errorf("store buffer entries %d: want 1..1024 (0 for the default)", c.StoreBufferEntries))
	}
	costs := []struct {
		name string
		v    arch.Cycles
	}{
		{"store", c.StoreCycles}, {"forward", c.ForwardCycles}, {"drain", c.DrainCycles},
		{"locked", c.LockedCycles}, {"fence", c.FenceCycles}, {"flush", c.FlushCycles},
		{"trap", c.TrapCycles}, {"IPI send", c.IPISendCycles}, {"syscall", c.SyscallCycles},
		{"address-space switch", c.AddrSpaceSwitchCycles}, {"invlpg", c.InvlpgCycles},
		{"spin loop", c.SpinLoopCycles}, {"spin poll", c.SpinPollCycles},
	}
	for _, k := range costs {
		if k.v < 0 {
			errs = append(errs, fmt.Errorf("%s cost %d cycles is negative", k.name, k.v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("core type %q: %w", c.Type, err)
	}
	return nil
}

// withDefaults returns the config with zero "default" fields filled in.
func (c Config) withDefaults() Config {
	if c.CPINum == 0 && c.CPIDen == 0 {
		c.CPINum, c.CPIDen = 1, 1
	}
	if c.StoreBufferEntries == 0 {
		c.StoreBufferEntries = DefaultStoreBufferEntries
	}
	if c.StoreCycles == 0 {
		c.StoreCycles = DefaultStoreCycles
	}
	if c.ForwardCycles == 0 {
		c.ForwardCycles = DefaultForwardCycles
	}
	if c.DrainCycles == 0 {
		c.DrainCycles = DefaultDrainCycles
	}
	if c.SpinLoopCycles == 0 {
		c.SpinLoopCycles = DefaultSpinLoopCycles
	}
	return c
}
