package cli

import (
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// newBuilderCommand is `builder` with `prune` (and `build` as docker has).
func newBuilderCommand(c *Cli) *cobra.Command {
	cmd := &cobra.Command{Use: "builder", Short: "Manage builds", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	cmd.AddCommand(newBuilderPruneCommand(c), newBuildCommand(c))
	return cmd
}

func newBuilderPruneCommand(c *Cli) *cobra.Command {
	var force, all bool
	var filters []string
	cmd := &cobra.Command{
		Use: "prune", Short: "Remove build cache", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			warning := "WARNING! This will remove all dangling build cache."
			if all {
				warning = "WARNING! This will remove all build cache."
			}
			if !force && !confirm(c, warning) {
				return nil
			}
			f, err := parseFilters(filters)
			if err != nil {
				return err
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.BuildCachePrune(cmd.Context(), client.BuildCachePruneOptions{All: all, Filters: f})
			if err != nil {
				return err
			}
			if len(res.Report.CachesDeleted) > 0 {
				fmt.Fprintln(c.out, "Deleted build cache objects:")
				for _, id := range res.Report.CachesDeleted {
					fmt.Fprintln(c.out, id)
				}
				fmt.Fprintln(c.out)
			}
			fmt.Fprintf(c.out, "Total reclaimed space: %s\n", humanSize(int64(res.Report.SpaceReclaimed)))
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "Remove all unused build cache, not just dangling ones")
	cmd.Flags().Var(newFilterValue(&filters), "filter", `Provide filter values (e.g. "until=24h")`)
	return cmd
}

// buildCommands are `build` and `builder`, registered on the root.
func buildCommands(c *Cli) []*cobra.Command {
	return []*cobra.Command{newBuildCommand(c), newBuilderCommand(c)}
}
