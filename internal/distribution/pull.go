package distribution

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/image"
	"github.com/berth-dev/berth/internal/snapshot"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// PullOptions are POST /images/create's pull parameters.
type PullOptions struct {
	Platform string // "os/arch[/variant]"; empty: this host
	Auth     registry.AuthConfig
	Progress Progress
}

// PullRequest turns the API's fromImage and tag into a reference; allTags
// is true when neither names a tag or digest (docker pull -a).
func PullRequest(fromImage, tag string) (r Ref, allTags bool, err error) {
	s := fromImage
	switch {
	case strings.HasPrefix(tag, "sha256:"):
		s += "@" + tag
	case tag != "":
		s += ":" + tag
	}
	r, err = ParseRef(s)
	if err != nil {
		return r, false, err
	}
	explicit := tag != "" || strings.Contains(fromImage, "@") || strings.LastIndex(fromImage, ":") > strings.LastIndex(fromImage, "/")
	return r, !explicit, nil
}

// Pull fetches r (every tag of its repository if allTags) into the store.
func (c *Client) Pull(ctx context.Context, st *image.Store, r Ref, allTags bool, opts PullOptions) error {
	rep := newReporter(opts.Progress)
	p, err := c.puller(ctx, r, opts.Auth)
	if err != nil {
		return err
	}
	if !allTags {
		return c.pullOne(ctx, st, p, r, opts, rep, true)
	}
	repo, err := c.repository(r)
	if err != nil {
		return errdefs.Invalid("%v", err)
	}
	tags, err := p.List(ctx, repo)
	if err != nil {
		return registryError(r, err)
	}
	for _, t := range tags {
		tr := Ref{Name: r.Name, Tag: t}
		if err := c.pullOne(ctx, st, p, tr, opts, rep, false); err != nil {
			return err
		}
	}
	rep.status("", "Status: Downloaded newer image for "+r.FamiliarName())
	return nil
}

// pullOne pulls one tag or digest; final says whether to print the
// closing "Status:" line (pull -a prints one for the whole repository).
func (c *Client) pullOne(ctx context.Context, st *image.Store, p *remote.Puller, r Ref, opts PullOptions, rep *reporter, final bool) error {
	nref, err := c.nameRef(r)
	if err != nil {
		return err
	}
	repo := nref.Context()
	shown := r.Tag
	if r.Digest != "" {
		shown = r.Digest
	}
	rep.status(shown, "Pulling from "+r.Path())

	top, err := p.Get(ctx, nref)
	if err != nil {
		return registryError(r, err)
	}
	topDigest := digest.Digest(top.Digest.String())
	raw, err := top.RawManifest()
	if err != nil {
		return err
	}
	if digest.FromBytes(raw) != topDigest {
		return errdefs.Invalid("manifest verification failed for digest %s", topDigest)
	}
	if top.MediaType.IsIndex() {
		child, err := selectPlatform(raw, opts.Platform)
		if err != nil {
			return err
		}
		desc, err := p.Get(ctx, repo.Digest(child.String()))
		if err != nil {
			return registryError(r, err)
		}
		if raw, err = desc.RawManifest(); err != nil {
			return err
		}
		if digest.FromBytes(raw) != child {
			return errdefs.Invalid("manifest verification failed for digest %s", child)
		}
	} else if top.MediaType.IsSchema1() {
		return errdefs.Invalid("berth: Docker Image Format v1 and Docker Image manifest version 2, schema 1 are not supported; push the image with a newer client")
	}
	var mf ocispec.Manifest
	if err := json.Unmarshal(raw, &mf); err != nil {
		return errdefs.Invalid("invalid manifest: %v", err)
	}
	cfgData, err := fetchSmallBlob(ctx, p, repo, mf.Config.Digest)
	if err != nil {
		return registryError(r, err)
	}
	var cfg dockerspec.DockerOCIImage
	if err := json.Unmarshal(cfgData, &cfg); err != nil {
		return errdefs.Invalid("invalid image config: %v", err)
	}
	if err := checkPlatform(r, opts.Platform, cfg.Platform); err != nil {
		return err
	}
	if len(cfg.RootFS.DiffIDs) != len(mf.Layers) {
		return errdefs.Invalid("invalid image: %d layers but %d diff IDs", len(mf.Layers), len(cfg.RootFS.DiffIDs))
	}
	if err := pullLayers(ctx, st, p, repo, mf.Layers, cfg.RootFS.DiffIDs, rep); err != nil {
		return registryError(r, err)
	}
	// Config and manifest last: until the record exists, nothing names the
	// layers, and a pull started again finds them and skips them.
	if _, err := st.PutBlob(cfgData); err != nil {
		return err
	}
	mfDigest, err := st.PutBlob(raw)
	if err != nil {
		return err
	}
	var refs []string
	wasTagged := false
	if r.Digest == "" {
		norm := r.Name + ":" + r.Tag
		refs = []string{norm}
		wasTagged = st.HasReference(norm, mf.Config.Digest)
	}
	_, created, err := st.AddPulled(mf.Config.Digest, mfDigest, refs, r.Name+"@"+topDigest.String())
	if err != nil {
		return err
	}
	rep.status("", "Digest: "+topDigest.String())
	if !final {
		return nil
	}
	if !created && (wasTagged || r.Digest != "") {
		rep.status("", "Status: Image is up to date for "+r.Familiar())
	} else {
		rep.status("", "Status: Downloaded newer image for "+r.Familiar())
	}
	return nil
}

// pullLayers fetches the missing layers in parallel. Each layer's snapshot
// is its own directory named by its chain ID (known from the config), so
// no layer waits for the one below it.
func pullLayers(ctx context.Context, st *image.Store, p *remote.Puller, repo name.Repository, layers []ocispec.Descriptor, diffIDs []digest.Digest, rep *reporter) error {
	type job struct {
		desc     ocispec.Descriptor
		diffID   digest.Digest
		chainID  digest.Digest
		haveSnap bool
	}
	var jobs []job
	var parent digest.Digest
	for i, l := range layers {
		chain := snapshot.ChainID(parent, diffIDs[i])
		parent = chain
		_, snapErr := st.Snapshots().Get(chain)
		j := job{desc: l, diffID: diffIDs[i], chainID: chain, haveSnap: snapErr == nil}
		if j.haveSnap && st.HasBlob(l.Digest) {
			rep.status(shortID(l.Digest.String()), "Already exists")
			continue
		}
		rep.status(shortID(l.Digest.String()), "Pulling fs layer")
		jobs = append(jobs, j)
	}
	// After a failure no new layer starts, but those in flight finish and
	// are committed: the next pull does not fetch them again.
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = shortID(j.desc.Digest.String())
	}
	return eachLayer(ctx, rep, ids, false, func(ctx context.Context, i int) error {
		j := jobs[i]
		l := layerPull{st: st, rep: rep, desc: j.desc, diffID: j.diffID, chainID: j.chainID, blobOnly: j.haveSnap}
		return l.run(ctx, p, repo)
	})
}
