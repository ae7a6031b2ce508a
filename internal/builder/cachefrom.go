package builder

import (
	"context"
	"strings"

	"github.com/berth-dev/berth/internal/image"
	"github.com/opencontainers/go-digest"
)

// --cache-from: images named by the build are trusted cache sources. The
// classic builder matches a source's history entry by its parent and its
// ContainerConfig.Cmd ("COPY file:<hash> in /"); berth writes the step's
// cache key (parent key, instruction, content hash, ARGs, mounts) into
// each history entry's comment instead, so an image pushed from one daemon
// and pulled on another gives cache hits for exactly the steps whose keys
// match.

// stepMarkerPrefix starts the history comment of a step berth built.
const stepMarkerPrefix = "berth.step:"

// stepMarker is the history comment recording key. 128 bits of the key
// are plenty to tell steps apart and keep `docker history` readable.
func stepMarker(key digest.Digest) string {
	return stepMarkerPrefix + key.Encoded()[:32]
}

// cacheSource is one --cache-from image and its steps by marker.
type cacheSource struct {
	img   *image.Image
	steps map[string]int // marker → history index
}

// openCacheSources resolves the --cache-from images, pulling a missing one
// when the daemon can. A source that cannot be found is skipped with a
// warning, as the classic builder does.
func (j *job) openCacheSources(ctx context.Context) {
	if j.opts.NoCache {
		return
	}
	for _, name := range j.opts.CacheFrom {
		name = cacheFromRef(name)
		if name == "" {
			continue
		}
		img, err := j.b.resolveImage(name)
		if err != nil && j.opts.PullImage != nil {
			if perr := j.opts.PullImage(ctx, name, j.out.stage(-1)); perr == nil {
				img, err = j.b.resolveImage(name)
			} else {
				err = perr
			}
		}
		if err != nil {
			j.out.printf("[WARNING]: cache source %s skipped: %v\n", name, err)
			continue
		}
		src := &cacheSource{img: img, steps: map[string]int{}}
		for k, h := range img.Config.History {
			if strings.HasPrefix(h.Comment, stepMarkerPrefix) {
				src.steps[h.Comment] = k
			}
		}
		j.sources = append(j.sources, src)
	}
}

// cacheFromRef takes the image reference out of a --cache-from value:
// a plain name, or buildx's "type=registry,ref=NAME" form.
func cacheFromRef(v string) string {
	if !strings.Contains(v, "=") {
		return strings.TrimSpace(v)
	}
	var ref string
	for _, f := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(f, "=")
		switch strings.TrimSpace(k) {
		case "ref":
			ref = val
		case "type":
			if val != "registry" {
				return ""
			}
		}
	}
	return ref
}

// sourceHit applies the step of a cache source whose marker is key's: st
// takes the source's history and layers up to that step, and keeps its own
// config (the builder computed it, as the classic builder does). It
// reports a hit.
func (j *job) sourceHit(st *state, key digest.Digest) bool {
	if j.opts.NoCache || len(j.sources) == 0 {
		return false
	}
	marker := stepMarker(key)
	for _, src := range j.sources {
		k, ok := src.steps[marker]
		if !ok {
			continue
		}
		layers, ok := sourceLayers(src.img, k)
		if !ok {
			continue
		}
		hist := src.img.Config.History[:k+1]
		st.img.History = append(st.img.History[:0:0], hist...)
		st.img.RootFS.DiffIDs = nil
		for _, l := range layers {
			st.img.RootFS.DiffIDs = append(st.img.RootFS.DiffIDs, l.DiffID)
		}
		st.img.Created = hist[k].Created
		st.layers, st.key = layers, key
		st.out.printf(" ---> Using cache\n")
		return true
	}
	return false
}

// sourceLayers are the layers of img made by history entries 0..k, or
// false when its history and layers do not line up.
func sourceLayers(img *image.Image, k int) ([]image.Layer, bool) {
	n := 0
	for _, h := range img.Config.History[:k+1] {
		if !h.EmptyLayer {
			n++
		}
	}
	if n > len(img.Layers) || n > len(img.Config.RootFS.DiffIDs) || n > len(img.ChainIDs) {
		return nil, false
	}
	out := make([]image.Layer, n)
	for i := range n {
		out[i] = image.Layer{Desc: img.Layers[i], DiffID: img.Config.RootFS.DiffIDs[i], ChainID: img.ChainIDs[i]}
	}
	return out, true
}
