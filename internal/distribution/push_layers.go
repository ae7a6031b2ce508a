package distribution

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"github.com/berth-dev/berth/internal/image"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// storedLayer is a blob of the content store as ggcr's v1.Layer; it
// streams the stored bytes and counts them for the "Pushing" progress.
type storedLayer struct {
	st     *image.Store
	desc   ocispec.Descriptor
	diffID digest.Digest
	rep    *reporter
	open   atomic.Bool
}

func hash(d digest.Digest) v1.Hash {
	return v1.Hash{Algorithm: string(d.Algorithm()), Hex: d.Encoded()}
}

func (l *storedLayer) Digest() (v1.Hash, error) { return hash(l.desc.Digest), nil }
func (l *storedLayer) DiffID() (v1.Hash, error) { return hash(l.diffID), nil }
func (l *storedLayer) Size() (int64, error)     { return l.desc.Size, nil }
func (l *storedLayer) MediaType() (types.MediaType, error) {
	return types.MediaType(l.desc.MediaType), nil
}
func (l *storedLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, os.ErrInvalid // never needed: blobs go up as stored
}
func (l *storedLayer) opened() bool { return l.open.Load() }

func (l *storedLayer) Compressed() (io.ReadCloser, error) {
	f, err := l.st.OpenBlob(l.desc.Digest)
	if err != nil {
		return nil, err
	}
	l.open.Store(true)
	if l.rep == nil {
		return f, nil
	}
	c := &counter{r: f, rep: l.rep, id: shortID(l.desc.Digest.String()), status: "Pushing", total: l.desc.Size}
	return struct {
		io.Reader
		io.Closer
	}{c, f}, nil
}

func isCompressed(mediaType string) bool {
	return strings.HasSuffix(mediaType, "gzip") || strings.HasSuffix(mediaType, "zstd")
}

// pushableLayers gives each layer its compressed blob: the stored one, the
// gzip made by an earlier push, or a gzip made now (once; remembered).
func pushableLayers(st *image.Store, img *image.Image, rep *reporter) ([]*storedLayer, error) {
	var out []*storedLayer
	for i, l := range img.Layers {
		diffID := img.Config.RootFS.DiffIDs[i]
		if isCompressed(l.MediaType) {
			out = append(out, &storedLayer{st: st, desc: l, diffID: diffID})
			continue
		}
		desc, ok := st.CompressedLayer(diffID)
		if !ok {
			rep.status(shortID(diffID.String()), "Preparing")
			var err error
			if desc, err = compressLayer(st, l.Digest); err != nil {
				return nil, err
			}
			if err := st.SetCompressedLayer(diffID, desc); err != nil {
				return nil, err
			}
		}
		out = append(out, &storedLayer{st: st, desc: desc, diffID: diffID})
	}
	return out, nil
}

// compressLayer gzips an uncompressed layer blob into a new blob.
func compressLayer(st *image.Store, d digest.Digest) (ocispec.Descriptor, error) {
	src, err := st.OpenBlob(d)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer src.Close()
	bw, err := st.NewBlobWriter()
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	zw, err := gzip.NewWriterLevel(bw, gzip.DefaultCompression)
	if err != nil {
		bw.Abort()
		return ocispec.Descriptor{}, err
	}
	if _, err := io.Copy(zw, src); err != nil {
		bw.Abort()
		return ocispec.Descriptor{}, err
	}
	if err := zw.Close(); err != nil {
		bw.Abort()
		return ocispec.Descriptor{}, err
	}
	dg, size := bw.Digest(), bw.Size()
	if err := bw.Commit(dg, size); err != nil {
		return ocispec.Descriptor{}, err
	}
	return ocispec.Descriptor{MediaType: string(types.DockerLayer), Digest: dg, Size: size}, nil
}

// manifestFor is the manifest to push: the stored one byte for byte when
// every layer was stored compressed (a pulled image keeps its digest),
// otherwise a new one (Docker schema 2, or OCI when a layer is zstd).
func manifestFor(st *image.Store, img *image.Image, layers []*storedLayer) ([]byte, types.MediaType, error) {
	asStored := len(img.Layers) > 0
	for _, l := range img.Layers {
		if !isCompressed(l.MediaType) {
			asStored = false
		}
	}
	if asStored {
		raw, err := st.ManifestOf(img)
		if err != nil {
			return nil, "", err
		}
		var probe struct {
			MediaType string `json:"mediaType"`
			Config    struct {
				MediaType string `json:"mediaType"`
			} `json:"config"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, "", err
		}
		mt := types.MediaType(probe.MediaType)
		if mt == "" {
			mt = types.OCIManifestSchema1
			if probe.Config.MediaType == string(types.DockerConfigJSON) {
				mt = types.DockerManifestSchema2
			}
		}
		return raw, mt, nil
	}
	oci := false
	for _, l := range layers {
		if strings.HasSuffix(l.desc.MediaType, "zstd") {
			oci = true
		}
	}
	cfgData, err := st.ReadBlob(img.ID)
	if err != nil {
		return nil, "", err
	}
	mt := types.DockerManifestSchema2
	if oci {
		mt = types.OCIManifestSchema1
	}
	mf := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: string(mt),
		Config:    ocispec.Descriptor{MediaType: configMediaType(mt), Digest: img.ID, Size: int64(len(cfgData))},
	}
	for _, l := range layers {
		d := l.desc
		switch {
		case oci && d.MediaType == string(types.DockerLayer):
			d.MediaType = ocispec.MediaTypeImageLayerGzip
		case !oci && d.MediaType == ocispec.MediaTypeImageLayerGzip:
			d.MediaType = string(types.DockerLayer)
		}
		d.Annotations, d.URLs, d.Platform = nil, nil, nil
		mf.Layers = append(mf.Layers, d)
	}
	raw, err := json.Marshal(mf)
	return raw, mt, err
}
