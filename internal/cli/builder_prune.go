package cli

import (
	"context"

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
			return runPrune(c, cmd, force, warning, filters, "Deleted build cache objects:", true,
				func(ctx context.Context, api *client.Client, f client.Filters) ([]string, uint64, error) {
					res, err := api.BuildCachePrune(ctx, client.BuildCachePruneOptions{All: all, Filters: f})
					return res.Report.CachesDeleted, res.Report.SpaceReclaimed, err
				})
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
