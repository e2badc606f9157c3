package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"mksim/topologies"
)

// defaultTopology is what mksim run simulates when given no argument.
const defaultTopology = "gruyere"

func newRunCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "run [TOPOLOGY]",
		Short: "Boot the multikernel on every core of a machine and report what it costs",
		Long: `Boot the multikernel on every core of a machine (the embedded gruyere,
the paper's 8×4-core AMD, when no topology is given) and report what the
machine costs: per core-pair class and per link, a shared-memory cache-line
transfer against a URPC message.

For now run loads and validates the machine and prints its summary; the
simulation itself is being built.`,
		Example: `  mksim run
  mksim run topologies/gruyere.yaml
  mksim run amd4x4 --seed 7
  mksim run intel2x4 --json`,
		Args: argsBetween(0, 1),
		RunE: body(func(cmd *cobra.Command, args []string) error {
			arg := defaultTopology
			if len(args) == 1 {
				arg = args[0]
			}
			spec, err := topologies.Open(arg)
			if err != nil {
				return err
			}
			return runMachine(cmd.OutOrStdout(), spec, runOptions{Seed: opts.seed, JSON: opts.json})
		}),
	}
}

// runOptions are what mksim run passes to runMachine.
type runOptions struct {
	Seed uint64
	JSON bool
}

// runMachine is mksim run's body, given a loaded, valid machine. It is the
// one function to replace when the simulator can boot the machine: build it
// from spec (sim/machine), start the multikernel on every core and print
// the costs. Until then it prints the machine's summary.
func runMachine(w io.Writer, spec *topologies.Spec, o runOptions) error {
	if o.JSON {
		return writeJSON(w, struct {
			Machine  string `json:"machine"`
			Source   string `json:"source"`
			Hash     string `json:"sha256"`
			Seed     uint64 `json:"seed"`
			Packages int    `json:"packages"`
			Cores    int    `json:"cores"`
			Nodes    int    `json:"nodes"`
			Links    int    `json:"links"`
			Diameter int    `json:"hop_diameter"`
		}{spec.Name, spec.Source, spec.Hash(), o.Seed, len(spec.Packages), spec.NumCores(), len(spec.Nodes), len(spec.Links), spec.Diameter()})
	}
	fmt.Fprintf(w, "machine    %s (%s, sha256 %.12s)\n", spec.Name, spec.Source, spec.Hash())
	fmt.Fprintf(w, "size       %s\n", machineSummary(spec))
	fmt.Fprintf(w, "coherence  %s\n", coherenceSummary(spec))
	fmt.Fprintf(w, "hops       diameter %d\n", spec.Diameter())
	fmt.Fprintf(w, "seed       %d\n", o.Seed)
	fmt.Fprintf(w, "\nthe machine is valid; booting the multikernel on it is not implemented yet (see mksim topo show %s)\n", spec.Name)
	return nil
}
