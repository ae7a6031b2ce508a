package daemon

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"github.com/berth-dev/berth/internal/api"
	"github.com/berth-dev/berth/internal/builder"
	"github.com/berth-dev/berth/internal/distribution"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/jsonstream"
)

// buildState opens the builder (DATA_ROOT/builder) on first use, so a
// daemon that never builds pays nothing.
type buildState struct {
	once sync.Once
	b    *builder.Builder
	err  error
}

func (d *Daemon) builder() (*builder.Builder, error) {
	d.builds.once.Do(func() {
		d.builds.b, d.builds.err = builder.New(filepath.Join(d.cfg.DataRoot, "builder"), d.images, d.rt, d.log)
	})
	return d.builds.b, d.builds.err
}

// Build implements api.BuildBackend.
func (d *Daemon) Build(ctx context.Context, body io.Reader, opts api.BuildOptions, out io.Writer) (string, error) {
	b, err := d.builder()
	if err != nil {
		return "", err
	}
	network := opts.NetworkMode
	if network == "bridge" {
		network = "default"
	}
	id, err := b.Build(ctx, body, builder.Options{
		Dockerfile: opts.Dockerfile, Tags: opts.Tags, BuildArgs: opts.BuildArgs, Target: opts.Target,
		Labels: opts.Labels, NoCache: opts.NoCache, Pull: opts.Pull, NetworkMode: network,
		Quiet: opts.Quiet, CacheFrom: opts.CacheFrom, Platform: opts.Platform,
		PullImage: d.buildPuller(opts.RegistryConfig, opts.Platform),
	}, out)
	if err != nil {
		return "", err
	}
	d.imageEvent(events.ActionCreate, id, id, nil)
	for _, t := range opts.Tags {
		d.tagEvent(id, t)
	}
	return id, nil
}

// buildPuller pulls a FROM image with the client's logins (X-Registry-Config)
// and writes the pull's status lines (not its byte counts) into the build
// output, as the classic builder shows them.
func (d *Daemon) buildPuller(registryConfig, platform string) func(context.Context, string, io.Writer) error {
	return func(ctx context.Context, name string, out io.Writer) error {
		logins, err := distribution.DecodeAuthConfigs(registryConfig)
		if err != nil {
			return err
		}
		ref, err := distribution.ParseRef(name)
		if err != nil {
			return err
		}
		progress := func(m jsonstream.Message) {
			if m.Progress != nil || m.Status == "" {
				return
			}
			if m.ID != "" {
				fmt.Fprintf(out, "%s: %s\n", m.ID, m.Status)
			} else {
				fmt.Fprintln(out, m.Status)
			}
		}
		opts := distribution.PullOptions{Platform: platform, Auth: distribution.AuthFor(logins, ref.Domain()), Progress: progress}
		if err := d.registry.Pull(ctx, d.images, ref, false, opts); err != nil {
			return err
		}
		d.refEvent(events.ActionPull, ref.Familiar())
		return nil
	}
}

// BuildCachePrune implements api.BuildBackend: the whole cache goes (berth
// keeps no in-use or shared records that "all" would add).
func (d *Daemon) BuildCachePrune(ctx context.Context, all bool) (*build.CachePruneReport, error) {
	b, err := d.builder()
	if err != nil {
		return nil, err
	}
	return b.Prune(ctx)
}

// buildCacheUsage is the build cache for `system df`.
func (d *Daemon) buildCacheUsage() *build.DiskUsage {
	du := &build.DiskUsage{Items: []build.CacheRecord{}}
	b, err := d.builder()
	if err != nil {
		return du
	}
	du.Items = append(du.Items, b.DiskRecords()...) // measured on disk
	for _, r := range du.Items {
		du.TotalCount++
		du.TotalSize += r.Size
		du.Reclaimable += r.Size
	}
	return du
}
