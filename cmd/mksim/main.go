package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed: bad topology, I/O error
	exitUsage   = 2 // the command line was wrong: unknown flag or command, wrong arguments
)

// failure marks an error returned by a command's body, as opposed to one
// cobra raised while parsing the command line.
type failure struct{ err error }

func (f failure) Error() string { return f.err.Error() }
func (f failure) Unwrap() error { return f.err }

// usageError marks a command-line mistake found by our own checks.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }

// options are the global flags.
type options struct {
	seed uint64
	json bool
}

// run is the whole program: it parses args, runs the command and returns
// the exit code. Tests call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	opts := &options{}
	root := newRoot(opts)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	var f failure
	if errors.As(err, &f) {
		for _, line := range strings.Split(strings.TrimRight(f.Error(), "\n"), "\n") {
			fmt.Fprintf(stderr, "mksim: %s\n", line)
		}
		return exitFailure
	}
	if cmd == nil {
		cmd = root
	}
	fmt.Fprintf(stderr, "mksim: %s (see '%s --help')\n", firstLine(err.Error()), cmd.CommandPath())
	return exitUsage
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// body wraps a command's body so that its errors count as failures.
func body(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := f(cmd, args); err != nil {
			var u usageError
			if errors.As(err, &u) {
				return u
			}
			return failure{err}
		}
		return nil
	}
}

func newRoot(opts *options) *cobra.Command {
	root := &cobra.Command{
		Use:   "mksim",
		Short: "A cycle-approximate simulator of multicore machines running a multikernel",
		Long: `mksim simulates the multicore machines of the SOSP'09 multikernel paper
(Baumann et al.) and runs a multikernel (Barrelfish's CPU driver, monitor,
URPC and SKB) on them, so that shared memory and message passing can be
compared per machine and per link.

Machines are YAML topologies: the shipped ones are named (mksim list), any
other is given as a file path.`,
		Example: `  mksim run                        # boot the embedded gruyere (8×4-core AMD)
  mksim run topologies/amd4x4.yaml
  mksim topo show gruyere          # caches, links, hop matrix, routes
  mksim topo validate my.yaml
  mksim list`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.PersistentFlags().Uint64Var(&opts.seed, "seed", 1, "seed of every random stream in the run")
	root.PersistentFlags().BoolVar(&opts.json, "json", false, "print machine-readable JSON instead of text")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newRunCmd(opts), newTopoCmd(opts), newListCmd(opts), newVersionCmd(opts), newReproduceCmd(opts), newProbeCmd(opts))
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Example = "  mksim help topo show\n  mksim help run"
		}
	}
	return root
}

// noArgs rejects positional arguments, naming the first as an unknown
// command.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
	}
	return nil
}

// argsBetween accepts between lo and hi positional arguments (hi < 0: no
// limit).
func argsBetween(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || (hi >= 0 && len(args) > hi) {
			return usageError{fmt.Errorf("wrong number of arguments (%d); usage: %s", len(args), cmd.UseLine())}
		}
		return nil
	}
}
