package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
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

// statsRow is one container's latest numbers, fed by its stats stream.
type statsRow struct {
	id     string
	entry  statsEntry
	cancel context.CancelFunc
}

// statsCollector keeps the rows in display order.
type statsCollector struct {
	api    *client.Client
	stream bool
	trunc  bool

	mu   sync.Mutex
	rows []*statsRow
	errs []error
	wg   sync.WaitGroup

	active atomic.Int32 // streams still open
}

func runStats(ctx context.Context, c *Cli, args []string, o *statsOptions) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	col := &statsCollector{api: api, stream: !o.noStream, trunc: !o.noTrunc}
	format := o.format
	if format == "" || format == "table" {
		format = defaultStatsFormat
	}
	if len(args) == 0 && col.stream {
		// As docker: follow containers that start (and go) while we watch.
		col.watchEvents(ctx, o.all)
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
	for _, ref := range refs {
		col.add(ctx, ref)
	}
	if !col.stream {
		col.wg.Wait()
		if err := col.firstError(); err != nil && len(args) > 0 {
			return err
		}
		return col.print(c.Out(), format, false)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if len(args) > 0 && col.allGone() {
				// Every named container stopped or went away.
				if err := col.firstError(); err != nil {
					return err
				}
				return col.print(c.Out(), format, true)
			}
			if err := col.print(c.Out(), format, true); err != nil {
				return err
			}
		}
	}
}

// add starts following ref unless it is already shown.
func (col *statsCollector) add(ctx context.Context, ref string) {
	col.mu.Lock()
	defer col.mu.Unlock()
	for _, r := range col.rows {
		if r.id == ref {
			return
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	row := &statsRow{id: ref, entry: statsEntry{container: ref, id: ref, trunc: col.trunc, invalid: true}, cancel: cancel}
	col.rows = append(col.rows, row)
	col.wg.Add(1)
	col.active.Add(1)
	go func() {
		defer col.wg.Done()
		defer col.active.Add(-1)
		col.follow(rctx, row)
	}()
}

func (col *statsCollector) remove(id string) {
	col.mu.Lock()
	defer col.mu.Unlock()
	for i, r := range col.rows {
		if r.id == id {
			r.cancel()
			col.rows = append(col.rows[:i], col.rows[i+1:]...)
			return
		}
	}
}

// watchEvents adds containers that start and drops those that are
// destroyed (or, without --all, that die).
func (col *statsCollector) watchEvents(ctx context.Context, all bool) {
	f := client.Filters{}.Add("type", string(events.ContainerEventType)).Add("event", "start", "die", "destroy")
	res := col.api.Events(ctx, client.EventsListOptions{Filters: f})
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-res.Err:
				return
			case m := <-res.Messages:
				switch {
				case m.Action == events.ActionStart:
					col.add(ctx, m.Actor.ID)
				case m.Action == events.ActionDestroy, m.Action == events.ActionDie && !all:
					col.remove(m.Actor.ID)
				}
			}
		}
	}()
}

// follow reads row's stats (one sample with its predecessor, or a stream).
func (col *statsCollector) follow(ctx context.Context, row *statsRow) {
	res, err := col.api.ContainerStats(ctx, row.id, client.ContainerStatsOptions{Stream: col.stream, IncludePreviousSample: !col.stream})
	if err != nil {
		col.mu.Lock()
		if ctx.Err() == nil {
			col.errs = append(col.errs, err)
		}
		col.mu.Unlock()
		return
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var s container.StatsResponse
		if err := dec.Decode(&s); err != nil {
			return
		}
		e := newStatsEntry(row.entry.container, &s)
		e.trunc = col.trunc
		col.mu.Lock()
		row.entry = e
		col.mu.Unlock()
	}
}

// allGone: every stream has ended (named containers that stopped).
func (col *statsCollector) allGone() bool { return col.active.Load() == 0 }

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
		e := r.entry
		items = append(items, &e)
	}
	col.mu.Unlock()
	if clear {
		fmt.Fprint(out, "\033[2J\033[H")
	}
	return writeFormatted(out, format, statsHeaders, items)
}
