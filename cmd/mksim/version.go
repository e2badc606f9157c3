package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"mksim/experiments"
)

func newVersionCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print mksim's version (the one recorded in results metadata)",
		Example: "  mksim version\n  mksim version --json",
		Args:    noArgs,
		RunE: body(func(cmd *cobra.Command, args []string) error {
			if opts.json {
				return writeJSON(cmd.OutOrStdout(), map[string]string{
					"version": experiments.Version,
					"go":      runtime.Version(),
					"os_arch": runtime.GOOS + "/" + runtime.GOARCH,
				})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "mksim %s (%s %s/%s)\n", experiments.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		}),
	}
}
