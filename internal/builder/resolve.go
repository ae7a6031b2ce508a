package builder

import (
	"github.com/berth-dev/berth/internal/image"
	"github.com/distribution/reference"
)

// resolveImage finds a FROM or --from image in the local store: by name,
// ID, or name@digest where the digest is the image's manifest digest or
// its ID (the store keeps references by tag only).
func (b *Builder) resolveImage(name string) (*image.Image, error) {
	img, err := b.images.Resolve(name)
	if err == nil {
		return img, nil
	}
	ref, perr := reference.ParseNormalizedNamed(name)
	if perr != nil {
		return nil, err
	}
	dg, ok := ref.(reference.Digested)
	if !ok {
		return nil, err
	}
	for _, cand := range b.images.List() {
		if cand.ManifestDigest == dg.Digest() || cand.ID == dg.Digest() {
			return cand, nil
		}
	}
	return nil, err
}
