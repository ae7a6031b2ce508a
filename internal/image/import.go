package image

import (
	"context"
	"io"
	"runtime"
	"strings"

	"github.com/berth-dev/berth/internal/archive"
	"github.com/berth-dev/berth/internal/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var specsVersioned = specs.Versioned{SchemaVersion: 2}

// ImportOptions are docker import's options.
type ImportOptions struct {
	Ref      string
	Message  string
	Changes  []string
	Platform string
}

// Import makes a one-layer image from a rootfs tar (plain or compressed).
func (s *Store) Import(ctx context.Context, r io.Reader, opts ImportOptions) (*Image, error) {
	var refs []string
	if opts.Ref != "" {
		norm, err := newTagRef(opts.Ref)
		if err != nil {
			return nil, err
		}
		refs = append(refs, norm)
	}
	osName, arch, variant, err := parsePlatform(opts.Platform)
	if err != nil {
		return nil, err
	}
	var cfg dockerspec.DockerOCIImageConfig
	if err := ApplyChanges(&cfg, opts.Changes); err != nil {
		return nil, err
	}
	dr, err := archive.DecompressStream(r)
	if err != nil {
		return nil, err
	}
	defer dr.Close()
	snap, desc, err := s.storeLayer(ctx, "", "", dr)
	if err != nil {
		return nil, err
	}
	created := now().UTC()
	comment := opts.Message
	if comment == "" {
		comment = "Imported from -"
	}
	img := dockerspec.DockerOCIImage{
		Image: ocispec.Image{
			Created:  &created,
			Platform: ocispec.Platform{OS: osName, Architecture: arch, Variant: variant},
			RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{snap.DiffID}},
			History:  []ocispec.History{{Created: &created, Comment: comment}},
		},
		Config: cfg,
	}
	data, err := marshalConfig(img)
	if err != nil {
		return nil, err
	}
	return s.addImage(data, []ocispec.Descriptor{desc}, refs)
}

// parsePlatform reads "os[/arch[/variant]]"; empty means this host.
func parsePlatform(p string) (osName, arch, variant string, err error) {
	osName, arch = "linux", runtime.GOARCH
	if p == "" {
		return
	}
	parts := strings.Split(strings.ToLower(p), "/")
	if parts[0] != "linux" || len(parts) > 3 {
		return "", "", "", errdefs.Invalid("unsupported os %s", p)
	}
	if len(parts) > 1 {
		arch = parts[1]
	}
	if len(parts) > 2 {
		variant = parts[2]
	}
	return
}
