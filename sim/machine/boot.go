package machine

import (
	"fmt"

	"mksim/arch"
)

// BootReport is what the boot program leaves: per core, the TSC at which it
// checked in, and the cycles it ran.
type BootReport struct {
	Cores []BootCore
}

// BootCore is one core's line of the boot report.
type BootCore struct {
	ID     arch.CoreID
	TSC    arch.Cycles // the core's TSC when it wrote its table entry
	Cycles arch.Cycles // the core's busy cycles over the whole program
}

// Boot runs the smallest program that exercises every core, cache and
// link: each core writes its ID and TSC into its slot of a table in core
// 0's local memory, then bumps a shared counter; core 0 waits until the
// counter says everyone has checked in and reads the table back. It returns
// what core 0 read, so a coherence bug shows up as a wrong report.
//
// Non-coherent cores cannot take part in a locked counter: they flush their
// slot instead, and core 0 flushes its own copy and re-reads until the slot
// is filled, the discipline such cores impose on software.
func Boot(m arch.Machine) (*BootReport, error) {
	n := m.NumCores()
	alloc := arch.NewFrameAllocator(m.Regions())
	table, err := alloc.Alloc(m.Info(0).Node, uint64(n)*arch.CacheLineSize+arch.CacheLineSize, 4096)
	if err != nil {
		return nil, err
	}
	counter := table + arch.Addr(n)*arch.CacheLineSize
	rep := &BootReport{Cores: make([]BootCore, n)}
	coherent := 0
	for i := 0; i < n; i++ {
		if m.Info(arch.CoreID(i)).Coherent {
			coherent++
		}
	}
	var bad error
	for i := 0; i < n; i++ {
		id := arch.CoreID(i)
		slot := table + arch.Addr(i)*arch.CacheLineSize
		m.Start(id, func(c arch.Core) {
			start := c.Now()
			c.Store(slot+8, uint64(c.Now()))
			c.Store(slot, uint64(c.ID())+1)
			if !m.Info(c.ID()).Coherent {
				c.Fence()
				c.Flush(slot)
			} else {
				c.FetchAdd(counter, 1) // locked: drains the stores above first
			}
			if c.ID() == 0 {
				c.SpinUntil(counter, func(v uint64) bool { return v == uint64(coherent) }, 0)
				for j := 0; j < n; j++ {
					s := table + arch.Addr(j)*arch.CacheLineSize
					if !m.Info(arch.CoreID(j)).Coherent {
						for {
							c.Flush(s)
							if c.Load(s) != 0 {
								break
							}
							c.Compute(100)
						}
					}
					if got := c.Load(s); got != uint64(j)+1 && bad == nil {
						bad = fmt.Errorf("boot: core 0 read id %d in core %d's slot", got, j)
					}
					rep.Cores[j].ID = arch.CoreID(j)
					rep.Cores[j].TSC = arch.Cycles(c.Load(s + 8))
				}
			}
			rep.Cores[c.ID()].Cycles = c.Now() - start
		})
	}
	if err := m.Run(); err != nil {
		return nil, err
	}
	return rep, bad
}
