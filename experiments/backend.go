package experiments

import (
	"fmt"
	"math"
	"time"

	"mksim/arch"
	"mksim/arch/archtest"
	"mksim/sim/machine"
	"mksim/topologies"
)

// backend builds a fresh machine for a topology: the simulator for the
// registered experiments, the functional fake in format tests. done
// releases it.
type backend func(spec *topologies.Spec, seed uint64) (m arch.Machine, alloc *arch.FrameAllocator, done func(), err error)

// simBackend builds the cycle-approximate simulated machine.
func simBackend(spec *topologies.Spec, seed uint64) (arch.Machine, *arch.FrameAllocator, func(), error) {
	m, err := machine.New(spec, machine.Options{Seed: seed})
	if err != nil {
		return nil, nil, nil, err
	}
	return m, m.Allocator(), m.Close, nil
}

// fakeBackend builds an archtest machine with the spec's core count and
// package size: functional, with unit costs, for testing the experiments'
// plumbing quickly.
func fakeBackend(spec *topologies.Spec, seed uint64) (arch.Machine, *arch.FrameAllocator, func(), error) {
	per := len(spec.Packages[0].Cores())
	m := archtest.New(archtest.Config{Cores: spec.NumCores(), CoresPerPackage: per, Seed: seed,
		MaxSteps: 1 << 40, Costs: archtest.Costs{Syscall: 50, SwitchAddressSpace: 100}})
	return m, m.Allocator(), func() {}, nil
}

// on builds a fresh machine of spec with b, runs f on it and releases it.
func (b backend) on(spec *topologies.Spec, seed uint64, f func(m arch.Machine, al *arch.FrameAllocator) error) error {
	m, al, done, err := b(spec, seed)
	if err != nil {
		return err
	}
	defer done()
	if err := f(m, al); err != nil {
		return fmt.Errorf("%s: %w", spec.Name, err)
	}
	return nil
}

// run is the state every experiment's body shares: the backend, the
// parameters, the topologies used (for the metadata) and progress output.
type run struct {
	name  string
	p     Params
	b     backend
	start time.Time
	topos map[string]string
}

func newRun(name string, p Params, b backend) *run {
	return &run{name: name, p: p, b: b, start: time.Now(), topos: map[string]string{}}
}

// open loads a shipped topology and records its hash.
func (r *run) open(name string) (*topologies.Spec, error) {
	s, err := topologies.Open(name)
	if err != nil {
		return nil, err
	}
	r.topos[s.Name] = s.Hash()
	return s, nil
}

// progress prints one line to the progress writer, with the host time
// since the experiment started (progress never reaches the results).
func (r *run) progress(format string, args ...any) {
	if r.p.Progress == nil {
		return
	}
	fmt.Fprintf(r.p.Progress, "%s: %s [%.1fs]\n", r.name, fmt.Sprintf(format, args...), time.Since(r.start).Seconds())
}

// meta is the experiment's metadata (the command line is the caller's).
func (r *run) meta() Meta {
	return Meta{Experiment: r.name, Seed: r.p.Seed, Version: Version, Topologies: r.topos}
}

// paperOr returns v if ok, else an empty cell.
func paperOr(v float64, ok bool) float64 {
	if !ok {
		return math.NaN()
	}
	return v
}
