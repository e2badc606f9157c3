package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"mksim/experiments"
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

It prints every core's boot report, then per class (shared cache, same die,
one hop, two hops, ...) the cycles to move one line by coherence beside one
URPC message, the off-chip coherence transactions per message, and the
messages and bytes each URPC message puts on each link, then the host
speed of the simulation.`,
		Example: `  mksim run
  mksim run topologies/gruyere.yaml
  mksim run amd4x4 --seed 7
  mksim run intel2x4 --json`,
		Args: argsBetween(0, 1),
		RunE: body(func(cmd *cobra.Command, args []string) error {
			spec, err := openTopologyOrDefault(args)
			if err != nil {
				return err
			}
			return runMachine(cmd.OutOrStdout(), spec, runOptions{Seed: opts.seed, JSON: opts.json})
		}),
	}
}

// openTopologyOrDefault loads the machine named by the optional argument of
// run and probe: a shipped name or a file, the embedded gruyere if none.
func openTopologyOrDefault(args []string) (*topologies.Spec, error) {
	if len(args) == 1 {
		return topologies.Open(args[0])
	}
	return topologies.Open(defaultTopology)
}

// runOptions are what mksim run passes to runMachine.
type runOptions struct {
	Seed uint64
	JSON bool
}

// runMachine is mksim run's body: build the machine, boot every core, and
// print per core-pair class what moving a line by shared memory costs
// beside a URPC message, and the traffic each message causes per link.
func runMachine(w io.Writer, spec *topologies.Spec, o runOptions) error {
	rep, err := experiments.MachineCosts(spec, o.Seed)
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(w, rep)
	}
	fmt.Fprintf(w, "machine    %s (%s, sha256 %.12s), seed %d\n", spec.Name, spec.Source, spec.Hash(), o.Seed)
	fmt.Fprintf(w, "size       %s\n", machineSummary(spec))
	fmt.Fprintf(w, "coherence  %s\n\n", coherenceSummary(spec))
	fmt.Fprintf(w, "boot: every core wrote its ID and TSC to a table in core 0's memory; core 0 read it back\n")
	fmt.Fprintf(w, "  %4s  %3s  %4s  %-14s  %10s  %10s\n", "core", "pkg", "node", "type", "tsc@write", "cycles")
	for _, c := range rep.Boot.Cores {
		cc := spec.Cores[c.ID]
		fmt.Fprintf(w, "  %4d  %3d  %4d  %-14s  %10d  %10d\n", c.ID, cc.Package, cc.Node, spec.CoreType(int(c.ID)).Name, c.TSC, c.Cycles)
	}
	fmt.Fprintf(w, "\nshared memory vs messages, in cycles of the first core of each pair\n")
	fmt.Fprintf(w, "  %-10s  %-7s  %12s  %10s  %14s\n", "class", "pair", "line moved", "URPC msg", "transactions")
	for _, p := range rep.Pairs {
		fmt.Fprintf(w, "  %-10s  %-7s  %12d  %10.1f  %14.2f\n", p.Class, fmt.Sprintf("%d->%d", p.A, p.B), p.SHMLine, p.URPC, p.Transactions)
	}
	fmt.Fprintf(w, "  (line moved: load of a line the other core just wrote; URPC msg: half a polled\n")
	fmt.Fprintf(w, "   round trip; transactions: off-chip coherence requests per message)\n")
	fmt.Fprintf(w, "\ninterconnect traffic per URPC message, by link direction\n")
	for _, p := range rep.Pairs {
		if len(p.Links) == 0 {
			fmt.Fprintf(w, "  %-10s  none: the pair shares a package\n", p.Class)
			continue
		}
		for i, l := range p.Links {
			class := ""
			if i == 0 {
				class = p.Class
			}
			fmt.Fprintf(w, "  %-10s  %-16s %6.2f msgs %8.1f bytes\n", class, l.Link, l.Msgs, l.Bytes)
		}
	}
	st := rep.Engine
	cyc := float64(rep.Clock.Cycles(st.SimTime))
	fmt.Fprintf(w, "\nhost %.3fs: %d events (%.2f M events/s in the engine), %v simulated = %.0f cycles of core 0 (%.2f M cycles per host second)\n",
		rep.Host.Seconds(), st.Events, st.EventsPerSecond()/1e6, st.SimTime, cyc, cyc/rep.Host.Seconds()/1e6)
	return nil
}
