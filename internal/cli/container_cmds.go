package cli

import (
	"context"
	"errors"
	"fmt"
	cerrdefs "github.com/containerd/errdefs"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// containerVerbs are the commands that exist both as `berth X` and `berth container X`.
func containerVerbs(c *Cli) []*cobra.Command {
	return []*cobra.Command{
		newRunCommand(c), newCreateCommand(c), newStartCommand(c), newStopCommand(c),
		newRestartCommand(c), newKillCommand(c), newRmCommand(c), newPsCommand(c),
		newLogsCommand(c), newExecCommand(c), newAttachCommand(c), newTopCommand(c),
		newCpCommand(c), newWaitCommand(c), newRenameCommand(c), newPauseCommand(c),
		newUnpauseCommand(c), newUpdateCommand(c), newDiffCommand(c), newExportCommand(c),
		newCommitCommand(c), newPortCommand(c), newStatsCommand(c),
	}
}

func containerCommands(c *Cli) []*cobra.Command {
	return append(containerVerbs(c), newInspectCommand(c))
}

func newContainerCommand(c *Cli) *cobra.Command {
	cmd := &cobra.Command{Use: "container", Short: "Manage containers", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	ls := newPsCommand(c)
	ls.Use, ls.Aliases = "ls [OPTIONS]", []string{"list", "ps"}
	rm := newRmCommand(c)
	rm.Aliases = []string{"remove"}
	cmd.AddCommand(containerVerbs(c)...)
	cmd.AddCommand(ls, newContainerInspectCommand(c), newContainerPruneCommand(c))
	for _, sub := range cmd.Commands() {
		if sub.Name() == "ps" || sub.Name() == "rm" {
			cmd.RemoveCommand(sub)
		}
	}
	cmd.AddCommand(rm)
	return cmd
}

// forEach runs fn for every argument, printing the argument on success like docker, and
// collecting the errors (printed together, exit 1).
func forEach(ctx context.Context, c *Cli, args []string, print bool, fn func(ctx context.Context, api *client.Client, name string) error) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	var errs []string
	for _, name := range args {
		if err := fn(ctx, api, name); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if print {
			fmt.Fprintln(c.out, name)
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

func newStopCommand(c *Cli) *cobra.Command {
	var signal string
	var timeout int
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Stop one or more running containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := client.ContainerStopOptions{Signal: signal, Timeout: timeoutIfSet(cmd, &timeout)}
			return forEach(cmd.Context(), c, args, true, func(ctx context.Context, api *client.Client, n string) error {
				_, err := api.ContainerStop(ctx, n, opts)
				return err
			})
		},
	}
	addStopFlags(cmd, &signal, &timeout)
	return cmd
}

// addStopFlags adds stop's and restart's -s/--signal and -t/--timeout
// (with docker's hidden, deprecated --time).
func addStopFlags(cmd *cobra.Command, signal *string, timeout *int) {
	cmd.Flags().StringVarP(signal, "signal", "s", "", "Signal to send to the container")
	cmd.Flags().IntVarP(timeout, "timeout", "t", 0, "Seconds to wait before killing the container")
	cmd.Flags().IntVar(timeout, "time", 0, "Seconds to wait before killing the container (deprecated: use --timeout)")
	_ = cmd.Flags().MarkHidden("time")
}

// timeoutIfSet is the timeout when the user gave one, else nil (the
// container's own stop timeout applies).
func timeoutIfSet(cmd *cobra.Command, timeout *int) *int {
	if cmd.Flags().Changed("timeout") || cmd.Flags().Changed("time") {
		return timeout
	}
	return nil
}

func newRestartCommand(c *Cli) *cobra.Command {
	var signal string
	var timeout int
	cmd := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Restart one or more containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := client.ContainerRestartOptions{Signal: signal, Timeout: timeoutIfSet(cmd, &timeout)}
			return forEach(cmd.Context(), c, args, true, func(ctx context.Context, api *client.Client, n string) error {
				_, err := api.ContainerRestart(ctx, n, opts)
				return err
			})
		},
	}
	addStopFlags(cmd, &signal, &timeout)
	return cmd
}

func newKillCommand(c *Cli) *cobra.Command {
	var signal string
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEach(cmd.Context(), c, args, true, func(ctx context.Context, api *client.Client, n string) error {
				_, err := api.ContainerKill(ctx, n, client.ContainerKillOptions{Signal: signal})
				return err
			})
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	return cmd
}

func newRmCommand(c *Cli) *cobra.Command {
	var opts client.ContainerRemoveOptions
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Remove one or more containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			var errs []string
			for _, n := range args {
				n = strings.Trim(n, "/")
				if n == "" {
					errs = append(errs, "Container name cannot be empty")
					continue
				}
				if _, err := api.ContainerRemove(cmd.Context(), n, opts); err != nil {
					// with --force a missing container is reported but is not a failure, as in docker
					if opts.Force && cerrdefs.IsNotFound(err) {
						fmt.Fprintln(c.err, err)
						continue
					}
					errs = append(errs, err.Error())
					continue
				}
				fmt.Fprintln(c.out, n)
			}
			if len(errs) > 0 {
				return errors.New(strings.Join(errs, "\n"))
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&opts.Force, "force", "f", false, "Force the removal of a running container (uses SIGKILL)")
	cmd.Flags().BoolVarP(&opts.RemoveVolumes, "volumes", "v", false, "Remove anonymous volumes associated with the container")
	cmd.Flags().BoolVarP(&opts.RemoveLinks, "link", "l", false, "Remove the specified link")
	return cmd
}

func newPauseCommand(c *Cli) *cobra.Command {
	return &cobra.Command{
		Use: "pause CONTAINER [CONTAINER...]", Short: "Pause all processes within one or more containers", Args: requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEach(cmd.Context(), c, args, true, func(ctx context.Context, api *client.Client, n string) error {
				_, err := api.ContainerPause(ctx, n, client.ContainerPauseOptions{})
				return err
			})
		},
	}
}

func newUnpauseCommand(c *Cli) *cobra.Command {
	return &cobra.Command{
		Use: "unpause CONTAINER [CONTAINER...]", Short: "Unpause all processes within one or more containers", Args: requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEach(cmd.Context(), c, args, true, func(ctx context.Context, api *client.Client, n string) error {
				_, err := api.ContainerUnpause(ctx, n, client.ContainerUnpauseOptions{})
				return err
			})
		},
	}
}

func newWaitCommand(c *Cli) *cobra.Command {
	return &cobra.Command{
		Use: "wait CONTAINER [CONTAINER...]", Short: "Block until one or more containers stop, then print their exit codes", Args: requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEach(cmd.Context(), c, args, false, func(ctx context.Context, api *client.Client, n string) error {
				res := api.ContainerWait(ctx, n, client.ContainerWaitOptions{})
				select {
				case r := <-res.Result:
					if r.Error != nil {
						return errors.New(r.Error.Message)
					}
					fmt.Fprintln(c.out, r.StatusCode)
					return nil
				case err := <-res.Error:
					return err
				}
			})
		},
	}
}

func newRenameCommand(c *Cli) *cobra.Command {
	return &cobra.Command{
		Use: "rename CONTAINER NEW_NAME", Short: "Rename a container", Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			oldName, newName := strings.TrimSpace(args[0]), strings.TrimSpace(args[1])
			if oldName == "" || newName == "" {
				return errors.New("Error: Neither old nor new names may be empty")
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			if _, err := api.ContainerRename(cmd.Context(), oldName, client.ContainerRenameOptions{NewName: newName}); err != nil {
				fmt.Fprintln(c.err, err)
				return fmt.Errorf("Error: failed to rename container named %s", oldName)
			}
			return nil
		},
	}
}

func newTopCommand(c *Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use: "top CONTAINER [ps OPTIONS]", Short: "Display the running processes of a container", Args: requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.ContainerTop(cmd.Context(), args[0], client.ContainerTopOptions{Arguments: args[1:]})
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.out, 20, 1, 3, ' ', 0)
			fmt.Fprintln(w, strings.Join(res.Titles, "\t"))
			for _, p := range res.Processes {
				fmt.Fprintln(w, strings.Join(p, "\t"))
			}
			return w.Flush()
		},
	}
	// everything after the container is ps's own options
	cmd.Flags().SetInterspersed(false)
	return cmd
}

func newDiffCommand(c *Cli) *cobra.Command {
	return &cobra.Command{
		Use: "diff CONTAINER", Short: "Inspect changes to files or directories on a container's filesystem", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.ContainerDiff(cmd.Context(), args[0], client.ContainerDiffOptions{})
			if err != nil {
				return err
			}
			for _, ch := range res.Changes {
				fmt.Fprintf(c.out, "%s %s\n", ch.Kind.String(), ch.Path)
			}
			return nil
		},
	}
}

// refuseTerminal is docker's guard against writing a tar archive to a terminal.
func refuseTerminal(c *Cli, what string) error {
	if c.isTerminalOut() {
		return fmt.Errorf("cowardly refusing to save to a terminal. Use the -o flag or redirect")
	}
	return nil
}

func newExportCommand(c *Cli) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use: "export [OPTIONS] CONTAINER", Short: "Export a container's filesystem as a tar archive", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				if err := refuseTerminal(c, "export"); err != nil {
					return err
				}
			} else if err := validateOutputPath(output); err != nil {
				return fmt.Errorf("failed to export container: %w", err)
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			rc, err := api.ContainerExport(cmd.Context(), args[0], client.ContainerExportOptions{})
			if err != nil {
				return err
			}
			defer rc.Close()
			return writeToFileOrStdout(c, output, rc, "failed to export container")
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}

func newCommitCommand(c *Cli) *cobra.Command {
	var opts client.ContainerCommitOptions
	var pause bool
	cmd := &cobra.Command{
		Use: "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]", Short: "Create a new image from a container's changes", Args: requiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				opts.Reference = args[1]
			}
			opts.NoPause = !pause
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.ContainerCommit(cmd.Context(), args[0], opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.out, res.ID)
			return nil
		},
	}
	cmd.Flags().StringVarP(&opts.Author, "author", "a", "", `Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")`)
	cmd.Flags().StringArrayVarP(&opts.Changes, "change", "c", nil, "Apply Dockerfile instruction to the created image")
	cmd.Flags().StringVarP(&opts.Comment, "message", "m", "", "Commit message")
	cmd.Flags().BoolVarP(&pause, "pause", "p", true, "Pause container during commit")
	return cmd
}

func newPortCommand(c *Cli) *cobra.Command {
	return &cobra.Command{
		Use: "port CONTAINER [PRIVATE_PORT[/PROTO]]", Short: "List port mappings or a specific mapping for the container", Args: requiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.ContainerInspect(cmd.Context(), args[0], client.ContainerInspectOptions{})
			if err != nil {
				return err
			}
			return printPorts(c.out, res.Container, args[1:])
		},
	}
}

// printPorts prints "80/tcp -> 0.0.0.0:8080" lines from NetworkSettings.Ports.
func printPorts(out io.Writer, ctr container.InspectResponse, filter []string) error {
	if ctr.NetworkSettings == nil {
		return nil
	}
	var lines []string
	for port, bindings := range ctr.NetworkSettings.Ports {
		if len(filter) == 1 {
			want := filter[0]
			if !strings.Contains(want, "/") {
				want += "/tcp"
			}
			if port.String() != want {
				continue
			}
		}
		for _, b := range bindings {
			host := "0.0.0.0"
			if b.HostIP.IsValid() {
				host = b.HostIP.String()
			}
			if strings.Contains(host, ":") {
				host = "[" + host + "]"
			}
			if len(filter) == 1 {
				lines = append(lines, host+":"+b.HostPort)
			} else {
				lines = append(lines, fmt.Sprintf("%s -> %s:%s", port, host, b.HostPort))
			}
		}
	}
	if len(filter) == 1 && len(lines) == 0 {
		return fmt.Errorf("Error: No public port '%s' published for %s", filter[0], strings.TrimPrefix(ctr.Name, "/"))
	}
	sortStrings(lines)
	for _, l := range lines {
		fmt.Fprintln(out, l)
	}
	return nil
}
