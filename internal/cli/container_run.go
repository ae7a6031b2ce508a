package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/moby/term"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type runOptions struct {
	detach     bool
	sigProxy   bool
	detachKeys string
	copts      containerOptions
}

func newRunCommand(c *Cli) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), c, cmd.Flags(), &o, args)
		},
	}
	flags := cmd.Flags()
	flags.SetInterspersed(false)
	flags.BoolVarP(&o.detach, "detach", "d", false, "Run container in background and print container ID")
	flags.BoolVar(&o.sigProxy, "sig-proxy", true, "Proxy received signals to the process")
	flags.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	addContainerFlags(flags, &o.copts)
	return cmd
}

func newCreateCommand(c *Cli) *cobra.Command {
	var o containerOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := o.parse(cmd.Flags(), args)
			if err != nil {
				return StatusError{Status: withHelp(err, "create"), StatusCode: 125}
			}
			id, err := createContainer(cmd.Context(), c, cfg, &o)
			if err != nil {
				return StatusError{Status: withHelp(err, "create"), StatusCode: 125, Cause: err}
			}
			fmt.Fprintln(c.out, id)
			return nil
		},
	}
	cmd.Flags().SetInterspersed(false)
	addContainerFlags(cmd.Flags(), &o)
	return cmd
}

func parsePlatform(s string) (*ocispec.Platform, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, "/")
	p := &ocispec.Platform{OS: parts[0]}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	if len(parts) > 3 || p.OS == "" {
		return nil, fmt.Errorf("invalid platform: %q", s)
	}
	return p, nil
}

// createContainer creates the container, pulling its image first with --pull=always and when
// it is missing with --pull=missing (the default), as the docker CLI does; --quiet keeps the
// pull's progress off stderr.
func createContainer(ctx context.Context, c *Cli, cfg *containerConfig, o *containerOptions) (string, error) {
	switch o.pull {
	case "missing", "never", "always":
	default:
		return "", fmt.Errorf("invalid pull option: '%s': must be one of \"always\", \"missing\" or \"never\"", o.pull)
	}
	platform, err := parsePlatform(o.platform)
	if err != nil {
		return "", err
	}
	api, err := c.Client()
	if err != nil {
		return "", err
	}
	if cfg.Config.Tty && c.isTerminalOut() {
		h, w := c.terminalSize()
		cfg.HostConfig.ConsoleSize = [2]uint{h, w}
	}
	if o.cidFile != "" {
		if _, err := os.Stat(o.cidFile); err == nil {
			return "", fmt.Errorf("container ID file found, make sure the other container isn't running or delete %s", o.cidFile)
		}
	}
	createOpts := client.ContainerCreateOptions{
		Config:           cfg.Config,
		HostConfig:       cfg.HostConfig,
		NetworkingConfig: cfg.NetworkingConfig,
		Platform:         platform,
		Name:             o.name,
	}
	ref, refErr := reference.ParseNormalizedNamed(cfg.Config.Image)
	pullOut := c.err
	if o.quiet {
		pullOut = io.Discard
	}
	if o.pull == "always" {
		if refErr != nil {
			return "", refErr
		}
		if err := pullFor(ctx, c, reference.FamiliarString(reference.TagNameOnly(ref)), platform, pullOut); err != nil {
			return "", err
		}
	}
	resp, err := api.ContainerCreate(ctx, createOpts)
	if err != nil {
		if errdefs.IsNotFound(err) && strings.Contains(err.Error(), "No such image") && refErr == nil && o.pull == "missing" {
			name := reference.FamiliarString(reference.TagNameOnly(ref))
			if !o.quiet {
				fmt.Fprintf(c.err, "Unable to find image '%s' locally\n", name)
			}
			if err = pullFor(ctx, c, name, platform, pullOut); err == nil {
				resp, err = api.ContainerCreate(ctx, createOpts)
			}
		}
		if err != nil {
			return "", err
		}
	}
	for _, w := range resp.Warnings {
		fmt.Fprintf(c.err, "WARNING: %s\n", w)
	}
	if o.cidFile != "" {
		if err := os.WriteFile(o.cidFile, []byte(resp.ID), 0o644); err != nil {
			return "", fmt.Errorf("failed to write the container ID to the file: %w", err)
		}
	}
	return resp.ID, nil
}

// waitExitOrRemoved registers the wait before start so a fast exit is not missed.
func waitExitOrRemoved(ctx context.Context, api *client.Client, id string, autoRemove bool) <-chan int {
	cond := container.WaitConditionNextExit
	if autoRemove {
		cond = container.WaitConditionRemoved
	}
	res := api.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: cond})
	status := make(chan int, 1)
	go func() {
		select {
		case <-ctx.Done():
		case r := <-res.Result:
			if r.Error != nil {
				status <- 125
			} else {
				status <- int(r.StatusCode)
			}
		case err := <-res.Error:
			if errors.Is(err, context.Canceled) {
				return
			}
			status <- 125
		}
	}()
	return status
}

func runRun(ctx context.Context, c *Cli, flags *pflag.FlagSet, o *runOptions, args []string) error {
	cfg, err := o.copts.parse(flags, args)
	if err != nil {
		return StatusError{Status: withHelp(err, "run"), StatusCode: 125, Cause: err}
	}
	config := cfg.Config
	if o.detach {
		if len(o.copts.attach) != 0 {
			return StatusError{Status: withHelp(errors.New("conflicting options: cannot specify both --attach and --detach"), "run"), StatusCode: 125}
		}
		config.AttachStdin, config.AttachStdout, config.AttachStderr, config.StdinOnce = false, false, false, false
	} else if config.AttachStdin && config.Tty && !c.isTerminalIn() {
		return StatusError{Status: withHelp(errors.New("the input device is not a TTY"), "run"), StatusCode: 1}
	}

	id, err := createContainer(ctx, c, cfg, &o.copts)
	if err != nil {
		return toStatusError(err, "run")
	}
	api, _ := c.Client()

	if o.sigProxy && !config.Tty {
		stop := proxySignals(ctx, api, id)
		defer stop()
	}

	attach := config.AttachStdin || config.AttachStdout || config.AttachStderr
	streamCtx, cancelStream := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelStream()

	var streamDone <-chan error
	if attach {
		keys := o.detachKeys
		resp, err := api.ContainerAttach(streamCtx, id, client.ContainerAttachOptions{
			Stream: true, Stdin: config.AttachStdin, Stdout: config.AttachStdout, Stderr: config.AttachStderr, DetachKeys: keys,
		})
		if err != nil {
			return toStatusError(err, "run")
		}
		defer resp.Close()
		streamDone = c.streamHijacked(streamCtx, resp.HijackedResponse, streamOptions{tty: config.Tty, stdin: config.AttachStdin, detachKeys: keys})
	}

	statusCtx, cancelStatus := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelStatus()
	status := waitExitOrRemoved(statusCtx, api, id, o.copts.autoRemove)

	if _, err := api.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		if attach {
			cancelStream()
			<-streamDone
		}
		if o.copts.autoRemove {
			<-status
		}
		return toStatusError(err, "run")
	}

	if !attach {
		fmt.Fprintln(c.out, id)
		return nil
	}
	if config.Tty && c.isTerminalOut() {
		c.monitorTTYSize(streamCtx, func(h, w uint) {
			_, _ = api.ContainerResize(streamCtx, id, client.ContainerResizeOptions{Height: h, Width: w})
		})
	}

	select {
	case err := <-streamDone:
		var esc term.EscapeError
		if errors.As(err, &esc) {
			return nil
		}
		if code := <-status; code != 0 {
			return StatusError{StatusCode: code}
		}
	case code := <-status:
		if !config.AttachStdout && !config.AttachStderr {
			cancelStream()
		}
		<-streamDone
		if code != 0 {
			return StatusError{StatusCode: code}
		}
	}
	return nil
}
