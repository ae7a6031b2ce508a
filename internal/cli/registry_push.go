package cli

import (
	"fmt"
	"io"

	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newPushCommand(c *Cli) *cobra.Command {
	var all, quiet bool
	cmd := &cobra.Command{
		Use: "push [OPTIONS] NAME[:TAG]", Short: "Upload an image to a registry", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			named, err := reference.ParseNormalizedNamed(args[0])
			if err != nil {
				return err
			}
			if all && !reference.IsNameOnly(named) {
				return fmt.Errorf("tag can't be used with --all-tags/-a")
			}
			if !all && reference.IsNameOnly(named) {
				named = reference.TagNameOnly(named)
				if t, ok := named.(reference.Tagged); ok && !quiet {
					fmt.Fprintf(c.out, "Using default tag: %s\n", t.Tag())
				}
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			ref := reference.FamiliarString(named)
			resp, err := api.ImagePush(cmd.Context(), ref, client.ImagePushOptions{All: all, RegistryAuth: encodedAuth(c, ref)})
			if err != nil {
				return err
			}
			defer resp.Close()
			out := c.out
			if quiet {
				out = io.Discard
			}
			if err := displayStream(c, resp, out); err != nil {
				return err
			}
			if quiet {
				fmt.Fprintln(c.out, ref)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&all, "all-tags", "a", false, "Push all tags of an image to the repository")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	return cmd
}
