package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	units "github.com/docker/go-units"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const (
	defaultImageFormat        = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	defaultImageDigestsFormat = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	defaultHistoryFormat      = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
)

var imageHeaders = map[string]string{
	"Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "Digest": "DIGEST", "CreatedSince": "CREATED",
	"CreatedAt": "CREATED AT", "Size": "SIZE", "Containers": "CONTAINERS", "SharedSize": "SHARED SIZE",
	"UniqueSize": "UNIQUE SIZE", "VirtualSize": "VIRTUAL SIZE",
}

// imageRow is the formatter context of one repository:tag of an image.
type imageRow struct {
	i         image.Summary
	repo, tag string
	digest    string
	trunc     bool
}

func (r *imageRow) ID() string {
	if r.trunc {
		return truncateID(r.i.ID)
	}
	return r.i.ID
}
func (r *imageRow) Repository() string   { return r.repo }
func (r *imageRow) Tag() string          { return r.tag }
func (r *imageRow) Digest() string       { return r.digest }
func (r *imageRow) CreatedSince() string { return sinceUnix(r.i.Created) }
func (r *imageRow) CreatedAt() string    { return time.Unix(r.i.Created, 0).String() }
func (r *imageRow) Size() string         { return humanSize(r.i.Size) }
func (r *imageRow) VirtualSize() string  { return units.HumanSize(float64(r.i.Size)) }

// UniqueSize is the part of the image no other image shares ("N/A" when not computed).
func (r *imageRow) UniqueSize() string {
	if r.i.SharedSize == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(r.i.Size - r.i.SharedSize)) // 4 digits, as the docker CLI
}
func (r *imageRow) SharedSize() string {
	if r.i.SharedSize == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(r.i.SharedSize))
}
func (r *imageRow) Containers() string {
	if r.i.Containers == -1 {
		return "N/A"
	}
	return strconv.FormatInt(r.i.Containers, 10)
}

// imageRows expands summaries into one row per tag (and "<none>" rows), like docker images.
func imageRows(items []image.Summary, trunc, digests bool) []any {
	var rows []any
	for _, img := range items {
		digestFor := map[string]string{}
		for _, rd := range img.RepoDigests {
			if ref, err := reference.ParseNormalizedNamed(rd); err == nil {
				if c, ok := ref.(reference.Canonical); ok {
					digestFor[reference.FamiliarName(ref)] = c.Digest().String()
				}
			}
		}
		if len(img.RepoTags) == 0 {
			if len(img.RepoDigests) > 0 && digests {
				for repo, d := range digestFor {
					rows = append(rows, &imageRow{i: img, repo: repo, tag: "<none>", digest: d, trunc: trunc})
				}
				continue
			}
			d := "<none>"
			for _, v := range digestFor {
				d = v
			}
			repo := "<none>"
			for k := range digestFor {
				repo = k
			}
			rows = append(rows, &imageRow{i: img, repo: repo, tag: "<none>", digest: d, trunc: trunc})
			continue
		}
		for _, rt := range img.RepoTags {
			ref, err := reference.ParseNormalizedNamed(rt)
			if err != nil {
				continue
			}
			repo, tag := reference.FamiliarName(ref), "<none>"
			if t, ok := ref.(reference.Tagged); ok {
				tag = t.Tag()
			}
			d := digestFor[repo]
			if d == "" {
				d = "<none>"
			}
			rows = append(rows, &imageRow{i: img, repo: repo, tag: tag, digest: d, trunc: trunc})
		}
	}
	return rows
}

func newImagesCommand(c *Cli) *cobra.Command {
	var all, quiet, digests, noTrunc bool
	var filters []string
	var format string
	cmd := &cobra.Command{
		Use: "images [OPTIONS] [REPOSITORY[:TAG]]", Short: "List images", Args: requiresRangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFilters(filters)
			if err != nil {
				return err
			}
			if len(args) == 1 {
				f.Add("reference", args[0])
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.ImageList(cmd.Context(), client.ImageListOptions{All: all, Filters: f})
			if err != nil {
				return err
			}
			if format == "" {
				format = defaultImageFormat
				if digests {
					format = defaultImageDigestsFormat
				}
			}
			if quiet {
				seen := map[string]bool{}
				for _, img := range res.Items {
					id := img.ID
					if !noTrunc {
						id = truncateID(id)
					}
					if !seen[id] {
						seen[id] = true
						fmt.Fprintln(c.out, id)
					}
				}
				return nil
			}
			return writeFormatted(c.out, format, imageHeaders, imageRows(res.Items, !noTrunc, digests))
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "Show all images (default hides intermediate images)")
	fl.BoolVarP(&quiet, "quiet", "q", false, "Only show image IDs")
	fl.BoolVar(&digests, "digests", false, "Show digests")
	fl.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	fl.VarP(newFilterValue(&filters), "filter", "f", "Filter output based on conditions provided")
	fl.StringVar(&format, "format", "", "Format output using a custom template")
	fl.Bool("tree", false, "List multi-platform images as a tree (EXPERIMENTAL)")
	_ = fl.MarkHidden("tree")
	return cmd
}

func newTagCommand(c *Cli) *cobra.Command {
	return &cobra.Command{
		Use: "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			if _, err := reference.ParseNormalizedNamed(args[1]); err != nil {
				return fmt.Errorf("Error parsing reference: %q is not a valid repository/tag: %w", args[1], err)
			}
			_, err = api.ImageTag(cmd.Context(), client.ImageTagOptions{Source: args[0], Target: args[1]})
			return err
		},
	}
}

func newRmiCommand(c *Cli) *cobra.Command {
	var force, noPrune bool
	cmd := &cobra.Command{
		Use: "rmi [OPTIONS] IMAGE [IMAGE...]", Short: "Remove one or more images", Args: requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEach(cmd.Context(), c, args, false, func(ctx context.Context, api *client.Client, n string) error {
				res, err := api.ImageRemove(ctx, n, client.ImageRemoveOptions{Force: force, PruneChildren: !noPrune})
				if err != nil {
					return err
				}
				for _, d := range res.Items {
					if d.Deleted != "" {
						fmt.Fprintf(c.out, "Deleted: %s\n", d.Deleted)
					} else {
						fmt.Fprintf(c.out, "Untagged: %s\n", d.Untagged)
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force removal of the image")
	cmd.Flags().BoolVar(&noPrune, "no-prune", false, "Do not delete untagged parents")
	return cmd
}

type historyRow struct {
	h            image.HistoryResponseItem
	trunc, human bool
}

func (r *historyRow) ID() string {
	if r.h.ID == "" || r.h.ID == "<missing>" {
		return "<missing>"
	}
	if r.trunc {
		return truncateID(r.h.ID)
	}
	return r.h.ID
}
func (r *historyRow) CreatedSince() string {
	if !r.human {
		return time.Unix(r.h.Created, 0).Format(time.RFC3339)
	}
	return sinceUnix(r.h.Created)
}
func (r *historyRow) CreatedAt() string { return time.Unix(r.h.Created, 0).Format(time.RFC3339) }
func (r *historyRow) CreatedBy() string {
	s := strings.ReplaceAll(r.h.CreatedBy, "\t", " ")
	if r.trunc {
		s = ellipsis(s, 45)
	}
	return s
}
func (r *historyRow) Size() string {
	if r.human {
		return humanSize(r.h.Size)
	}
	return strconv.FormatInt(r.h.Size, 10)
}
func (r *historyRow) Comment() string { return r.h.Comment }

func newHistoryCommand(c *Cli) *cobra.Command {
	var human, noTrunc, quiet bool
	var format string
	cmd := &cobra.Command{
		Use: "history [OPTIONS] IMAGE", Short: "Show the history of an image", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.ImageHistory(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if format == "" {
				format = defaultHistoryFormat
			}
			if quiet {
				format = "{{.ID}}"
			}
			rows := make([]any, 0, len(res.Items))
			for _, h := range res.Items {
				rows = append(rows, &historyRow{h: h, trunc: !noTrunc, human: human})
			}
			return writeFormatted(c.out, format, map[string]string{
				"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY",
				"Size": "SIZE", "Comment": "COMMENT",
			}, rows)
		},
	}
	cmd.Flags().BoolVarP(&human, "human", "H", true, "Print sizes and dates in human readable format")
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only show image IDs")
	cmd.Flags().StringVar(&format, "format", "", "Format output using a custom template")
	return cmd
}

func newSaveCommand(c *Cli) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use: "save [OPTIONS] IMAGE [IMAGE...]", Short: "Save one or more images to a tar archive (streamed to STDOUT by default)", Args: requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				if err := refuseTerminal(c, "save"); err != nil {
					return err
				}
			} else if err := validateOutputPath(output); err != nil {
				return fmt.Errorf("failed to save image: %w", err)
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			rc, err := api.ImageSave(cmd.Context(), args)
			if err != nil {
				return err
			}
			defer rc.Close()
			return writeToFileOrStdout(c, output, rc, "failed to save image")
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}

// printJSONStream prints a daemon's JSON-lines progress stream (load/import output).
func printJSONStream(c *Cli, r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
		switch {
		case m.Stream != "":
			fmt.Fprint(c.out, m.Stream)
		case m.Status != "" && m.ID != "":
			fmt.Fprintf(c.out, "%s: %s\n", m.ID, m.Status)
		case m.Status != "":
			fmt.Fprintln(c.out, m.Status)
		}
	}
}

func newLoadCommand(c *Cli) *cobra.Command {
	var input string
	var quiet bool
	cmd := &cobra.Command{
		Use: "load [OPTIONS]", Short: "Load an image from a tar archive or STDIN", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var in io.Reader = c.in
			if input != "" {
				f, err := os.Open(input)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			} else if c.isTerminalIn() {
				return errors.New("requested load from stdin, but stdin is empty")
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			rc, err := api.ImageLoad(cmd.Context(), in, client.ImageLoadWithQuiet(quiet))
			if err != nil {
				return err
			}
			defer rc.Close()
			return printJSONStream(c, rc)
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "Read from tar archive file, instead of STDIN")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress the load output")
	return cmd
}

func newImportCommand(c *Cli) *cobra.Command {
	var changes []string
	var message, platform string
	cmd := &cobra.Command{
		Use: "import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]", Short: "Import the contents from a tarball to create a filesystem image", Args: requiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := client.ImageImportSource{SourceName: "-"}
			switch {
			case args[0] == "-":
				src.Source = c.in
			case strings.HasPrefix(args[0], "http://") || strings.HasPrefix(args[0], "https://"):
				return fmt.Errorf("importing from a URL is not supported: %s (download it and import the file)", args[0])
			default:
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				src.Source = f
			}
			ref := ""
			if len(args) == 2 {
				ref = args[1]
				if _, err := reference.ParseNormalizedNamed(ref); err != nil {
					return err
				}
			}
			opts := client.ImageImportOptions{Message: message, Changes: changes}
			if p, err := parsePlatform(platform); err != nil {
				return err
			} else if p != nil {
				opts.Platform = *p
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			rc, err := api.ImageImport(cmd.Context(), src, ref, opts)
			if err != nil {
				return err
			}
			defer rc.Close()
			return printJSONStream(c, rc)
		},
	}
	cmd.Flags().StringArrayVarP(&changes, "change", "c", nil, "Apply Dockerfile instruction to the created image")
	cmd.Flags().StringVarP(&message, "message", "m", "", "Set commit message for imported image")
	cmd.Flags().StringVar(&platform, "platform", "", "Set platform if server is multi-platform capable")
	return cmd
}

func newImagePruneCommand(c *Cli) *cobra.Command {
	var force, all bool
	var filters []string
	cmd := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove unused images", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			warning := "WARNING! This will remove all dangling images."
			if all {
				warning = "WARNING! This will remove all images without at least one container associated to them."
			}
			if !force && !confirm(c, warning) {
				return nil
			}
			f, err := parseFilters(filters)
			if err != nil {
				return err
			}
			f.Add("dangling", strconv.FormatBool(!all))
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.ImagePrune(cmd.Context(), client.ImagePruneOptions{Filters: f})
			if err != nil {
				return err
			}
			if len(res.Report.ImagesDeleted) > 0 {
				fmt.Fprintln(c.out, "Deleted Images:")
				for _, d := range res.Report.ImagesDeleted {
					if d.Deleted != "" {
						fmt.Fprintf(c.out, "deleted: %s\n", d.Deleted)
					} else {
						fmt.Fprintf(c.out, "untagged: %s\n", d.Untagged)
					}
				}
				fmt.Fprintln(c.out)
			}
			fmt.Fprintf(c.out, "Total reclaimed space: %s\n", humanSize(int64(res.Report.SpaceReclaimed)))
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "Remove all unused images, not just dangling ones")
	cmd.Flags().Var(newFilterValue(&filters), "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}

func imageTopLevelCommands(c *Cli) []*cobra.Command {
	return []*cobra.Command{newImagesCommand(c), newTagCommand(c), newRmiCommand(c), newHistoryCommand(c),
		newSaveCommand(c), newLoadCommand(c), newImportCommand(c)}
}

func newImageCommand(c *Cli) *cobra.Command {
	cmd := &cobra.Command{Use: "image", Short: "Manage images", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	ls := newImagesCommand(c)
	ls.Use, ls.Aliases = "ls [OPTIONS] [REPOSITORY[:TAG]]", []string{"list", "images"}
	rm := newRmiCommand(c)
	rm.Use, rm.Aliases = "rm [OPTIONS] IMAGE [IMAGE...]", []string{"remove", "rmi"}
	cmd.AddCommand(ls, rm, newImageInspectCommand(c), newHistoryCommand(c), newTagCommand(c), newImagePruneCommand(c),
		newSaveCommand(c), newLoadCommand(c), newImportCommand(c))
	return cmd
}
