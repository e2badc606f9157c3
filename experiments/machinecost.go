package experiments

import (
	"fmt"
	"sort"
	"time"

	"mksim/arch"
	"mksim/sim"
	"mksim/sim/machine"
	"mksim/topologies"
)

// What `mksim run` reports: the machine booted (every core runs the boot
// program), then, for each core-pair class the machine has, the cost of
// moving one cache line by shared memory beside the cost of one URPC
// message, and the interconnect traffic each URPC message causes, per link.
// All of it is measured on the simulated hardware; nothing is typed in.

// RunReport is the result of `mksim run`.
type RunReport struct {
	Machine string              `json:"machine"`
	Seed    uint64              `json:"seed"`
	Boot    *machine.BootReport `json:"boot"`
	Pairs   []PairCost          `json:"pairs"`
	Engine  sim.Stats           `json:"engine"`      // the whole run
	Host    time.Duration       `json:"host_ns"`     // wall time of the whole run, set-up included
	Clock   sim.Clock           `json:"core0_clock"` // core 0's clock, for cycles per host second
}

// PairCost is one core-pair class's costs, in cycles of core A.
type PairCost struct {
	Class string      `json:"class"`
	A     arch.CoreID `json:"a"`
	B     arch.CoreID `json:"b"`
	// SHMLine is A's load of a line B has just written: one line moved by
	// coherence.
	SHMLine arch.Cycles `json:"line_transfer_cycles"`
	// URPC is one URPC message A→B, half a polled round trip, mean over the
	// steady state.
	URPC float64 `json:"urpc_message_cycles"`
	// Transactions is off-chip coherence transactions (requests leaving a
	// package for the interconnect) per URPC message.
	Transactions float64 `json:"transactions_per_message"`
	// Links is interconnect traffic per URPC message, per link direction,
	// for the links that carried any.
	Links []LinkTraffic `json:"links"`
}

// LinkTraffic is messages and bytes per URPC message on one link direction.
type LinkTraffic struct {
	Link  string  `json:"link"`
	Msgs  float64 `json:"msgs"`
	Bytes float64 `json:"bytes"`
}

// runPingPongs is the URPC round trips measured per class.
const runPingPongs = 200

// pairClasses lists the classes a machine has, nearest first.
func pairClasses(s *topologies.Spec) []string {
	var out []string
	for _, c := range []string{ClassShared, ClassSameDie, ClassOneHop, ClassTwoHop, ClassThreeHop} {
		if _, err := FindPair(s, c); err == nil {
			out = append(out, c)
		}
	}
	if len(out) > 0 && !contains(out, ClassOneHop) {
		if _, err := FindPair(s, ClassNonShared); err == nil {
			out = append(out, ClassNonShared)
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// MachineCosts boots spec's machine and measures every pair class.
func MachineCosts(spec *topologies.Spec, seed uint64) (*RunReport, error) {
	start := time.Now()
	m, err := machine.New(spec, machine.Options{Seed: seed})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	rep := &RunReport{Machine: spec.Name, Seed: seed, Clock: sim.Clock{Name: "core0", Period: sim.Time(spec.CoreType(0).Clock.Period())}}
	if rep.Boot, err = machine.Boot(m); err != nil {
		return nil, fmt.Errorf("boot: %w", err)
	}
	alloc := m.Allocator()
	for _, class := range pairClasses(spec) {
		pr, err := FindPair(spec, class)
		if err != nil {
			return nil, err
		}
		if !m.Info(pr.A).Coherent || !m.Info(pr.B).Coherent {
			continue
		}
		pc := PairCost{Class: class, A: pr.A, B: pr.B}
		if pc.SHMLine, err = lineTransfer(m, alloc, pr.A, pr.B); err != nil {
			return nil, fmt.Errorf("%s: %w", class, err)
		}
		m.Network().Reset()
		before := offChipRequests(m)
		rts, err := URPCPingPong(m, alloc, pr.A, pr.B, runPingPongs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", class, err)
		}
		mean, _ := meanSD(steady(rts))
		pc.URPC = mean / 2
		msgs := float64(2 * runPingPongs)
		pc.Transactions = float64(offChipRequests(m)-before) / msgs
		for _, ch := range m.Network().Snapshot().Channels {
			if n := ch.TotalMsgs(); n > 0 {
				pc.Links = append(pc.Links, LinkTraffic{Link: ch.Name, Msgs: float64(n) / msgs, Bytes: float64(ch.TotalBytes()) / msgs})
			}
		}
		sort.SliceStable(pc.Links, func(i, j int) bool { return pc.Links[i].Msgs > pc.Links[j].Msgs })
		rep.Pairs = append(rep.Pairs, pc)
	}
	rep.Engine = m.Engine().Stats()
	rep.Host = time.Since(start)
	return rep, nil
}

// offChipRequests is the coherence requests every package has sent to the
// interconnect so far.
func offChipRequests(m *machine.Machine) uint64 {
	var n uint64
	for _, p := range m.Caches().Stats().Packages {
		for _, r := range p.Requests {
			n += r
		}
	}
	return n
}

// lineTransfer is A's load-to-use time for a line B has just written.
func lineTransfer(m arch.Machine, alloc *arch.FrameAllocator, a, b arch.CoreID) (arch.Cycles, error) {
	line, err := alloc.Alloc(m.Info(a).Node, arch.CacheLineSize, arch.CacheLineSize)
	if err != nil {
		return 0, err
	}
	m.Start(b, func(c arch.Core) { c.Store(line, 1); c.Fence() })
	if err := m.Run(); err != nil {
		return 0, err
	}
	var t arch.Cycles
	m.Start(a, func(c arch.Core) { t = timeLoad(c, line) })
	if err := m.Run(); err != nil {
		return 0, err
	}
	return t, nil
}
