package image

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path"
	"runtime"
	"strings"

	"github.com/berth-dev/berth/internal/archive"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Load reads a docker save tar (Docker 25+ or legacy) or an OCI layout tar.
// The archive is spooled (safely: nothing lands outside the spool dir) into
// a temp dir inside the store, because manifest.json comes last.
func (s *Store) Load(ctx context.Context, r io.Reader, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	dr, err := archive.DecompressStream(r)
	if err != nil {
		return err
	}
	defer dr.Close()
	tmp, err := os.MkdirTemp(s.tmpDir(), "load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if _, err := archive.Extract(tmp, &ctxReader{ctx, dr}, archive.ExtractOptions{NoLchown: true}); err != nil {
		return errdefs.Invalid("invalid archive: %v", err)
	}
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return err
	}
	defer root.Close()
	l := &loader{s: s, root: root, ctx: ctx, progress: progress}
	if data, err := root.ReadFile("manifest.json"); err == nil {
		var mfs []legacyManifest
		if err := json.Unmarshal(data, &mfs); err != nil {
			return errdefs.Invalid("invalid manifest.json: %v", err)
		}
		for _, m := range mfs {
			if err := l.loadLegacy(m); err != nil {
				return err
			}
		}
		return nil
	}
	data, err := root.ReadFile("index.json")
	if err != nil {
		return errdefs.Invalid("invalid archive: no manifest.json or index.json")
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return errdefs.Invalid("invalid index.json: %v", err)
	}
	for _, d := range idx.Manifests {
		if err := l.loadOCI(d, nil); err != nil {
			return err
		}
	}
	return nil
}

type loader struct {
	s        *Store
	root     *os.Root
	ctx      context.Context
	progress func(string)
}

// readVerified reads a small file and checks it against want (if set).
func (l *loader) readVerified(name string, want digest.Digest) ([]byte, error) {
	data, err := l.root.ReadFile(path.Clean(name))
	if err != nil {
		return nil, errdefs.Invalid("invalid archive: %v", err)
	}
	if want != "" && digest.FromBytes(data) != want {
		return nil, errdefs.Invalid("digest mismatch for %s", name)
	}
	return data, nil
}

func (l *loader) loadLegacy(m legacyManifest) error {
	cfgData, err := l.readVerified(m.Config, "")
	if err != nil {
		return err
	}
	var refs []string
	for _, t := range m.RepoTags {
		norm, err := normalize(t)
		if err != nil {
			return errdefs.Invalid("invalid tag %q: %v", t, err)
		}
		refs = append(refs, norm)
	}
	return l.finish(cfgData, m.Layers, nil, refs)
}

// finish stores layers (paths in the archive; their digests verified if
// blobDigests is set), checks them against the config's diff IDs and adds
// the image.
func (l *loader) finish(cfgData []byte, layerPaths []string, blobDigests []digest.Digest, refs []string) error {
	var cfg dockerspec.DockerOCIImage
	if err := json.Unmarshal(cfgData, &cfg); err != nil {
		return errdefs.Invalid("invalid image config: %v", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(layerPaths) {
		return errdefs.Invalid("invalid image: %d layers but %d diff IDs", len(layerPaths), len(cfg.RootFS.DiffIDs))
	}
	var parent digest.Digest
	var descs []ocispec.Descriptor
	for i, p := range layerPaths {
		f, err := l.root.Open(path.Clean(p))
		if err != nil {
			return errdefs.Invalid("invalid archive: %v", err)
		}
		var src io.Reader = f
		var dg digest.Digester
		if blobDigests != nil {
			dg = blobDigests[i].Algorithm().Digester()
			src = io.TeeReader(f, dg.Hash())
		}
		dr, err := archive.DecompressStream(src)
		if err != nil {
			f.Close()
			return err
		}
		snap, desc, err := l.s.storeLayer(l.ctx, parent, cfg.RootFS.DiffIDs[i], dr)
		if err == nil && dg != nil {
			io.Copy(dg.Hash(), f) // anything after the compressed stream
			if dg.Digest() != blobDigests[i] {
				err = errdefs.Invalid("digest mismatch for layer %s", blobDigests[i])
			}
		}
		dr.Close()
		f.Close()
		if err != nil {
			return err
		}
		parent = snap.ChainID
		descs = append(descs, desc)
	}
	l.noteRetags(cfgData, refs)
	img, err := l.s.addImage(cfgData, descs, refs)
	if err != nil {
		return err
	}
	if len(refs) == 0 {
		l.progress("Loaded image ID: " + img.ID.String())
	}
	for _, r := range refs {
		l.progress("Loaded image: " + familiar(r))
	}
	return nil
}

func blobPath(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", errdefs.Invalid("invalid digest %q", d)
	}
	return "blobs/" + string(d.Algorithm()) + "/" + d.Encoded(), nil
}

// loadOCI loads a manifest (or each fitting manifest of an index).
func (l *loader) loadOCI(d ocispec.Descriptor, inherited map[string]string) error {
	p, err := blobPath(d.Digest)
	if err != nil {
		return err
	}
	data, err := l.readVerified(p, d.Digest)
	if err != nil {
		return err
	}
	ann := d.Annotations
	if ann == nil {
		ann = inherited
	}
	switch d.MediaType {
	case ocispec.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
		var idx ocispec.Index
		if err := json.Unmarshal(data, &idx); err != nil {
			return errdefs.Invalid("invalid index %s: %v", d.Digest, err)
		}
		for _, m := range idx.Manifests {
			if m.Platform != nil && (m.Platform.OS != "linux" || m.Platform.Architecture != runtime.GOARCH) {
				continue
			}
			return l.loadOCI(m, ann)
		}
		return errdefs.NotFound("no manifest for linux/%s in %s", runtime.GOARCH, d.Digest)
	}
	var mf ocispec.Manifest
	if err := json.Unmarshal(data, &mf); err != nil {
		return errdefs.Invalid("invalid manifest %s: %v", d.Digest, err)
	}
	cp, err := blobPath(mf.Config.Digest)
	if err != nil {
		return err
	}
	cfgData, err := l.readVerified(cp, mf.Config.Digest)
	if err != nil {
		return err
	}
	var paths []string
	var digests []digest.Digest
	for _, layer := range mf.Layers {
		lp, err := blobPath(layer.Digest)
		if err != nil {
			return err
		}
		paths = append(paths, lp)
		digests = append(digests, layer.Digest)
	}
	var refs []string
	if name := annotationName(ann); name != "" {
		refs = append(refs, name)
	}
	return l.finish(cfgData, paths, digests, refs)
}

// annotationName reads the image name containerd / Docker put in index.json.
func annotationName(ann map[string]string) string {
	for _, k := range []string{"io.containerd.image.name", ocispec.AnnotationRefName} {
		v := ann[k]
		if v == "" {
			continue
		}
		named, err := reference.ParseNormalizedNamed(v)
		if err != nil || !strings.ContainsAny(v, ":/") && k == ocispec.AnnotationRefName {
			continue // a bare tag names nothing
		}
		if norm, err := normalize(named.String()); err == nil {
			return norm
		}
	}
	return ""
}

// noteRetags says, as docker load does, which tags move from another image
// to the one being loaded.
func (l *loader) noteRetags(cfgData []byte, refs []string) {
	id := digest.FromBytes(cfgData)
	for _, r := range refs {
		if old, ok := l.s.refTarget(r); ok && old != id {
			l.progress("The image " + familiar(r) + " already exists, renaming the old one with ID " + old.String() + " to empty string")
		}
	}
}
