package builder

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/berth-dev/berth/internal/builder/cache"
	"github.com/berth-dev/berth/internal/image"
	"github.com/moby/patternmatcher"
	"github.com/opencontainers/go-digest"
)

// COPY --link / ADD --link: the files are copied into an empty directory,
// not onto the stage's rootfs, so the layer is the same whatever the base.
// Its layer is cached under a key without the parent (as BuildKit keys a
// linked copy), so after a base change the layer is reused, only stacked
// onto the new base, instead of being copied again. As in BuildKit the
// copy cannot see the base: a destination without a trailing slash is a
// file name even where the base has a directory, and symlinks in the
// base's paths are not followed.

// linkCopy is a COPY --link after its sources are resolved and hashed.
type linkCopy struct {
	req       copyRequest
	name      string // COPY or ADD
	flags     string
	content   string
	dest      string
	createdBy string
	sources   []resolvedSource
	excl      *patternmatcher.PatternMatcher
}

func (j *job) linkedCopy(ctx context.Context, st *state, lc linkCopy) error {
	own, err := j.linkOwner(st, lc.req.Chown)
	if err != nil {
		return err
	}
	linkKey := cache.Key("", lc.name+" --link", lc.flags, strings.Join(lc.req.SourcePaths, "\x00"), lc.dest, lc.content,
		fmt.Sprintf("owner=%d:%d", own.uid, own.gid))
	key := cache.Key(st.key, "link", linkKey.String())
	if j.cached(st, key) || j.sourceHit(st, key) {
		return nil
	}
	layer, err := j.reuseLinkLayer(ctx, st, linkKey)
	if err != nil {
		return err
	}
	if layer == nil {
		if layer, err = j.copyLinkLayer(ctx, st, lc, own); err != nil {
			return err
		}
	}
	j.commit(st, key, lc.createdBy, layer)
	// The layer alone, for the next build with another base. Own stays nil:
	// the step entry above already accounts for its size.
	j.b.cache.Put(linkKey, &cache.Entry{Layers: []image.Layer{*layer}, Description: "[link] " + lc.createdBy})
	return nil
}

// linkOwner resolves --chown; a user or group name is looked up in the
// stage's own /etc/passwd and /etc/group.
func (j *job) linkOwner(st *state, spec string) (ids, error) {
	if spec == "" {
		return ids{}, nil
	}
	w, err := j.b.mountLayers(st.layers, false)
	if err != nil {
		return ids{}, err
	}
	defer w.cleanup()
	root, err := os.OpenRoot(w.rootfs)
	if err != nil {
		return ids{}, err
	}
	defer root.Close()
	return resolveChown(root, spec)
}

// reuseLinkLayer stacks the cached layer of linkKey onto st's layers, or
// returns nil when there is none.
func (j *job) reuseLinkLayer(ctx context.Context, st *state, linkKey digest.Digest) (*image.Layer, error) {
	if j.opts.NoCache {
		return nil, nil
	}
	e, ok := j.b.cache.Get(linkKey, func(e *cache.Entry) bool {
		return len(e.Layers) == 1 && j.b.images.HasBlob(e.Layers[0].Desc.Digest)
	})
	if !ok {
		return nil, nil
	}
	l := e.Layers[0]
	f, err := j.b.images.OpenBlob(l.Desc.Digest)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	snap, err := j.b.images.Snapshots().Apply(ctx, chainTop(st.layers), l.DiffID, f)
	if err != nil {
		return nil, err
	}
	st.out.printf(" ---> Using cached layer %s\n", short(l.DiffID))
	return &image.Layer{Desc: l.Desc, DiffID: l.DiffID, ChainID: snap.ChainID}, nil
}

// copyLinkLayer copies the sources into an empty overlay and makes its
// upper dir the layer, stacked onto st's layers.
func (j *job) copyLinkLayer(ctx context.Context, st *state, lc linkCopy, own ids) (*image.Layer, error) {
	chmod, err := parseChmod(lc.req.Chmod)
	if err != nil {
		return nil, err
	}
	w, err := j.b.mountLayers(nil, true)
	if err != nil {
		return nil, err
	}
	defer w.cleanup()
	root, err := os.OpenRoot(w.rootfs)
	if err != nil {
		return nil, err
	}
	cp := &copier{dst: root, own: own, chmod: chmod, excl: lc.excl, add: lc.req.Add, tmp: j.b.tmpDir()}
	err = cp.copyAll(lc.sources, lc.dest, len(lc.sources) > 1 || len(lc.req.SourcePaths) > 1)
	root.Close()
	if err != nil {
		return nil, fmt.Errorf("%s failed: %w", lc.name, err)
	}
	return j.b.commitUpper(ctx, w, st.layers)
}
