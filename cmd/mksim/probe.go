package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"mksim/experiments"
)

func newProbeCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "probe [TOPOLOGY]",
		Short: "Measure load-to-use latency at every level of a machine's memory system",
		Long: `Measure, in cycles of core 0, the load-to-use latency of: L1, L2, L3 (where
the machine has one), memory local and 1..N hops away, and a line dirty in
another core's cache on the same package (c2c-package) and 1..N hops away
(c2c-1hop ...). Lines are placed by ordinary loads and stores, and timed
with the TSC less its own overhead, as lmbench does. Then the interconnect
counters of the whole probe run are printed.

These are the numbers the topologies' hardware parameters are calibrated
against (for gruyere, the HotOS'09 table: L1 2, L2 15, L3 75, c2c-package
130, c2c-1hop 190, c2c-2hop 260 cycles).`,
		Example: `  mksim probe
  mksim probe amd4x4
  mksim probe gruyere --json`,
		Args: argsBetween(0, 1),
		RunE: body(func(cmd *cobra.Command, args []string) error {
			spec, err := openTopologyOrDefault(args)
			if err != nil {
				return err
			}
			res, err := experiments.Probe(spec, opts.seed)
			if err != nil {
				return err
			}
			return printProbe(cmd.OutOrStdout(), res, opts.json)
		}),
	}
}

func printProbe(w io.Writer, res *experiments.ProbeResult, asJSON bool) error {
	if asJSON {
		return writeJSON(w, struct {
			Machine   string                   `json:"machine"`
			Latencies []experiments.ProbeLevel `json:"latencies"`
		}{res.Machine, res.Latencies})
	}
	fmt.Fprintf(w, "machine %s: load-to-use latency on core 0, in its cycles\n", res.Machine)
	for _, l := range res.Latencies {
		fmt.Fprintf(w, "  %-12s %6d\n", l.Level, l.Cycles)
	}
	fmt.Fprintf(w, "\ninterconnect counters over the probe run\n%s", res.Links)
	return nil
}
