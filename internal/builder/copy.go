package builder

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/builder/cache"
	"github.com/berth-dev/berth/internal/image"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/patternmatcher"
)

// copyRequest is COPY or ADD after expansion.
type copyRequest struct {
	instructions.SourcesAndDest
	From, Chown, Chmod string
	Link, Parents, Add bool
	Exclude            []string
	Checksum           string
	Text               string
}

// copySource is where a COPY reads from: the context or a rootfs.
type copySource struct {
	root    string
	key     string // content identity when known without hashing (stage key, image ID)
	release func()
}

func (j *job) copySource(ctx context.Context, i int, from string) (*copySource, error) {
	if from == "" {
		return &copySource{root: j.bc.Dir, release: func() {}}, nil
	}
	var layers []image.Layer
	var key string
	if s := j.df.StageRef(from, i); s >= 0 {
		st, err := j.wait(ctx, s)
		if err != nil {
			return nil, err
		}
		layers, key = st.layers, "stage:"+st.key.String()
	} else {
		img, err := j.b.resolveImage(from)
		if err != nil {
			return nil, fmt.Errorf("%v: berth copies --from local images only", err)
		}
		for k, l := range img.Layers {
			layers = append(layers, image.Layer{Desc: l, DiffID: img.Config.RootFS.DiffIDs[k], ChainID: img.ChainIDs[k]})
		}
		key = "image:" + img.ID.String()
	}
	w, err := j.b.mountLayers(layers, false)
	if err != nil {
		return nil, err
	}
	return &copySource{root: w.rootfs, key: key, release: w.cleanup}, nil
}

// copyStep is COPY and ADD. The cache key holds the content hash of every
// file read (contents, mode, owner, link targets; never mtimes), so a
// touch or a fresh checkout hits the cache.
func (j *job) copyStep(ctx context.Context, i int, st *state, req copyRequest) error {
	name := "COPY"
	if req.Add {
		name = "ADD"
	}
	if req.Parents {
		return fmt.Errorf("%s --parents is not supported by berth", name)
	}
	if req.Checksum != "" {
		return fmt.Errorf("ADD --checksum is only for URL sources, which berth does not fetch")
	}
	for _, s := range req.SourcePaths {
		if isRemote(s) {
			return fmt.Errorf("%s from a URL or git repository (%s) is not supported by berth: builds are offline; put the file in the build context", name, s)
		}
	}
	src, err := j.copySource(ctx, i, req.From)
	if err != nil {
		return err
	}
	defer src.release()

	var excl *patternmatcher.PatternMatcher
	if len(req.Exclude) > 0 {
		if excl, err = patternmatcher.New(req.Exclude); err != nil {
			return err
		}
	}
	sources, err := resolveSources(src.root, req.SourcePaths)
	if err != nil {
		return fmt.Errorf("%s failed: %w", name, err)
	}
	if req.From == "" {
		for k := range sources {
			sources[k].known = j.bc.Hashes
		}
	}
	// Heredoc sources become files in a temp dir of their own.
	if len(req.SourceContents) > 0 {
		dir, err := os.MkdirTemp(j.b.tmpDir(), "heredoc-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		for _, c := range req.SourceContents {
			p := filepath.Join(dir, filepath.Base(c.Path))
			if err := os.WriteFile(p, []byte(c.Data), 0o644); err != nil {
				return err
			}
			sources = append(sources, resolvedSource{host: p, rel: filepath.Base(c.Path)})
		}
	}
	dest := req.DestPath
	if !path.IsAbs(dest) {
		wd := st.img.Config.WorkingDir
		if wd == "" {
			wd = "/"
		}
		trailing := strings.HasSuffix(dest, "/") || dest == "."
		dest = path.Join(wd, dest)
		if trailing {
			dest += "/"
		}
	}

	t0 := time.Now()
	defer func() { j.b.log.Debug("build: COPY phases", "total", time.Since(t0)) }()
	content := src.key
	if content == "" || len(req.SourceContents) > 0 {
		h, err := hashSources(sources, excl, req.Add)
		if err != nil {
			return err
		}
		content += h
	}
	flags := fmt.Sprintf("chown=%s chmod=%s exclude=%q", req.Chown, req.Chmod, req.Exclude)
	createdBy := strings.TrimSpace(req.Text)
	if req.Link {
		return j.linkedCopy(ctx, st, linkCopy{req: req, name: name, flags: flags, content: content, dest: dest,
			createdBy: createdBy, sources: sources, excl: excl})
	}
	key := cache.Key(st.key, name, flags, strings.Join(req.SourcePaths, "\x00"), dest, content)
	j.b.log.Debug("build: COPY hashed", "duration", time.Since(t0))
	if j.cached(st, key) || j.sourceHit(st, key) {
		return nil
	}
	w, err := j.b.mountLayers(st.layers, true)
	if err != nil {
		return err
	}
	defer w.cleanup()
	root, err := os.OpenRoot(w.rootfs)
	if err != nil {
		return err
	}
	defer root.Close()
	own, err := resolveChown(root, req.Chown)
	if err != nil {
		return err
	}
	chmod, err := parseChmod(req.Chmod)
	if err != nil {
		return err
	}
	cp := &copier{dst: root, own: own, chmod: chmod, excl: excl, add: req.Add, tmp: j.b.tmpDir()}
	if err := cp.copyAll(sources, dest, len(sources) > 1 || len(req.SourcePaths) > 1); err != nil {
		return fmt.Errorf("%s failed: %w", name, err)
	}
	root.Close()
	j.b.log.Debug("build: COPY copied", "duration", time.Since(t0))
	layer, err := j.b.commitUpper(ctx, w, st.layers)
	if err != nil {
		return err
	}
	j.commit(st, key, createdBy, layer)
	return nil
}

func isRemote(s string) bool {
	for _, p := range []string{"http://", "https://", "git@", "git://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
