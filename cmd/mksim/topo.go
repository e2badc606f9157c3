package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"mksim/topologies"
)

func newTopoCmd(opts *options) *cobra.Command {
	topo := &cobra.Command{
		Use:   "topo",
		Short: "Check, describe and draw machine topologies",
		Long: `Check, describe and draw machine topologies. A topology is a shipped
machine's name (see mksim list) or the path of a YAML file.`,
		Example: `  mksim topo validate topologies/*.yaml
  mksim topo show gruyere
  mksim topo dot amd4x4 | dot -Tsvg > amd4x4.svg`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	validate := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check topology files; report every problem with its file, line and field",
		Long: `Check topology files. Each problem is reported as FILE:LINE: FIELD: MESSAGE
on stderr; the exit status is 1 if any file is bad. Shipped machine names
are accepted too.`,
		Example: `  mksim topo validate topologies/gruyere.yaml
  mksim topo validate --json my.yaml other.yaml`,
		Args: argsBetween(1, -1),
		RunE: body(func(cmd *cobra.Command, args []string) error {
			return topoValidate(cmd.OutOrStdout(), args, opts.json)
		}),
	}
	show := &cobra.Command{
		Use:   "show NAME|FILE",
		Short: "Describe a machine: core types, caches, packages, links, hop matrix and routes",
		Example: `  mksim topo show gruyere
  mksim topo show topologies/intel2x4.yaml
  mksim topo show --json amd2x2`,
		Args: argsBetween(1, 1),
		RunE: body(func(cmd *cobra.Command, args []string) error {
			spec, err := topologies.Open(args[0])
			if err != nil {
				return err
			}
			if opts.json {
				return writeJSON(cmd.OutOrStdout(), showJSON(spec))
			}
			describe(cmd.OutOrStdout(), spec)
			return nil
		}),
	}
	dot := &cobra.Command{
		Use:   "dot NAME|FILE",
		Short: "Print a machine's nodes and links as a Graphviz graph",
		Example: `  mksim topo dot gruyere | dot -Tsvg > gruyere.svg
  mksim topo dot topologies/hetero.yaml`,
		Args: argsBetween(1, 1),
		RunE: body(func(cmd *cobra.Command, args []string) error {
			spec, err := topologies.Open(args[0])
			if err != nil {
				return err
			}
			writeDot(cmd.OutOrStdout(), spec)
			return nil
		}),
	}
	topo.AddCommand(validate, show, dot)
	return topo
}

type validateResult struct {
	File   string              `json:"file"`
	OK     bool                `json:"ok"`
	Name   string              `json:"name,omitempty"`
	Hash   string              `json:"sha256,omitempty"`
	Errors []*topologies.Error `json:"errors,omitempty"`
	Other  string              `json:"error,omitempty"` // an error without a position (file not found)
}

func topoValidate(w io.Writer, files []string, asJSON bool) error {
	var results []validateResult
	var msgs []string
	bad := 0
	for _, f := range files {
		r := validateResult{File: f}
		spec, err := topologies.Open(f)
		var es topologies.Errors
		switch {
		case err == nil:
			r.OK, r.Name, r.Hash = true, spec.Name, spec.Hash()
			if !asJSON {
				fmt.Fprintf(w, "%s: ok (%s, %d cores)\n", f, spec.Name, spec.NumCores())
			}
		case errors.As(err, &es):
			r.Errors = es
		default:
			r.Other = err.Error()
		}
		if err != nil {
			bad++
			msgs = append(msgs, err.Error())
		}
		results = append(results, r)
	}
	if asJSON {
		if err := writeJSON(w, results); err != nil {
			return err
		}
	}
	if bad > 0 {
		if len(files) > 1 {
			msgs = append(msgs, fmt.Sprintf("%d of %d topologies are bad", bad, len(files)))
		}
		return errors.New(strings.Join(msgs, "\n"))
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	js, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(js, '\n'))
	return err
}

// showJSON is what topo show --json prints: the Spec plus what is derived
// from it.
func showJSON(s *topologies.Spec) any {
	return struct {
		Hash      string           `json:"sha256"`
		Diameter  int              `json:"hop_diameter"`
		HopMatrix [][]int          `json:"hop_matrix"`
		Spec      *topologies.Spec `json:"spec"`
	}{s.Hash(), s.Diameter(), s.HopMatrix(), s}
}

// writeDot draws nodes as boxes (packages) or ellipses (hubs), links as
// edges (cables dashed) and a bus as a point joined to its nodes.
func writeDot(w io.Writer, s *topologies.Spec) {
	fmt.Fprintf(w, "graph %q {\n", s.Name)
	fmt.Fprintf(w, "  label=%q;\n  labelloc=t;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n", s.Name+": "+s.Description)
	for _, n := range s.Nodes {
		var lines []string
		shape := "box"
		if n.Kind == topologies.NodeHub {
			shape = "ellipse"
			lines = append(lines, fmt.Sprintf("%s (node %d)", n.Name, n.ID))
		} else {
			p := s.Packages[n.Index]
			lines = append(lines, fmt.Sprintf("%s (node %d)", n.Name, n.ID), coreSummary(s, p), "cores "+idRanges(p.Cores()))
			if p.L3 != nil {
				lines = append(lines, "L3 "+p.L3.Size.String())
			}
		}
		if m := s.NodeMemory(n.ID); m != nil {
			lines = append(lines, "memory "+m.Size.String())
		}
		fmt.Fprintf(w, "  n%d [shape=%s, label=%q];\n", n.ID, shape, strings.Join(lines, "\n"))
	}
	for i, l := range s.Links {
		label := fmt.Sprintf("%s %s", l.Name, l.Latency)
		if l.Bus() {
			fmt.Fprintf(w, "  link%d [shape=box, style=filled, fillcolor=gray90, label=%q];\n", i, label)
			for _, n := range l.Nodes {
				fmt.Fprintf(w, "  n%d -- link%d;\n", n, i)
			}
			continue
		}
		style := ""
		if l.Kind == topologies.Cable {
			style = ", style=dashed"
		}
		fmt.Fprintf(w, "  n%d -- n%d [label=%q%s];\n", l.Nodes[0], l.Nodes[1], label, style)
	}
	fmt.Fprintln(w, "}")
}
