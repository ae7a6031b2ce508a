package distribution

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"
)

// remoteOptions are ggcr's options for host with the caller's credentials.
func (c *Client) remoteOptions(ctx context.Context, host string, ac registry.AuthConfig) ([]remote.Option, error) {
	t, err := c.transport(host)
	if err != nil {
		return nil, err
	}
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(t),
		remote.WithAuth(authenticator(ac)),
		remote.WithUserAgent(c.opts.UserAgent),
		remote.WithJobs(maxConcurrentLayers),
	}, nil
}

func (c *Client) puller(ctx context.Context, r Ref, ac registry.AuthConfig) (*remote.Puller, error) {
	opts, err := c.remoteOptions(ctx, r.Domain(), ac)
	if err != nil {
		return nil, err
	}
	return remote.NewPuller(opts...)
}

func (c *Client) pusher(ctx context.Context, r Ref, ac registry.AuthConfig) (*remote.Pusher, error) {
	opts, err := c.remoteOptions(ctx, r.Domain(), ac)
	if err != nil {
		return nil, err
	}
	return remote.NewPusher(opts...)
}

// maxConcurrentLayers is how many layers move at once (dockerd: 3).
const maxConcurrentLayers = 4

// nameRef is ggcr's reference for r (its digest wins over its tag).
func (c *Client) nameRef(r Ref) (name.Reference, error) {
	repo, err := c.repository(r)
	if err != nil {
		return nil, errdefs.Invalid("%v", err)
	}
	if r.Digest != "" {
		return repo.Digest(r.Digest), nil
	}
	return repo.Tag(r.Tag), nil
}

// fetchSmallBlob reads a config blob and checks its digest.
func fetchSmallBlob(ctx context.Context, p *remote.Puller, repo name.Repository, d digest.Digest) ([]byte, error) {
	l, err := p.Layer(ctx, repo.Digest(d.String()))
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return nil, err
	}
	if got := digest.FromBytes(data); got != d {
		return nil, errdefs.Invalid("digest mismatch for %s: got %s", d, got)
	}
	return data, nil
}

// registryError words registry failures as dockerd does.
func registryError(r Ref, err error) error {
	var te *transport.Error
	if !errors.As(err, &te) {
		return err
	}
	for _, d := range te.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
			return errdefs.NotFound("manifest for %s not found: manifest unknown: %s", r.Familiar(), strings.ToLower(d.Message))
		case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
			return errdefs.Unauthorized("pull access denied for %s, repository does not exist or may require 'docker login': %s: %s", r.FamiliarName(), strings.ToLower(string(d.Code)), d.Message)
		}
	}
	switch te.StatusCode {
	case http.StatusNotFound:
		return errdefs.NotFound("manifest for %s not found: manifest unknown: manifest unknown", r.Familiar())
	case http.StatusUnauthorized, http.StatusForbidden:
		return errdefs.Unauthorized("pull access denied for %s, repository does not exist or may require 'docker login'", r.FamiliarName())
	}
	return fmt.Errorf("%w", err)
}
