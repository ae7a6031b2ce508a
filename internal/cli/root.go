package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Main runs the berth CLI with args (without the program name) and returns the exit code.
// daemonCmd, when not nil, is added as the `daemon` subcommand.
func Main(args []string, version string, daemonCmd *cobra.Command) int {
	c := NewCli(os.Stdin, os.Stdout, os.Stderr, version)
	root := newRootCommand(c, version)
	if daemonCmd != nil {
		root.AddCommand(daemonCmd)
	}
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return 0
	}
	code, msg := exitCode(err)
	if msg != "" {
		fmt.Fprintln(c.Err(), msg)
	}
	return code
}

// NewRootCommand returns the berth command tree writing to the process's standard streams.
func NewRootCommand(version string) *cobra.Command {
	return newRootCommand(NewCli(os.Stdin, os.Stdout, os.Stderr, version), version)
}

func newRootCommand(c *Cli, version string) *cobra.Command {
	root := &cobra.Command{
		Use:              "berth [OPTIONS] COMMAND [ARG...]",
		Short:            "A Docker-compatible container engine",
		SilenceUsage:     true,
		SilenceErrors:    true,
		TraverseChildren: true,
		Version:          version,
		CompletionOptions: cobra.CompletionOptions{
			DisableDefaultCmd: true,
		},
	}
	root.SetIn(c.in)
	root.SetOut(c.out)
	root.SetErr(c.err)
	root.SetVersionTemplate("berth version {{.Version}}\n")
	root.Flags().StringVarP(&c.host, "host", "H", "", "Daemon socket to connect to")
	root.Flags().BoolP("debug", "D", false, "Enable debug mode")
	root.Flags().StringP("log-level", "l", "info", `Set the logging level ("debug", "info", "warn", "error", "fatal")`)
	root.Flags().BoolP("version", "v", false, "Print version information and quit")

	root.AddCommand(containerCommands(c)...)
	root.AddCommand(newContainerCommand(c))
	root.AddCommand(imageTopLevelCommands(c)...)
	root.AddCommand(newImageCommand(c))
	root.AddCommand(registryCommands(c)...)
	root.AddCommand(systemTopLevelCommands(c)...)
	root.AddCommand(newSystemCommand(c))
	root.AddCommand(newRegistryCommand(c))
	root.AddCommand(newVolumeCommand(c))
	root.AddCommand(buildCommands(c)...)
	root.AddCommand(newNetworkCommand(c))
	setFlagErrorFunc(root)
	return root
}

// setFlagErrorFunc makes flag errors look like docker's: message, usage line, exit 125.
func setFlagErrorFunc(cmd *cobra.Command) {
	cmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return StatusError{
			Status:     fmt.Sprintf("%s\n\nUsage:  %s\n\nRun '%s --help' for more information", err, useLine(cmd), cmd.CommandPath()),
			StatusCode: 125,
		}
	})
}

func useLine(cmd *cobra.Command) string {
	return strings.TrimSuffix(cmd.UseLine(), " [flags]")
}

// argsError formats docker's "requires at least N arguments" style errors.
func argsError(cmd *cobra.Command, what string) error {
	return StatusError{
		Status: fmt.Sprintf("berth: '%s' %s\n\nUsage:  %s\n\nSee '%s --help' for more information",
			cmd.CommandPath(), what, useLine(cmd), cmd.CommandPath()),
		StatusCode: 1,
	}
}

func plural(n int) string {
	if n == 1 {
		return "argument"
	}
	return "arguments"
}

func requiresMinArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= n {
			return nil
		}
		return argsError(cmd, fmt.Sprintf("requires at least %d %s", n, plural(n)))
	}
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		return argsError(cmd, fmt.Sprintf("requires exactly %d %s", n, plural(n)))
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return argsError(cmd, "accepts no arguments")
}

func requiresRangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= lo && len(args) <= hi {
			return nil
		}
		return argsError(cmd, fmt.Sprintf("requires at least %d and at most %d %s", lo, hi, plural(hi)))
	}
}
