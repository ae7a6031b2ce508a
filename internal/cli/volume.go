package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// newVolumeCommand is `volume create|ls|inspect|rm|prune`, with docker's flags.
func newVolumeCommand(c *Cli) *cobra.Command {
	cmd := &cobra.Command{Use: "volume COMMAND", Short: "Manage volumes", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	cmd.AddCommand(newVolumeCreateCommand(c), newVolumeLsCommand(c), newVolumeInspectCommand(c),
		newVolumeRmCommand(c), newVolumePruneCommand(c))
	return cmd
}

func newVolumeCreateCommand(c *Cli) *cobra.Command {
	var (
		driver, name string
		opts, labels []string
	)
	cmd := &cobra.Command{
		Use: "create [OPTIONS] [VOLUME]", Short: "Create a volume", Args: requiresRangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if name != "" {
					return errors.New("conflicting options: cannot specify a volume-name through both --name and as a positional arg")
				}
				name = args[0]
			}
			driverOpts, err := toMap(opts, "opt", true)
			if err != nil {
				return err
			}
			labelMap, _ := toMap(labels, "label", false)
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.VolumeCreate(cmd.Context(), client.VolumeCreateOptions{Name: name, Driver: driver, DriverOpts: driverOpts, Labels: labelMap})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.out, res.Volume.Name)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&driver, "driver", "d", "local", "Specify volume driver name")
	f.StringVar(&name, "name", "", "Specify volume name")
	_ = f.MarkHidden("name")
	f.StringArrayVarP(&opts, "opt", "o", nil, "Set driver specific options")
	f.StringArrayVar(&labels, "label", nil, "Set metadata for a volume")
	return cmd
}

// volumeRow is what `volume ls` templates see (docker's volume context).
type volumeRow struct{ v volume.Volume }

func (r volumeRow) Name() string       { return r.v.Name }
func (r volumeRow) Driver() string     { return r.v.Driver }
func (r volumeRow) Scope() string      { return r.v.Scope }
func (r volumeRow) Mountpoint() string { return r.v.Mountpoint }
func (r volumeRow) Availability() string {
	return "N/A"
}
func (r volumeRow) Group() string { return "N/A" }

func (r volumeRow) Labels() string {
	var kv []string
	for k, v := range r.v.Labels {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

func (r volumeRow) Label(name string) string { return r.v.Labels[name] }

func (r volumeRow) Links() string {
	if r.v.UsageData == nil {
		return "N/A"
	}
	return fmt.Sprint(r.v.UsageData.RefCount)
}

func (r volumeRow) Size() string {
	if r.v.UsageData == nil {
		return "N/A"
	}
	return humanSize(r.v.UsageData.Size)
}

var volumeHeaders = map[string]string{
	"Name": "VOLUME NAME", "Driver": "DRIVER", "Scope": "SCOPE", "Mountpoint": "MOUNTPOINT",
	"Labels": "LABELS", "Links": "LINKS", "Size": "SIZE", "Availability": "AVAILABILITY", "Group": "GROUP",
}

func newVolumeLsCommand(c *Cli) *cobra.Command {
	var (
		quiet   bool
		format  string
		filters []string
	)
	cmd := &cobra.Command{
		Use: "ls [OPTIONS]", Aliases: []string{"list"}, Short: "List volumes", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseFilters(filters)
			if err != nil {
				return err
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.VolumeList(cmd.Context(), client.VolumeListOptions{Filters: f})
			if err != nil {
				return err
			}
			sort.Slice(res.Items, func(i, j int) bool { return res.Items[i].Name < res.Items[j].Name })
			switch {
			case quiet:
				format = "{{.Name}}"
			case format == "" || format == "table":
				format = "table {{.Driver}}\t{{.Name}}"
			}
			rows := make([]any, 0, len(res.Items))
			for _, v := range res.Items {
				rows = append(rows, volumeRow{v})
			}
			return writeFormatted(c.out, format, volumeHeaders, rows)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "Only display volume names")
	f.StringVar(&format, "format", "", "Format output using a custom template")
	f.VarP(newFilterValue(&filters), "filter", "f", `Provide filter values (e.g. "dangling=true")`)
	return cmd
}

func newVolumeInspectCommand(c *Cli) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use: "inspect [OPTIONS] VOLUME [VOLUME...]", Short: "Display detailed information on one or more volumes", Args: requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			return printInspected(c, format, args, func(name string) (json.RawMessage, error) {
				res, err := api.VolumeInspect(cmd.Context(), name, client.VolumeInspectOptions{})
				return res.Raw, err
			})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "Format output using a custom template")
	return cmd
}

func newVolumeRmCommand(c *Cli) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use: "rm [OPTIONS] VOLUME [VOLUME...]", Aliases: []string{"remove"}, Short: "Remove one or more volumes", Args: requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			var errs []string
			for _, name := range args {
				if _, err := api.VolumeRemove(cmd.Context(), name, client.VolumeRemoveOptions{Force: force}); err != nil {
					errs = append(errs, err.Error())
					continue
				}
				fmt.Fprintln(c.out, name)
			}
			if len(errs) > 0 {
				return errors.New(strings.Join(errs, "\n"))
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force the removal of one or more volumes")
	return cmd
}

func newVolumePruneCommand(c *Cli) *cobra.Command {
	var (
		all, force bool
		filters    []string
	)
	cmd := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove unused local volumes", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			warning := "WARNING! This will remove anonymous local volumes not used by at least one container."
			if all {
				warning = "WARNING! This will remove all local volumes not used by at least one container."
			}
			return runPrune(c, cmd, force, warning, filters, "Deleted Volumes:", true,
				func(ctx context.Context, api *client.Client, f client.Filters) ([]string, uint64, error) {
					res, err := api.VolumePrune(ctx, client.VolumePruneOptions{All: all, Filters: f})
					return res.Report.VolumesDeleted, res.Report.SpaceReclaimed, err
				})
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "Remove all unused volumes, not just anonymous ones")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().Var(newFilterValue(&filters), "filter", `Provide filter values (e.g. "label=<label>")`)
	return cmd
}
