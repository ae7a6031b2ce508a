package cli

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/archive"
	"github.com/berth-dev/berth/internal/builder/buildcontext"
)

// extraEntry is a file the CLI adds to the context tar: a Dockerfile from
// outside the context or from stdin, or a build secret.
type extraEntry struct {
	name string
	data []byte
	mode int64
}

// buildContextStream returns the context tar to send and the Dockerfile's
// name inside it. Secrets travel in the reserved buildcontext.SecretsDir,
// which the daemon takes out before anything else reads the context.
func buildContextStream(c *Cli, contextArg, file string, secrets map[string][]byte, more ...extraEntry) (io.ReadCloser, string, error) {
	extras := append([]extraEntry{}, more...)
	for id, data := range secrets {
		extras = append(extras, extraEntry{name: buildcontext.SecretsDir + "/" + id, data: data, mode: 0o400})
	}
	addDockerfile := func(data []byte) string {
		name := ".berth-dockerfile-" + randomHex(6)
		extras = append(extras, extraEntry{name: name, data: data, mode: 0o644})
		return name
	}

	if contextArg == "-" {
		if file == "-" {
			return nil, "", errors.New("invalid argument: can't use stdin for both build context and dockerfile")
		}
		in := bufio.NewReader(c.in)
		head, _ := in.Peek(512)
		if looksLikeArchive(head) {
			if len(extras) > 0 {
				return nil, "", errors.New("berth build: --secret needs a context directory, not a tar on stdin")
			}
			return io.NopCloser(in), file, nil
		}
		// Stdin is a Dockerfile; the context is empty.
		data, err := io.ReadAll(in)
		if err != nil {
			return nil, "", err
		}
		name := addDockerfile(data)
		return extrasOnly(extras), name, nil
	}

	dir, err := filepath.Abs(contextArg)
	if err != nil {
		return nil, "", err
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, "", fmt.Errorf("unable to prepare context: path %q not found", contextArg)
	}
	name := "Dockerfile"
	switch {
	case file == "-":
		data, err := io.ReadAll(c.in)
		if err != nil {
			return nil, "", err
		}
		name = addDockerfile(data)
	case file != "":
		p := file
		if !filepath.IsAbs(p) {
			// docker resolves -f against the current directory.
			if p, err = filepath.Abs(file); err != nil {
				return nil, "", err
			}
		}
		if rel, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(rel, "..") {
			name = filepath.ToSlash(rel)
		} else {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, "", fmt.Errorf("unable to prepare context: unable to evaluate symlinks in Dockerfile path: %w", err)
			}
			name = addDockerfile(data)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, name)); err != nil && len(extras) == 0 {
		return nil, "", fmt.Errorf("unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat %s: no such file or directory", filepath.Join(dir, name))
	}
	rc, err := archive.Tar(dir, "/", archive.TarOptions{Contents: true})
	if err != nil {
		return nil, "", err
	}
	if len(extras) == 0 {
		return rc, name, nil
	}
	return withExtras(rc, extras), name, nil
}

func looksLikeArchive(head []byte) bool {
	for _, magic := range [][]byte{{0x1f, 0x8b}, []byte("BZh"), {0xfd, '7', 'z', 'X', 'Z', 0}, {0x28, 0xb5, 0x2f, 0xfd}} {
		if bytes.HasPrefix(head, magic) {
			return true
		}
	}
	return len(head) >= 262 && string(head[257:262]) == "ustar"
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func writeExtras(tw *tar.Writer, extras []extraEntry) error {
	now := time.Now()
	dirs := map[string]bool{}
	for _, e := range extras {
		if d := filepath.Dir(e.name); d != "." && !dirs[d] {
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o700, ModTime: now}); err != nil {
				return err
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: e.mode, Size: int64(len(e.data)), ModTime: now}); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	return nil
}

func extrasOnly(extras []extraEntry) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := writeExtras(tw, extras)
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// withExtras re-encodes the context tar with extras in front.
func withExtras(rc io.ReadCloser, extras []extraEntry) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		defer rc.Close()
		tw := tar.NewWriter(pw)
		err := writeExtras(tw, extras)
		tr := tar.NewReader(rc)
		for err == nil {
			var h *tar.Header
			h, err = tr.Next()
			if err == io.EOF {
				err = nil
				break
			}
			if err != nil {
				break
			}
			if name := strings.TrimPrefix(h.Name, "./"); strings.HasPrefix(name, buildcontext.SecretsDir) || strings.HasPrefix(name, buildcontext.SSHDir) {
				continue // the context cannot smuggle in secrets of its own
			}
			if err = tw.WriteHeader(h); err == nil {
				_, err = io.Copy(tw, tr)
			}
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}
