package daemon

// The registry side of the engine (api.DistributionBackend): pull, push,
// login, distribution inspect and search through internal/distribution.

import (
	"context"
	"strings"

	"github.com/berth-dev/berth/internal/distribution"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
)

func (d *Daemon) ImagePull(ctx context.Context, fromImage, tag, platform, authHeader string, progress func(jsonstream.Message)) error {
	ac, err := distribution.DecodeAuthHeader(authHeader)
	if err != nil {
		return err
	}
	if platform != "" && !strings.HasPrefix(platform, "linux") {
		return errdefs.Invalid("operating system is not supported: %s", platform)
	}
	ref, all, err := distribution.PullRequest(fromImage, tag)
	if err != nil {
		return err
	}
	if err := d.registry.Pull(ctx, d.images, ref, all, distribution.PullOptions{Platform: platform, Auth: ac, Progress: progress}); err != nil {
		return err
	}
	name := ref.Familiar()
	if all {
		name = ref.FamiliarName()
	}
	d.refEvent(events.ActionPull, name)
	return nil
}

func (d *Daemon) ImagePush(ctx context.Context, name, tag, authHeader string, progress func(jsonstream.Message)) error {
	ac, err := distribution.DecodeAuthHeader(authHeader)
	if err != nil {
		return err
	}
	if err := d.registry.Push(ctx, d.images, name, tag, distribution.PushOptions{Auth: ac, Progress: progress}); err != nil {
		return err
	}
	shown := name
	if tag != "" {
		shown += ":" + tag
	}
	d.refEvent(events.ActionPush, shown)
	return nil
}

func (d *Daemon) RegistryLogin(ctx context.Context, ac registry.AuthConfig) (registry.AuthResponse, error) {
	return d.registry.Login(ctx, ac)
}

func (d *Daemon) DistributionInspect(ctx context.Context, name, authHeader string) (*registry.DistributionInspect, error) {
	ac, err := distribution.DecodeAuthHeader(authHeader)
	if err != nil {
		return nil, err
	}
	return d.registry.Inspect(ctx, name, ac)
}

func (d *Daemon) ImageSearch(ctx context.Context, term string, limit int, authHeader string) ([]registry.SearchResult, error) {
	ac, err := distribution.DecodeAuthHeader(authHeader)
	if err != nil {
		return nil, err
	}
	return d.registry.Search(ctx, term, limit, ac)
}
