package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"mksim/experiments"
	"mksim/topologies"
)

func newListCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the shipped topologies and the registered experiments",
		Example: `  mksim list
  mksim list --json`,
		Args: noArgs,
		RunE: body(func(cmd *cobra.Command, args []string) error {
			return list(cmd.OutOrStdout(), opts.json)
		}),
	}
}

type listedTopology struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Cores       int    `json:"cores"`
	Hash        string `json:"sha256"`
}

type listedExperiment struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func list(w io.Writer, asJSON bool) error {
	var topos []listedTopology
	for _, name := range topologies.Shipped() {
		s, err := topologies.LoadShipped(name)
		if err != nil {
			return err // a shipped topology is bad: a build defect, caught by tests
		}
		topos = append(topos, listedTopology{name, s.Description, s.NumCores(), s.Hash()})
	}
	// Experiments register themselves in package experiments; each one
	// added there shows up here and in mksim reproduce with no change to
	// this file.
	exps := []listedExperiment{}
	for _, name := range experiments.Names() {
		e, err := experiments.Lookup(name)
		if err != nil {
			return err
		}
		exps = append(exps, listedExperiment{e.Name, e.Description})
	}
	if asJSON {
		return writeJSON(w, struct {
			Topologies  []listedTopology   `json:"topologies"`
			Experiments []listedExperiment `json:"experiments"`
		}{topos, exps})
	}
	fmt.Fprintln(w, "topologies (mksim topo show NAME)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range topos {
		fmt.Fprintf(tw, "  %s\t%d cores\t%s\n", t.Name, t.Cores, t.Description)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nexperiments")
	if len(exps) == 0 {
		fmt.Fprintln(w, "  none registered yet")
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, e := range exps {
		fmt.Fprintf(tw, "  %s\t%s\n", e.Name, e.Description)
	}
	tw.Flush()
	return nil
}
