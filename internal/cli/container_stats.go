package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type statsOptions struct {
	all, noStream, noTrunc bool
	format                 string
}

func newStatsCommand(c *Cli) *cobra.Command {
	o := &statsOptions{}
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStats(cmd.Context(), c, args, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "Show all containers (default shows just running)")
	f.BoolVar(&o.noStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Do not truncate output")
	f.StringVar(&o.format, "format", "", "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template")
	return cmd
}

// statsCollector keeps the latest row of each container, fed by one
// stats stream per container.
type statsCollector struct {
	mu   sync.Mutex
	rows []*statsEntry
	errs []error
}

func runStats(ctx context.Context, c *Cli, args []string, o *statsOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	refs := args
	if len(refs) == 0 {
		list, err := api.ContainerList(ctx, client.ContainerListOptions{All: o.all})
		if err != nil {
			return err
		}
		for _, s := range list.Items {
			refs = append(refs, s.ID)
		}
	}
	format := o.format
	if format == "" || format == "table" {
		format = defaultStatsFormat
	}
	col := &statsCollector{rows: make([]*statsEntry, len(refs))}
	for i, ref := range refs {
		col.rows[i] = &statsEntry{container: ref, id: ref, trunc: !o.noTrunc, invalid: true}
	}
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			col.follow(ctx, api, i, ref, !o.noStream, !o.noTrunc)
		}()
	}
	if o.noStream {
		wg.Wait()
		if err := col.firstError(); err != nil && len(args) > 0 {
			return err
		}
		return col.print(c.Out(), format, false)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			if err := col.firstError(); err != nil {
				return err
			}
			return col.print(c.Out(), format, true)
		case <-tick.C:
			if err := col.print(c.Out(), format, true); err != nil {
				return err
			}
		}
	}
}

// follow reads ref's stats (one sample with its predecessor, or a stream)
// into row i.
func (col *statsCollector) follow(ctx context.Context, api *client.Client, i int, ref string, stream, trunc bool) {
	res, err := api.ContainerStats(ctx, ref, client.ContainerStatsOptions{Stream: stream, IncludePreviousSample: !stream})
	if err != nil {
		col.mu.Lock()
		col.errs = append(col.errs, err)
		col.mu.Unlock()
		return
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var s container.StatsResponse
		if err := dec.Decode(&s); err != nil {
			if err != io.EOF && ctx.Err() == nil {
				col.mu.Lock()
				col.rows[i].invalid = true
				col.mu.Unlock()
			}
			return
		}
		e := newStatsEntry(ref, &s)
		e.trunc = trunc
		col.mu.Lock()
		col.rows[i] = &e
		col.mu.Unlock()
	}
}

func (col *statsCollector) firstError() error {
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.errs) > 0 {
		return col.errs[0]
	}
	return nil
}

// print writes the rows; a live view first clears the screen as docker does.
func (col *statsCollector) print(out io.Writer, format string, clear bool) error {
	col.mu.Lock()
	items := make([]any, 0, len(col.rows))
	for _, r := range col.rows {
		rc := *r
		items = append(items, &rc)
	}
	col.mu.Unlock()
	if clear {
		fmt.Fprint(out, "\033[2J\033[H")
	}
	return writeFormatted(out, format, statsHeaders, items)
}
