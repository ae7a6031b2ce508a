package builder

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/moby/patternmatcher"
)

// resolvedSource is one COPY source: rel inside root (never outside it:
// every access goes through os.Root, so symlinks cannot lead out).
type resolvedSource struct {
	root *os.Root
	rel  string // "." for the root itself
	host string // heredoc sources: a plain file
	// known are content hashes computed while the context was unpacked.
	known map[string]string
}

func relClean(p string) string {
	r := strings.TrimPrefix(path.Clean("/"+p), "/")
	if r == "" {
		return "."
	}
	return r
}

// resolveSources expands the COPY source patterns inside rootDir.
func resolveSources(rootDir string, patterns []string) ([]resolvedSource, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	root, err := os.OpenRoot(rootDir)
	if err != nil {
		return nil, err
	}
	var out []resolvedSource
	for _, p := range patterns {
		rel := relClean(p)
		if strings.ContainsAny(rel, "*?[") {
			matches, err := fs.Glob(root.FS(), rel)
			if err != nil {
				return nil, err
			}
			if len(matches) == 0 {
				return nil, errors.New("no source files were specified")
			}
			for _, m := range matches {
				out = append(out, resolvedSource{root: root, rel: m})
			}
			continue
		}
		if _, err := root.Lstat(rel); err != nil {
			return nil, fmt.Errorf("file not found in build context or excluded by .dockerignore: stat %s: file does not exist", p)
		}
		out = append(out, resolvedSource{root: root, rel: rel})
	}
	return out, nil
}

// hashSources hashes what a COPY would read: names, types, permission
// bits, owners, sizes, link targets and contents. Not mtimes: a touch or
// a fresh checkout keeps the hash.
func hashSources(sources []resolvedSource, excl *patternmatcher.PatternMatcher, add bool) (string, error) {
	h := sha256.New()
	bw := bufio.NewWriter(h)
	for _, s := range sources {
		if s.host != "" {
			data, err := os.ReadFile(s.host)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(bw, "heredoc %s %d\n", s.rel, len(data))
			bw.Write(data)
			continue
		}
		err := fs.WalkDir(s.root.FS(), s.rel, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if excl != nil && p != s.rel {
				rel, _ := filepath.Rel(s.rel, p)
				if m, _ := excl.MatchesOrParentMatches(rel); m {
					if d.IsDir() {
						return fs.SkipDir
					}
					return nil
				}
			}
			fi, err := s.root.Lstat(p)
			if err != nil {
				return err
			}
			uid, gid := owner(fi)
			fmt.Fprintf(bw, "%s\x00%o\x00%d:%d\x00%d\x00", p, fi.Mode(), uid, gid, fi.Size())
			switch {
			case fi.Mode()&fs.ModeSymlink != 0:
				t, _ := s.root.Readlink(p)
				fmt.Fprintf(bw, "->%s", t)
			case fi.Mode().IsRegular():
				if h, ok := s.known[p]; ok {
					if sum, err := hex.DecodeString(h); err == nil {
						bw.Write(sum)
						break
					}
				}
				f, err := s.root.Open(p)
				if err != nil {
					return err
				}
				fh := sha256.New()
				_, err = io.Copy(fh, f)
				f.Close()
				if err != nil {
					return err
				}
				bw.Write(fh.Sum(nil))
			}
			bw.WriteByte('\n')
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	if add {
		bw.WriteString("add")
	}
	bw.Flush()
	return hex.EncodeToString(h.Sum(nil)), nil
}

func owner(fi fs.FileInfo) (int, int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return 0, 0
}
