package distribution

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/image"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// PushOptions are POST /images/{name}/push's parameters.
type PushOptions struct {
	Auth     registry.AuthConfig
	Progress Progress
}

// Push uploads the image name:tag (every tag of the repository when tag is
// empty) with its blobs as stored.
func (c *Client) Push(ctx context.Context, st *image.Store, repoName, tag string, opts PushOptions) error {
	r, err := ParseRef(repoName)
	if err != nil {
		return err
	}
	if r.Digest != "" {
		return errdefs.Invalid("cannot push a digest reference")
	}
	tags := []string{tag}
	if tag == "" {
		tags = localTags(st, r.Name)
		if len(tags) == 0 {
			return errdefs.NotFound("An image does not exist locally with the tag: %s", r.FamiliarName())
		}
	}
	rep := newReporter(opts.Progress)
	rep.status("", "The push refers to repository ["+r.Name+"]")
	pusher, err := c.pusher(ctx, r, opts.Auth)
	if err != nil {
		return err
	}
	for _, t := range tags {
		tr := Ref{Name: r.Name, Tag: t}
		img, err := st.Resolve(tr.String())
		if err != nil {
			return errdefs.NotFound("An image does not exist locally with the tag: %s", tr.FamiliarName())
		}
		if err := c.pushOne(ctx, st, pusher, tr, img, rep); err != nil {
			return pushError(tr, err)
		}
	}
	return nil
}

// localTags lists the tags the store has for repository name.
func localTags(st *image.Store, repoName string) []string {
	var tags []string
	for _, img := range st.List() {
		for _, t := range img.RepoTags {
			r, err := ParseRef(t)
			if err == nil && r.Name == repoName {
				tags = append(tags, r.Tag)
			}
		}
	}
	sort.Strings(tags)
	return tags
}

func (c *Client) pushOne(ctx context.Context, st *image.Store, pusher *remote.Pusher, r Ref, img *image.Image, rep *reporter) error {
	repo, err := c.repository(r)
	if err != nil {
		return errdefs.Invalid("%v", err)
	}
	layers, err := pushableLayers(st, img, rep)
	if err != nil {
		return err
	}
	raw, mediaType, err := manifestFor(st, img, layers)
	if err != nil {
		return err
	}
	mount := mountSource(r, img)
	for _, l := range layers {
		rep.status(shortID(l.desc.Digest.String()), "Preparing")
	}
	if err := uploadLayers(ctx, pusher, repo, layers, mount, rep); err != nil {
		return err
	}
	cfgData, err := st.ReadBlob(img.ID)
	if err != nil {
		return err
	}
	cfg := &storedLayer{st: st, desc: ocispec.Descriptor{MediaType: configMediaType(mediaType), Digest: img.ID, Size: int64(len(cfgData))}}
	if err := pusher.Upload(ctx, repo, cfg); err != nil {
		return err
	}
	if err := pusher.Put(ctx, repo.Tag(r.Tag), rawManifest{raw: raw, mediaType: mediaType}); err != nil {
		return err
	}
	dg := digest.FromBytes(raw)
	aux, _ := json.Marshal(map[string]any{"Tag": r.Tag, "Digest": dg.String(), "Size": len(raw)})
	rm := json.RawMessage(aux)
	rep.status("", fmt.Sprintf("%s: digest: %s size: %d", r.Tag, dg, len(raw)))
	rep.aux(jsonstream.Message{Aux: &rm})
	return st.AddRepoDigest(img.ID, r.Name+"@"+dg.String())
}

// mountSource is another repository of the same registry the image came
// from (its repo digests): its blobs can be mounted instead of uploaded.
func mountSource(r Ref, img *image.Image) name.Reference {
	for _, rd := range img.RepoDigests {
		src, err := ParseRef(rd)
		if err != nil || src.Domain() != r.Domain() || src.Name == r.Name {
			continue
		}
		ref, err := name.NewDigest(src.Name + "@" + src.Digest)
		if err == nil {
			return ref
		}
	}
	return nil
}

func uploadLayers(ctx context.Context, pusher *remote.Pusher, repo name.Repository, layers []*storedLayer, mount name.Reference, rep *reporter) error {
	ids := make([]string, len(layers))
	for i, l := range layers {
		ids[i] = shortID(l.desc.Digest.String())
	}
	// A failed upload cancels the others: the push fails as a whole.
	return eachLayer(ctx, rep, ids, true, func(ctx context.Context, i int) error {
		l := layers[i]
		var up v1.Layer = l
		if mount != nil {
			up = &remote.MountableLayer{Layer: l, Reference: mount}
		}
		l.rep = rep
		if err := pusher.Upload(ctx, repo, up); err != nil {
			return err
		}
		switch {
		case l.opened():
			rep.status(ids[i], "Pushed")
		case mount != nil:
			rep.status(ids[i], "Mounted from "+familiar(mount.Context().Name()))
		default:
			rep.status(ids[i], "Layer already exists")
		}
		return nil
	})
}

// rawManifest is a manifest pushed byte for byte.
type rawManifest struct {
	raw       []byte
	mediaType types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mediaType, nil }

func configMediaType(manifestType types.MediaType) string {
	if manifestType == types.DockerManifestSchema2 {
		return string(types.DockerConfigJSON)
	}
	return ocispec.MediaTypeImageConfig
}

func pushError(r Ref, err error) error {
	if strings.Contains(err.Error(), "UNAUTHORIZED") || strings.Contains(err.Error(), "DENIED") {
		return errdefs.Unauthorized("%v", err)
	}
	return err
}
