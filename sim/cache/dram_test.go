package cache

import (
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

// TestDRAMBanks: two nodes' cores read two lines homed at node 0 at the
// same moment. With the banks off, or with the lines in different banks,
// each read takes what it takes alone; with both lines in one row (one
// bank), the second read's DRAM access starts a row cycle after the
// first's, and its data arrives that much later.
func TestDRAMBanks(t *testing.T) {
	const cycle = 200 * sim.Nanosecond // far above every other latency here
	lineA := mem.Addr(64 << 10)
	cases := []struct {
		name  string
		banks bool
		lineB mem.Addr
		wait  bool // one read waits for the other's bank
	}{
		{"banks off", false, lineA + mem.LineSize, false},
		{"one row", true, lineA + mem.LineSize, true},
		{"next row, next bank", true, lineA + 4096, false},
		{"two rows apart, same bank", true, lineA + 2*4096, true},
	}
	c := tconf{scheme: Broadcast, nodes: 2, cores: 1, l3: true, big: true}
	edit := func(banks bool) func(*Config) {
		return func(cfg *Config) {
			if !banks {
				return
			}
			for i := range cfg.Homes {
				cfg.Homes[i].Banks, cfg.Homes[i].Row, cfg.Homes[i].RowCycle = 2, 4096, cycle
			}
		}
	}
	// solo is one read's latency from core on an idle machine.
	solo := func(banks bool, core int, a mem.Addr) sim.Time {
		e, s, _ := c.buildWith(t, 1, edit(banks))
		d := &doneAt{e: e}
		acc := mem.Access{Op: mem.OpLoad, Addr: a}
		s.Port(core).Issue(&acc, d)
		e.RunUntilIdle()
		return d.at
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, s, _ := c.buildWith(t, 1, edit(tc.banks))
			da, db := &doneAt{e: e}, &doneAt{e: e}
			accA := mem.Access{Op: mem.OpLoad, Addr: lineA}
			accB := mem.Access{Op: mem.OpLoad, Addr: tc.lineB}
			s.Port(0).Issue(&accA, da)
			s.Port(1).Issue(&accB, db)
			e.RunUntilIdle()
			soloA, soloB := solo(tc.banks, 0, lineA), solo(tc.banks, 1, tc.lineB)
			t.Logf("A %v (alone %v), B %v (alone %v)", da.at, soloA, db.at, soloB)
			hs := s.Stats().Homes[0]
			if waited := hs.BankWaits == 1 && hs.BankWait > 0; waited != tc.wait || (!tc.wait && (hs.BankWaits != 0 || hs.BankWait != 0)) {
				t.Fatalf("home 0 counted %d bank waits (%v), want one only if the reads share a bank (%v)", hs.BankWaits, hs.BankWait, tc.wait)
			}
			if !tc.wait {
				if da.at != soloA || db.at != soloB {
					t.Fatalf("reads in different banks (or no banks) waited: A %v B %v, alone %v %v", da.at, db.at, soloA, soloB)
				}
				return
			}
			// The one whose request reached the home first goes first; the
			// other's DRAM read starts a row cycle after the first's.
			first, second := min(da.at-soloA, db.at-soloB), max(da.at-soloA, db.at-soloB)
			if first != 0 || second < cycle-100*sim.Nanosecond || second > cycle {
				t.Fatalf("same bank: delays %v and %v, want 0 and a row cycle (%v) less the requests' arrival gap", first, second, cycle)
			}
			if hs.BankWait != second {
				t.Fatalf("home 0 counted %v of bank waiting, the second read was delayed %v", hs.BankWait, second)
			}
		})
	}
}
