package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/jsonmessage"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

type pullOptions struct {
	all      bool
	quiet    bool
	platform string
}

func newPullCommand(c *Cli) *cobra.Command {
	var o pullOptions
	cmd := &cobra.Command{
		Use: "pull [OPTIONS] NAME[:TAG|@DIGEST]", Short: "Download an image from a registry", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPull(cmd.Context(), c, args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all-tags", "a", false, "Download all tagged images in the repository")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress verbose output")
	f.StringVar(&o.platform, "platform", "", "Set platform if server is multi-platform capable")
	return cmd
}

func runPull(ctx context.Context, c *Cli, name string, o pullOptions) error {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return err
	}
	if o.all && !reference.IsNameOnly(named) {
		return fmt.Errorf("tag can't be used with --all-tags/-a")
	}
	if !o.all && reference.IsNameOnly(named) {
		named = reference.TagNameOnly(named)
		if t, ok := named.(reference.Tagged); ok && !o.quiet {
			fmt.Fprintf(c.out, "Using default tag: %s\n", t.Tag())
		}
	}
	out := c.out
	if o.quiet {
		out = io.Discard
	}
	if err := pullImage(ctx, c, reference.FamiliarString(named), o.platform, o.all, out); err != nil {
		return err
	}
	if o.quiet {
		fmt.Fprintln(c.out, reference.FamiliarString(named))
	} else if !o.all {
		fmt.Fprintln(c.out, named.String())
	}
	return nil
}

// pullImage pulls ref and draws the daemon's progress on out like docker:
// bars on a terminal, plain lines otherwise (moby's jsonmessage renderer,
// the one the docker CLI uses, so the output is the same).
func pullImage(ctx context.Context, c *Cli, ref, platform string, all bool, out io.Writer) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	opts := client.ImagePullOptions{All: all, RegistryAuth: encodedAuth(c, ref)}
	if platform != "" {
		p, err := parseOCIPlatform(platform)
		if err != nil {
			return err
		}
		opts.Platforms = []ocispec.Platform{p}
	}
	resp, err := api.ImagePull(ctx, ref, opts)
	if err != nil {
		return err
	}
	defer resp.Close()
	return displayStream(c, resp, out)
}

func displayStream(c *Cli, r io.Reader, out io.Writer) error {
	fd, isTerm := fdOf(out)
	if isTerm {
		isTerm = c.isTerminalOut() && out == c.out
	}
	return jsonmessage.DisplayJSONMessagesStream(r, out, fd, isTerm, nil)
}

func parseOCIPlatform(s string) (ocispec.Platform, error) {
	parts := strings.Split(strings.ToLower(s), "/")
	if len(parts) < 2 || len(parts) > 3 {
		return ocispec.Platform{}, fmt.Errorf("invalid platform %q: want os/arch[/variant]", s)
	}
	p := ocispec.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// pullFor pulls the image a container is about to be created from, for the platform it asks.
func pullFor(ctx context.Context, c *Cli, ref string, platform *ocispec.Platform, out io.Writer) error {
	p := ""
	if platform != nil {
		p = platform.OS + "/" + platform.Architecture
	}
	return pullImage(ctx, c, ref, p, false, out)
}
