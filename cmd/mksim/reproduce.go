package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"mksim/experiments"
)

// defaultResultsDir is where mksim reproduce writes when --out is not given.
const defaultResultsDir = "results"

func newReproduceCmd(opts *options) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "reproduce [EXPERIMENT...]",
		Short: "Regenerate the paper's tables and figures as CSV",
		Long: `Run the named experiments (all registered ones when none is named, see
mksim list) on the simulated machines and write, for each, DIR/NAME.csv
(header experiment,machine,series,x,value,sd,unit,paper) and
DIR/NAME.meta.json (command, seed, topology hashes, mksim version).
Files are replaced atomically. The same seed gives byte-identical CSV.
Progress lines go to stderr.`,
		Example: `  mksim reproduce
  mksim reproduce table2 fig3 --out /tmp/results
  mksim reproduce table1 --seed 7`,
		Args: func(cmd *cobra.Command, args []string) error {
			for _, name := range args {
				if _, err := experiments.Lookup(name); err != nil {
					return usageError{err}
				}
			}
			return nil
		},
		RunE: body(func(cmd *cobra.Command, args []string) error {
			names := args
			if len(names) == 0 {
				names = experiments.Names()
			}
			return reproduce(cmd.OutOrStdout(), cmd.ErrOrStderr(), names, out, opts)
		}),
	}
	cmd.Flags().StringVar(&out, "out", defaultResultsDir, "directory to write NAME.csv and NAME.meta.json into")
	return cmd
}

type reproduced struct {
	Experiment string  `json:"experiment"`
	CSV        string  `json:"csv"`
	Meta       string  `json:"meta"`
	Rows       int     `json:"rows"`
	Seconds    float64 `json:"host_seconds"`
}

// reproduce runs each experiment in turn and writes its results; it stops at
// the first failure (results already written stay).
func reproduce(stdout, stderr io.Writer, names []string, dir string, opts *options) error {
	command := fmt.Sprintf("mksim reproduce %s --seed %d --out %s", strings.Join(names, " "), opts.seed, dir)
	var done []reproduced
	for _, name := range names {
		e, err := experiments.Lookup(name)
		if err != nil {
			return err
		}
		start := time.Now()
		fmt.Fprintf(stderr, "%s: running (%s)\n", name, e.Description)
		rows, meta, err := e.Run(experiments.Params{Seed: opts.seed, Progress: stderr})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		meta.Command = command
		if err := experiments.WriteResult(dir, name, rows, meta); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r := reproduced{name, filepath.Join(dir, name+".csv"), filepath.Join(dir, name+".meta.json"),
			len(rows), time.Since(start).Seconds()}
		done = append(done, r)
		if !opts.json {
			fmt.Fprintf(stdout, "%s: %d rows -> %s (%.1fs)\n", name, r.Rows, r.CSV, r.Seconds)
		}
	}
	if opts.json {
		return writeJSON(stdout, done)
	}
	return nil
}
