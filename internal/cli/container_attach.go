package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/moby/moby/client"
	"github.com/moby/term"
	"github.com/spf13/cobra"
)

func sortStrings(s []string) { sort.Strings(s) }

type startOptions struct {
	attach, openStdin bool
	detachKeys        string
}

func newStartCommand(c *Cli) *cobra.Command {
	var o startOptions
	cmd := &cobra.Command{
		Use: "start [OPTIONS] CONTAINER [CONTAINER...]", Short: "Start one or more stopped containers", Args: requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.attach || o.openStdin {
				if len(args) > 1 {
					return errors.New("you cannot start and attach multiple containers at once")
				}
				return startAttached(cmd.Context(), c, args[0], &o)
			}
			return forEach(cmd.Context(), c, args, true, func(ctx context.Context, api *client.Client, n string) error {
				_, err := api.ContainerStart(ctx, n, client.ContainerStartOptions{})
				return err
			})
		},
	}
	cmd.Flags().BoolVarP(&o.attach, "attach", "a", false, "Attach STDOUT/STDERR and forward signals")
	cmd.Flags().BoolVarP(&o.openStdin, "interactive", "i", false, "Attach container's STDIN")
	cmd.Flags().StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

// startAttached is `start -a [-i]`: attach, start, wait, exit with the container's code.
func startAttached(ctx context.Context, c *Cli, name string, o *startOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	ins, err := api.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	ctr := ins.Container
	tty := ctr.Config != nil && ctr.Config.Tty
	stdin := o.openStdin && ctr.Config != nil && ctr.Config.OpenStdin
	if !tty {
		stop := proxySignals(ctx, api, ctr.ID)
		defer stop()
	}
	streamCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	resp, err := api.ContainerAttach(streamCtx, ctr.ID, client.ContainerAttachOptions{
		Stream: true, Stdin: stdin, Stdout: true, Stderr: true, DetachKeys: o.detachKeys,
	})
	if err != nil {
		return err
	}
	defer resp.Close()
	done := c.streamHijacked(streamCtx, resp.HijackedResponse, streamOptions{tty: tty, stdin: stdin, detachKeys: o.detachKeys})
	status := waitExitOrRemoved(streamCtx, api, ctr.ID, ctr.HostConfig != nil && ctr.HostConfig.AutoRemove)
	if _, err := api.ContainerStart(ctx, ctr.ID, client.ContainerStartOptions{}); err != nil {
		cancel()
		<-done
		return err
	}
	if tty && c.isTerminalOut() {
		c.monitorTTYSize(streamCtx, func(h, w uint) {
			_, _ = api.ContainerResize(streamCtx, ctr.ID, client.ContainerResizeOptions{Height: h, Width: w})
		})
	}
	if err := <-done; err != nil {
		var esc term.EscapeError
		if errors.As(err, &esc) {
			return nil
		}
		return err
	}
	if code := <-status; code != 0 {
		return StatusError{StatusCode: code}
	}
	return nil
}

func newAttachCommand(c *Cli) *cobra.Command {
	var noStdin, sigProxy bool
	var detachKeys string
	cmd := &cobra.Command{
		Use: "attach [OPTIONS] CONTAINER", Short: "Attach local standard input, output, and error streams to a running container", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			api, err := c.Client()
			if err != nil {
				return err
			}
			ins, err := api.ContainerInspect(ctx, args[0], client.ContainerInspectOptions{})
			if err != nil {
				return err
			}
			ctr := ins.Container
			if ctr.State == nil || !ctr.State.Running {
				return errors.New("You cannot attach to a stopped container, start it first")
			}
			if ctr.State.Paused {
				return errors.New("You cannot attach to a paused container, unpause it first")
			}
			tty := ctr.Config.Tty
			stdin := !noStdin && ctr.Config.OpenStdin
			if sigProxy && !tty {
				stop := proxySignals(ctx, api, ctr.ID)
				defer stop()
			}
			resp, err := api.ContainerAttach(ctx, ctr.ID, client.ContainerAttachOptions{
				Stream: true, Stdin: stdin, Stdout: true, Stderr: true, DetachKeys: detachKeys,
			})
			if err != nil {
				return err
			}
			defer resp.Close()
			if tty && c.isTerminalOut() {
				c.monitorTTYSize(ctx, func(h, w uint) {
					_, _ = api.ContainerResize(ctx, ctr.ID, client.ContainerResizeOptions{Height: h, Width: w})
				})
			}
			if err := <-c.streamHijacked(ctx, resp.HijackedResponse, streamOptions{tty: tty, stdin: stdin, detachKeys: detachKeys}); err != nil {
				var esc term.EscapeError
				if errors.As(err, &esc) {
					return nil
				}
				return err
			}
			// The stream ended: report the container's exit code like docker attach.
			after, err := api.ContainerInspect(context.WithoutCancel(ctx), ctr.ID, client.ContainerInspectOptions{})
			if err == nil && after.Container.State != nil && !after.Container.State.Running && after.Container.State.ExitCode != 0 {
				return StatusError{StatusCode: after.Container.State.ExitCode}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noStdin, "no-stdin", false, "Do not attach STDIN")
	cmd.Flags().BoolVar(&sigProxy, "sig-proxy", true, "Proxy all received signals to the process")
	cmd.Flags().StringVar(&detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

func newExecCommand(c *Cli) *cobra.Command {
	var o client.ExecCreateOptions
	var interactive, detach bool
	var env, envFile []string
	cmd := &cobra.Command{
		Use: "exec [OPTIONS] CONTAINER COMMAND [ARG...]", Short: "Execute a command in a running container", Args: requiresMinArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			o.Cmd = args[1:]
			for _, f := range envFile {
				vals, err := readKVFile(f, true)
				if err != nil {
					return err
				}
				o.Env = append(o.Env, vals...)
			}
			o.Env = append(o.Env, expandEnv(env)...)
			if !detach {
				o.AttachStdin, o.AttachStdout, o.AttachStderr = interactive, true, true
				if interactive && o.TTY && !c.isTerminalIn() {
					return errors.New("the input device is not a TTY")
				}
			}
			if o.TTY && c.isTerminalOut() {
				h, w := c.terminalSize()
				o.ConsoleSize = client.ConsoleSize{Height: h, Width: w}
			}
			return runExec(ctx, c, args[0], &o, detach)
		},
	}
	flags := cmd.Flags()
	flags.SetInterspersed(false)
	flags.BoolVarP(&interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	flags.BoolVarP(&o.TTY, "tty", "t", false, "Allocate a pseudo-TTY")
	flags.BoolVarP(&detach, "detach", "d", false, "Detached mode: run command in the background")
	flags.StringArrayVarP(&env, "env", "e", nil, "Set environment variables")
	flags.StringArrayVar(&envFile, "env-file", nil, "Read in a file of environment variables")
	flags.StringVarP(&o.User, "user", "u", "", "Username or UID (format: \"<name|uid>[:<group|gid>]\")")
	flags.StringVarP(&o.WorkingDir, "workdir", "w", "", "Working directory inside the container")
	flags.BoolVar(&o.Privileged, "privileged", false, "Give extended privileges to the command")
	flags.StringVar(&o.DetachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

func runExec(ctx context.Context, c *Cli, ctr string, o *client.ExecCreateOptions, detach bool) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	created, err := api.ExecCreate(ctx, ctr, *o)
	if err != nil {
		return err
	}
	if detach {
		_, err := api.ExecStart(ctx, created.ID, client.ExecStartOptions{Detach: true, TTY: o.TTY, ConsoleSize: o.ConsoleSize})
		return err
	}
	resp, err := api.ExecAttach(ctx, created.ID, client.ExecAttachOptions{TTY: o.TTY, ConsoleSize: o.ConsoleSize})
	if err != nil {
		return err
	}
	defer resp.Close()
	if o.TTY && c.isTerminalOut() {
		c.monitorTTYSize(ctx, func(h, w uint) {
			_, _ = api.ExecResize(ctx, created.ID, client.ExecResizeOptions{Height: h, Width: w})
		})
	}
	if err := <-c.streamHijacked(ctx, resp.HijackedResponse, streamOptions{tty: o.TTY, stdin: o.AttachStdin, detachKeys: o.DetachKeys}); err != nil {
		var esc term.EscapeError
		if errors.As(err, &esc) {
			return nil
		}
		return err
	}
	ins, err := api.ExecInspect(context.WithoutCancel(ctx), created.ID, client.ExecInspectOptions{})
	if err != nil {
		return err
	}
	if ins.ExitCode != 0 {
		return StatusError{StatusCode: ins.ExitCode}
	}
	return nil
}

var _ = fmt.Sprint
