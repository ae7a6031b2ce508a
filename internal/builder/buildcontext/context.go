// Package buildcontext unpacks a build context (the tar the client sends),
// applies .dockerignore / <Dockerfile>.dockerignore, and takes the build
// secrets berth's CLI sends along out of it before anything else sees it.
package buildcontext

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/internal/archive"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// SecretsDir is the reserved top-level directory of the context tar in which
// `berth build --secret` sends secrets (one file per id). The daemon moves
// it out of the context before reading anything else, so a secret is never
// hashed, copied or listed.
const SecretsDir = ".berth-build-secrets"

// Context is an unpacked build context.
type Context struct {
	Dir        string // the context root
	Dockerfile []byte
	// DockerfileName is the path given with -f, relative to Dir.
	DockerfileName string
	// Secrets maps secret ids to files outside Dir.
	Secrets map[string]string
	// SSH maps --ssh ids to what the client forwards (see SSHDir).
	SSH map[string]SSHSource
	// Hashes are the sha256 (hex) of the regular files as unpacked, by
	// path relative to Dir.
	Hashes map[string]string
	tmp    string
}

// Open unpacks r into a new directory under tmpRoot. dockerfile is the
// path of the Dockerfile inside the context ("" = Dockerfile). Close
// removes everything.
func Open(r io.Reader, tmpRoot, dockerfile string) (*Context, error) {
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	if err := os.MkdirAll(tmpRoot, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(tmpRoot, "ctx-")
	if err != nil {
		return nil, err
	}
	c := &Context{Dir: filepath.Join(tmp, "context"), DockerfileName: dockerfile, Secrets: map[string]string{}, tmp: tmp}
	ok := false
	defer func() {
		if !ok {
			c.Close()
		}
	}()
	if err := os.Mkdir(c.Dir, 0o755); err != nil {
		return nil, err
	}
	dr, err := archive.DecompressStream(r)
	if err != nil {
		return nil, err
	}
	defer dr.Close()
	if c.Hashes, err = extract(c.Dir, dr); err != nil {
		return nil, fmt.Errorf("unpack build context: %w", err)
	}
	if err := c.takeSecrets(); err != nil {
		return nil, err
	}
	if err := c.takeSSH(); err != nil {
		return nil, err
	}
	name := filepath.Clean("/" + dockerfile)[1:]
	if c.Dockerfile, err = os.ReadFile(filepath.Join(c.Dir, name)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("Cannot locate specified Dockerfile: %s", dockerfile)
		}
		return nil, err
	}
	if err := c.applyIgnore(name); err != nil {
		return nil, err
	}
	ok = true
	return c, nil
}

// Close removes the unpacked context and the secrets.
func (c *Context) Close() error { return os.RemoveAll(c.tmp) }

func (c *Context) takeSecrets() error {
	src := filepath.Join(c.Dir, SecretsDir)
	if _, err := os.Lstat(src); err != nil {
		return nil
	}
	dst := filepath.Join(c.tmp, "secrets")
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	ents, err := os.ReadDir(dst)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.Type().IsRegular() {
			c.Secrets[e.Name()] = filepath.Join(dst, e.Name())
		}
	}
	return nil
}

// applyIgnore removes what the ignore file excludes. <Dockerfile>.dockerignore
// next to the Dockerfile wins over .dockerignore at the root. The
// Dockerfile and the ignore file are removed from COPY's view only when
// listed, as in Docker.
func (c *Context) applyIgnore(dockerfile string) error {
	var data []byte
	for _, p := range []string{dockerfile + ".dockerignore", ".dockerignore"} {
		b, err := os.ReadFile(filepath.Join(c.Dir, p))
		if err == nil {
			data = b
			break
		}
	}
	if data == nil {
		return nil
	}
	patterns, err := ignorefile.ReadAll(strings.NewReader(string(data)))
	if err != nil {
		return fmt.Errorf("failed to parse .dockerignore: %w", err)
	}
	if len(patterns) == 0 {
		return nil
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return fmt.Errorf("invalid .dockerignore pattern: %w", err)
	}
	return RemoveMatching(c.Dir, pm)
}

// RemoveMatching deletes what pm matches under root, keeping directories
// that hold re-included ("!pattern") entries.
func RemoveMatching(root string, pm *patternmatcher.PatternMatcher) error {
	var remove []string
	parents := map[string]patternmatcher.MatchInfo{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		parentInfo := parents[filepath.Dir(rel)]
		match, info, err := pm.MatchesUsingParentResults(rel, parentInfo)
		if err != nil {
			return err
		}
		if d.IsDir() {
			parents[rel] = info
		}
		if match {
			if d.IsDir() && !pm.Exclusions() {
				remove = append(remove, p)
				return filepath.SkipDir
			}
			if !d.IsDir() {
				remove = append(remove, p)
			} else {
				// Keep walking: an exclusion may re-include something below.
				remove = append(remove, p+string(filepath.Separator))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Files first (deepest last in walk order), then dirs that ended up empty.
	for i := len(remove) - 1; i >= 0; i-- {
		p := remove[i]
		if strings.HasSuffix(p, string(filepath.Separator)) {
			os.Remove(strings.TrimSuffix(p, string(filepath.Separator))) // only if empty
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}
