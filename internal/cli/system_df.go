package cli

import (
	"fmt"
	"strconv"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type dfRow struct {
	typ                              string
	total, active, size, reclaimable int64
}

func (r *dfRow) Type() string       { return r.typ }
func (r *dfRow) TotalCount() string { return strconv.FormatInt(r.total, 10) }
func (r *dfRow) Active() string     { return strconv.FormatInt(r.active, 10) }

// df prints sizes with four significant digits, unlike the listing commands.
func (r *dfRow) Size() string { return units.HumanSize(float64(r.size)) }
func (r *dfRow) Reclaimable() string {
	if r.size > 0 {
		return fmt.Sprintf("%s (%d%%)", units.HumanSize(float64(r.reclaimable)), r.reclaimable*100/r.size)
	}
	return units.HumanSize(float64(r.reclaimable))
}

// dfContainerRow is a container in `system df -v`: SIZE is the writable layer alone.
type dfContainerRow struct{ containerRow }

func (r *dfContainerRow) Size() string { return humanSize(r.c.SizeRw) }

// dfVolumeRow is a volume line of `system df -v`, as the docker CLI shows it.
type dfVolumeRow struct{ v volume.Volume }

func (r *dfVolumeRow) Name() string { return r.v.Name }
func (r *dfVolumeRow) Links() string {
	if r.v.UsageData == nil {
		return "N/A"
	}
	return strconv.FormatInt(r.v.UsageData.RefCount, 10)
}
func (r *dfVolumeRow) Size() string {
	if r.v.UsageData == nil {
		return "N/A"
	}
	return units.HumanSize(float64(r.v.UsageData.Size))
}

// dfCacheRow is a build cache line of `system df -v` ("*" marks one in use).
type dfCacheRow struct{ r build.CacheRecord }

func (c *dfCacheRow) ID() string {
	id := c.r.ID
	if len(id) > 12 {
		id = id[:12]
	}
	if c.r.InUse {
		id += "*"
	}
	return id
}
func (c *dfCacheRow) CacheType() string { return c.r.Type }
func (c *dfCacheRow) Size() string      { return humanSize(c.r.Size) }
func (c *dfCacheRow) CreatedSince() string {
	return units.HumanDuration(now().UTC().Sub(c.r.CreatedAt)) + " ago"
}
func (c *dfCacheRow) LastUsedSince() string {
	if c.r.LastUsedAt == nil {
		return ""
	}
	return units.HumanDuration(now().UTC().Sub(*c.r.LastUsedAt)) + " ago"
}
func (c *dfCacheRow) UsageCount() string { return strconv.Itoa(c.r.UsageCount) }
func (c *dfCacheRow) Shared() string     { return strconv.FormatBool(c.r.Shared) }

func newDfCommand(c *Cli) *cobra.Command {
	var verbose bool
	var format string
	cmd := &cobra.Command{
		Use: "df [OPTIONS]", Short: "Show docker disk usage", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			du, err := api.DiskUsage(cmd.Context(), client.DiskUsageOptions{Containers: true, Images: true, Volumes: true, BuildCache: true, Verbose: verbose})
			if err != nil {
				return err
			}
			if format == "" {
				format = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
			}
			rows := []any{
				&dfRow{"Images", du.Images.TotalCount, du.Images.ActiveCount, du.Images.TotalSize, du.Images.Reclaimable},
				&dfRow{"Containers", du.Containers.TotalCount, du.Containers.ActiveCount, du.Containers.TotalSize, du.Containers.Reclaimable},
				&dfRow{"Local Volumes", du.Volumes.TotalCount, du.Volumes.ActiveCount, du.Volumes.TotalSize, du.Volumes.Reclaimable},
				&dfRow{"Build Cache", du.BuildCache.TotalCount, du.BuildCache.ActiveCount, du.BuildCache.TotalSize, du.BuildCache.Reclaimable},
			}
			if !verbose {
				return writeFormatted(c.out, format, map[string]string{"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE"}, rows)
			}
			fmt.Fprint(c.out, "Images space usage:\n\n")
			if err := writeFormatted(c.out, "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", imageHeaders, imageRows(du.Images.Items, true, false)); err != nil {
				return err
			}
			fmt.Fprint(c.out, "\nContainers space usage:\n\n")
			var ctrs []any
			for _, s := range du.Containers.Items {
				ctrs = append(ctrs, &dfContainerRow{containerRow{c: s, trunc: true}})
			}
			if err := writeFormatted(c.out, "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}", containerHeaders, ctrs); err != nil {
				return err
			}
			fmt.Fprint(c.out, "\nLocal Volumes space usage:\n\n")
			var vols []any
			for _, v := range du.Volumes.Items {
				vols = append(vols, &dfVolumeRow{v})
			}
			if err := writeFormatted(c.out, "table {{.Name}}\t{{.Links}}\t{{.Size}}", map[string]string{"Name": "VOLUME NAME", "Links": "LINKS", "Size": "SIZE"}, vols); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "\nBuild cache usage: %s\n\n", humanSize(du.BuildCache.TotalSize))
			var caches []any
			for _, r := range du.BuildCache.Items {
				caches = append(caches, &dfCacheRow{r})
			}
			return writeFormatted(c.out, "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}",
				map[string]string{"ID": "CACHE ID", "CacheType": "CACHE TYPE", "Size": "SIZE", "CreatedSince": "CREATED", "LastUsedSince": "LAST USED", "UsageCount": "USAGE", "Shared": "SHARED"}, caches)
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "Show detailed information on space usage")
	cmd.Flags().StringVar(&format, "format", "", "Format output using a custom template")
	return cmd
}

func newSystemPruneCommand(c *Cli) *cobra.Command {
	var all, force, volumes bool
	var filters []string
	cmd := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove unused data", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			warning := "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n"
			if volumes {
				warning += "  - all anonymous volumes not used by at least one container\n"
			}
			if all {
				warning += "  - all images without at least one container associated to them\n"
			} else {
				warning += "  - all dangling images\n"
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
			var total uint64
			cr, err := api.ContainerPrune(cmd.Context(), client.ContainerPruneOptions{Filters: f})
			if err != nil {
				return err
			}
			total += cr.Report.SpaceReclaimed
			if len(cr.Report.ContainersDeleted) > 0 {
				fmt.Fprintln(c.out, "Deleted Containers:")
				for _, id := range cr.Report.ContainersDeleted {
					fmt.Fprintln(c.out, id)
				}
				fmt.Fprintln(c.out)
			}
			if volumes {
				if vr, err := api.VolumePrune(cmd.Context(), client.VolumePruneOptions{Filters: f.Clone()}); err == nil {
					total += vr.Report.SpaceReclaimed
				}
			}
			imf := f.Clone()
			imf.Add("dangling", strconv.FormatBool(!all))
			ir, err := api.ImagePrune(cmd.Context(), client.ImagePruneOptions{Filters: imf})
			if err != nil {
				return err
			}
			total += ir.Report.SpaceReclaimed
			if len(ir.Report.ImagesDeleted) > 0 {
				fmt.Fprintln(c.out, "Deleted Images:")
				for _, d := range ir.Report.ImagesDeleted {
					if d.Deleted != "" {
						fmt.Fprintf(c.out, "deleted: %s\n", d.Deleted)
					} else {
						fmt.Fprintf(c.out, "untagged: %s\n", d.Untagged)
					}
				}
				fmt.Fprintln(c.out)
			}
			fmt.Fprintf(c.out, "Total reclaimed space: %s\n", humanSize(int64(total)))
			return nil
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "Remove all unused images not just dangling ones")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().BoolVar(&volumes, "volumes", false, "Prune anonymous volumes")
	cmd.Flags().Var(newFilterValue(&filters), "filter", `Provide filter values (e.g. "label=<key>=<value>")`)
	return cmd
}
