package distribution

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Inspect answers GET /distribution/{name}/json: the manifest descriptor
// the reference resolves to and the platforms it offers.
func (c *Client) Inspect(ctx context.Context, ref string, ac registry.AuthConfig) (*registry.DistributionInspect, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	p, err := c.puller(ctx, r, ac)
	if err != nil {
		return nil, err
	}
	nref, err := c.nameRef(r)
	if err != nil {
		return nil, err
	}
	desc, err := p.Get(ctx, nref)
	if err != nil {
		return nil, registryError(r, err)
	}
	out := &registry.DistributionInspect{
		Descriptor: ocispec.Descriptor{MediaType: string(desc.MediaType), Digest: digest.Digest(desc.Digest.String()), Size: desc.Size},
		Platforms:  []ocispec.Platform{},
	}
	raw, _ := desc.RawManifest()
	if desc.MediaType.IsIndex() {
		var idx ocispec.Index
		if err := json.Unmarshal(raw, &idx); err != nil {
			return nil, errdefs.Invalid("invalid manifest list: %v", err)
		}
		for _, m := range idx.Manifests {
			if m.Platform != nil {
				out.Platforms = append(out.Platforms, *m.Platform)
			}
		}
		return out, nil
	}
	var mf ocispec.Manifest
	if err := json.Unmarshal(raw, &mf); err != nil {
		return nil, errdefs.Invalid("invalid manifest: %v", err)
	}
	cfgData, err := fetchSmallBlob(ctx, p, nref.Context(), mf.Config.Digest)
	if err != nil {
		return nil, registryError(r, err)
	}
	var plat ocispec.Platform
	if err := json.Unmarshal(cfgData, &plat); err == nil && plat.OS != "" {
		out.Platforms = append(out.Platforms, ocispec.Platform{OS: plat.OS, Architecture: plat.Architecture, Variant: plat.Variant, OSVersion: plat.OSVersion})
	}
	return out, nil
}

// Search asks the registry's v1 search endpoint, as dockerd does. Only
// Docker Hub's index has one; other registries answer 404, which comes back
// as dockerd words it.
func (c *Client) Search(ctx context.Context, term string, limit int, ac registry.AuthConfig) ([]registry.SearchResult, error) {
	host, query := "docker.io", term
	if r, err := ParseRef(term); err == nil && r.Domain() != "docker.io" {
		host, query = r.Domain(), r.Path()
	}
	if limit <= 0 {
		limit = 25
	}
	if limit > 100 {
		return nil, errdefs.Invalid("limit %d is outside the range of [1, 100]", limit)
	}
	index := host
	if host == "docker.io" {
		index = "index.docker.io"
	}
	t, err := c.transport(host)
	if err != nil {
		return nil, err
	}
	scheme := "https"
	if c.insecure(host) {
		scheme = "http"
	}
	u := fmt.Sprintf("%s://%s/v1/search?q=%s&n=%s", scheme, index, url.QueryEscape(query), strconv.Itoa(limit))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if ac.Username != "" {
		req.SetBasicAuth(ac.Username, ac.Password)
	}
	resp, err := (&http.Client{Transport: t}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errdefs.NotFound("Unexpected status code %d", resp.StatusCode)
	}
	var res registry.SearchResults
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return nil, err
	}
	if res.Results == nil {
		res.Results = []registry.SearchResult{}
	}
	return res.Results, nil
}
