package cache

import (
	"fmt"

	"mksim/sim"
	"mksim/sim/mem"
)

// DRAM banks (Home.RowCycle > 0).
//
// A home reads DRAM for every GetS and GetM it orders (speculatively on the
// broadcast scheme: without a probe filter it cannot know whether a cache
// will supply the line), and writes it for every dirty writeback. Without
// banks those accesses overlap freely. With them, the node's memory is
// interleaved over Banks banks in rows of Row bytes, and a bank starts one
// access per RowCycle: tRC, as a closed-page controller opens and closes a
// row for each access. Lines of one row share a bank, so requests that
// keep one small region moving between caches (Fig. 3's shared-memory
// threads) each wait their turn there, whatever the lines; requests to
// different banks do not wait for each other. An access that finds its
// bank idle costs nothing extra, so the uncontended latencies (the probe
// table, ping-pong URPC) do not change.
//
// A read's data leaves at its bank's start plus Home.DRAM. Each bank's
// starts never decrease, so each bank's reads leave in the order they
// started: a FIFO per bank, one event per read. HomeStats.BankWaits and
// BankWait count the accesses that found their bank busy and how long
// they waited, so a study can tell bank queueing from coherence cost.

// dramBank is one bank's reservation and its reads in flight.
type dramBank struct {
	h    *home
	free sim.Time // the earliest start of the next access
	q    dlQueue
	name string
}

func (b *dramBank) Name() string { return b.name }

// Handle sends the oldest read's data.
func (b *dramBank) Handle(uint64) { b.h.s.send(b.q.pop().m) }

// newBanks builds cfg.Banks banks for h, or none when banks are off.
func newBanks(h *home, cfg *Home) []dramBank {
	if cfg.RowCycle <= 0 {
		return nil
	}
	if cfg.Banks < 1 || cfg.Row < mem.LineSize || cfg.Row&(cfg.Row-1) != 0 {
		sim.Failf(h.name, "config", "DRAM banks need Banks >= 1 and a power-of-two Row of at least a line (got %d banks, row %d)", cfg.Banks, cfg.Row)
	}
	bs := make([]dramBank, cfg.Banks)
	for i := range bs {
		bs[i] = dramBank{h: h, name: fmt.Sprintf("%s.bank%d", h.name, i)}
	}
	return bs
}

// bank is the bank holding line.
func (h *home) bank(line mem.LineAddr) *dramBank {
	return &h.banks[(uint64(line)/h.cfg.Row)%uint64(len(h.banks))]
}

// start reserves the bank for one access of length cycle from the earliest
// time it is free (now or later) and returns that start.
func (b *dramBank) start(cycle sim.Time) sim.Time {
	now := b.h.s.e.Now()
	st := max(now, b.free)
	if st > now {
		b.h.stats.BankWaits++
		b.h.stats.BankWait += st - now
	}
	b.free = st + cycle
	return st
}

// readDRAM sends m (memory data) after the DRAM latency, from when the
// line's bank can start the read.
func (h *home) readDRAM(m *mem.Msg) {
	if h.banks == nil {
		h.dram.push(m, 0)
		return
	}
	b := h.bank(m.Line)
	b.q.push(dlEntry{m: m})
	h.s.e.Post(b.start(h.cfg.RowCycle)+h.cfg.DRAM, b, 0)
}

// writeDRAM takes line's bank for one write (nothing waits for it but the
// accesses after it).
func (h *home) writeDRAM(line mem.LineAddr) {
	if h.banks != nil {
		h.bank(line).start(h.cfg.RowCycle)
	}
}
