package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// confirm asks docker's "Are you sure you want to continue? [y/N]" question.
func confirm(c *Cli, warning string) bool {
	fmt.Fprintf(c.out, "%s\nAre you sure you want to continue? [y/N] ", warning)
	line, _ := bufio.NewReader(c.in).ReadString('\n')
	line = strings.ToLower(strings.TrimSpace(line))
	return line == "y" || line == "yes"
}

// pruneCall is what one `... prune` command asks the API: it returns what
// was deleted and the bytes given back.
type pruneCall func(ctx context.Context, api *client.Client, f client.Filters) (deleted []string, reclaimed uint64, err error)

// runPrune is the body every `... prune` command shares: confirm unless
// forced, parse --filter, prune, print Docker's report ("Deleted X:" and the
// IDs, then the reclaimed space; network prune prints no space line).
func runPrune(c *Cli, cmd *cobra.Command, force bool, warning string, filters []string, heading string, showSpace bool, call pruneCall) error {
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
	deleted, reclaimed, err := call(cmd.Context(), api, f)
	if err != nil {
		return err
	}
	if len(deleted) > 0 {
		fmt.Fprintln(c.out, heading)
		for _, id := range deleted {
			fmt.Fprintln(c.out, id)
		}
		if showSpace {
			fmt.Fprintln(c.out)
		}
	}
	if showSpace {
		fmt.Fprintf(c.out, "Total reclaimed space: %s\n", humanSize(int64(reclaimed)))
	}
	return nil
}

func newContainerPruneCommand(c *Cli) *cobra.Command {
	var force bool
	var filters []string
	cmd := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove all stopped containers", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPrune(c, cmd, force, "WARNING! This will remove all stopped containers.", filters, "Deleted Containers:", true,
				func(ctx context.Context, api *client.Client, f client.Filters) ([]string, uint64, error) {
					res, err := api.ContainerPrune(ctx, client.ContainerPruneOptions{Filters: f})
					return res.Report.ContainersDeleted, res.Report.SpaceReclaimed, err
				})
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().Var(newFilterValue(&filters), "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}
