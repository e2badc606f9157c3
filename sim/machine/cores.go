package machine

import (
	"math"

	"mksim/arch"
	"mksim/sim"
	"mksim/sim/cores"
	"mksim/topologies"
)

// coreConfig converts a topology core type into the cores' configuration.
func coreConfig(t *topologies.CoreType) cores.Config {
	num, den := cpiFraction(t.CPI)
	return cores.Config{
		Type:                  t.Name,
		Clock:                 sim.Clock{Name: t.Name, Period: sim.Time(t.Clock.Period())},
		Coherent:              t.Coherent,
		CPINum:                num,
		CPIDen:                den,
		StoreBufferEntries:    t.StoreBuffer,
		PrefetchDegree:        t.PrefetchDegree,
		TrapCycles:            arch.Cycles(t.Costs.Trap),
		IPISendCycles:         arch.Cycles(t.Costs.IPISend),
		SyscallCycles:         arch.Cycles(t.Costs.Syscall),
		AddrSpaceSwitchCycles: arch.Cycles(t.Costs.AddressSpaceSwitch),
		InvlpgCycles:          arch.Cycles(t.Costs.InvalidatePage),
	}
}

// cpiFraction turns a CPI such as 1.0 or 1.25 into an exact fraction with
// denominator 1000 (reduced), which is as fine as any YAML file writes it.
func cpiFraction(cpi float64) (int64, int64) {
	if cpi <= 0 || math.IsNaN(cpi) {
		return 1, 1
	}
	num, den := int64(math.Round(cpi*1000)), int64(1000)
	g := gcd(num, den)
	return num / g, den / g
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	if a == 0 {
		return 1
	}
	return a
}
