package e2e

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tarEntry is one entry of a test tar: a file (Body), a dir (Dir) or a symlink (Link).
type tarEntry struct {
	Name string
	Body string
	Dir  bool
	Link string
}

func makeTar(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(e.Body))}
		switch {
		case e.Dir:
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		case e.Link != "":
			h.Typeflag, h.Linkname, h.Mode, h.Size = tar.TypeSymlink, e.Link, 0o777, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := io.WriteString(tw, e.Body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tarNames lists the entry names of a tar stream, without a leading "./" or "/".
func tarNames(t testing.TB, data []byte) []string {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("reading tar: %v (after %d entries)", err, len(names))
		}
		n := strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/")
		names = append(names, strings.TrimSuffix(n, "/"))
	}
}

func tarFile(t testing.TB, data []byte, name string) (string, bool) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err != nil {
			return "", false
		}
		n := strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/")
		if n == name {
			b, _ := io.ReadAll(tr)
			return string(b), true
		}
	}
}

// escape is a hostile tar and the host paths it must never create.
type escape struct {
	tar    []byte
	watch  []string // host paths that must not exist afterwards
	marker string   // name of the shallow "../../" entry, searched for under the daemon's roots
}

// maliciousTar builds entries that a naive extractor would write outside its root: a deep
// "../" path, an absolute path, and files written through symlinks that point out (absolute
// and relative), all aimed at fresh paths on the host.
func maliciousTar(t testing.TB) escape {
	t.Helper()
	target := t.TempDir() // an existing host dir, the symlinks' target
	base := filepath.Base(target)
	up := strings.Repeat("../", 30)
	dotdot := filepath.Join(os.TempDir(), "berth-e2e-dotdot-"+base)
	abs := filepath.Join(os.TempDir(), "berth-e2e-abs-"+base)
	entries := []tarEntry{
		{Name: "ok.txt", Body: "fine\n"},
		{Name: up + strings.TrimPrefix(dotdot, "/"), Body: "escaped\n"},
		{Name: "../../escape-" + base, Body: "escaped\n"},
		{Name: abs, Body: "escaped\n"},
		{Name: "evil-abs", Link: target},
		{Name: "evil-abs/pwned-abs", Body: "escaped\n"},
		{Name: "evil-rel", Link: up + strings.TrimPrefix(target, "/")},
		{Name: "evil-rel/pwned-rel", Body: "escaped\n"},
	}
	return escape{
		tar:    makeTar(t, entries),
		watch:  []string{dotdot, abs, filepath.Join(target, "pwned-abs"), filepath.Join(target, "pwned-rel")},
		marker: "escape-" + base,
	}
}

// assertNoEscape fails if any watched host path exists, or if the marker entry landed
// anywhere under the daemon's roots outside a container filesystem.
func (e escape) assertNoEscape(t testing.TB, d *daemon) {
	t.Helper()
	for _, p := range e.watch {
		if _, err := os.Lstat(p); err == nil {
			os.RemoveAll(p)
			t.Errorf("hostile tar wrote %s on the host", p)
		}
	}
	_ = filepath.WalkDir(d.dir, func(p string, de os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if de.Name() == e.marker {
			rel, _ := filepath.Rel(d.dir, p)
			// Inside a container's rw layer or rootfs is fine: that is the container.
			if !strings.Contains(rel, "/rw/upper/") && !strings.Contains(rel, "/rootfs/") {
				t.Errorf("hostile tar wrote %s outside any container filesystem", p)
			}
		}
		return nil
	})
}
