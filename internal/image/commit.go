package image

import (
	"context"
	"io"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// CommitOptions are docker commit's options.
type CommitOptions struct {
	Ref, Comment, Author, CreatedBy string
}

// Commit adds layer (a diff tar) on top of parent (nil: scratch) with cfg.
func (s *Store) Commit(ctx context.Context, parent *Image, layer io.Reader, cfg dockerspec.DockerOCIImageConfig, opts CommitOptions) (*Image, error) {
	var refs []string
	if opts.Ref != "" {
		norm, err := newTagRef(opts.Ref)
		if err != nil {
			return nil, err
		}
		refs = append(refs, norm)
	}
	var base dockerspec.DockerOCIImage
	var layers []ocispec.Descriptor
	var top digest.Digest
	if parent != nil {
		base = parent.Config
		layers = append(layers, parent.Layers...)
		if n := len(parent.ChainIDs); n > 0 {
			top = parent.ChainIDs[n-1]
		}
	} else {
		osName, arch, _, _ := parsePlatform("")
		base.OS, base.Architecture = osName, arch
	}
	snap, desc, err := s.storeLayer(ctx, top, "", layer)
	if err != nil {
		return nil, err
	}
	created := now().UTC()
	img := dockerspec.DockerOCIImage{
		Image: ocispec.Image{
			Created:  &created,
			Author:   opts.Author,
			Platform: base.Platform,
			RootFS: ocispec.RootFS{Type: "layers",
				DiffIDs: append(append([]digest.Digest{}, base.RootFS.DiffIDs...), snap.DiffID)},
			History: append(append([]ocispec.History{}, base.History...), ocispec.History{
				Created: &created, Author: opts.Author, CreatedBy: opts.CreatedBy, Comment: opts.Comment,
			}),
		},
		Config: cfg,
	}
	data, err := marshalConfig(img)
	if err != nil {
		return nil, err
	}
	return s.addImage(data, append(layers, desc), refs)
}
