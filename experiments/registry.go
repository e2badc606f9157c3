package experiments

import (
	"fmt"
	"io"
	"sort"
)

// Params are what every experiment accepts from the command line.
type Params struct {
	Seed     uint64
	Progress io.Writer // progress lines for long runs; may be nil
}

// Experiment is one reproducible table, figure or workload.
type Experiment struct {
	Name        string
	Description string
	Run         func(p Params) ([]Row, Meta, error)
}

var registry = map[string]*Experiment{}

// Register adds an experiment; duplicate names are a programming error.
func Register(e *Experiment) {
	if _, dup := registry[e.Name]; dup {
		panic("experiments: duplicate experiment " + e.Name)
	}
	registry[e.Name] = e
}

// Lookup finds an experiment by name.
func Lookup(name string) (*Experiment, error) {
	e, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown experiment %q (have %v)", name, Names())
	}
	return e, nil
}

// Names lists the registered experiments in sorted order.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
