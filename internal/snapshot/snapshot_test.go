package snapshot

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/go-digest"
)

func layer(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		if strings.HasSuffix(name, "/") {
			tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755})
			continue
		}
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})
		tw.Write([]byte(body))
	}
	tw.Close()
	return buf.Bytes()
}

func TestApplyMountChangesDiff(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for overlay mounts")
	}
	ctx := context.Background()
	root := t.TempDir()
	s, err := New(filepath.Join(root, "snaps"))
	if err != nil {
		t.Fatal(err)
	}
	l1 := layer(t, map[string]string{"etc/": "", "etc/a": "a1", "etc/b": "b1", "keep/": "", "keep/x": "x"})
	l2 := layer(t, map[string]string{"etc/": "", "etc/.wh.b": "", "etc/a": "a2"})
	s1, err := s.Apply(ctx, "", "", bytes.NewReader(l1))
	if err != nil {
		t.Fatal(err)
	}
	if s1.DiffID != digest.FromBytes(l1) || s1.ChainID != s1.DiffID || s1.Size != 5 {
		t.Fatalf("snapshot 1: %+v", s1)
	}
	// A wrong diffID is refused and leaves nothing behind.
	if _, err := s.Apply(ctx, s1.ChainID, digest.FromString("nope"), bytes.NewReader(l2)); err == nil {
		t.Fatal("digest mismatch accepted")
	}
	s2, err := s.Apply(ctx, s1.ChainID, digest.FromBytes(l2), bytes.NewReader(l2))
	if err != nil {
		t.Fatal(err)
	}
	if want := digest.FromString(s1.ChainID.String() + " " + s2.DiffID.String()); s2.ChainID != want {
		t.Fatalf("chain id %s, want %s", s2.ChainID, want)
	}
	again, err := s.Apply(ctx, s1.ChainID, s2.DiffID, bytes.NewReader(l2))
	if err != nil || again.Dir != s2.Dir {
		t.Fatalf("idempotent apply: %v %+v", err, again)
	}
	ents, _ := os.ReadDir(s.Root())
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			t.Fatalf("temp dir left: %s", e.Name())
		}
	}

	lowers, err := s.Dirs([]digest.Digest{s2.ChainID, s1.ChainID})
	if err != nil {
		t.Fatal(err)
	}
	upper, work, merged := filepath.Join(root, "upper"), filepath.Join(root, "work"), filepath.Join(root, "merged")
	for _, d := range []string{upper, work, merged} {
		os.Mkdir(d, 0o755)
	}
	if err := Mount(lowers, upper, work, merged); err != nil {
		t.Fatal(err)
	}
	defer Unmount(merged)
	if b, _ := os.ReadFile(filepath.Join(merged, "etc/a")); string(b) != "a2" {
		t.Fatalf("etc/a = %q", b)
	}
	if _, err := os.Stat(filepath.Join(merged, "etc/b")); !os.IsNotExist(err) {
		t.Fatalf("whiteout did not hide etc/b: %v", err)
	}
	os.WriteFile(filepath.Join(merged, "new"), []byte("n"), 0o644)
	os.Remove(filepath.Join(merged, "keep/x"))
	os.WriteFile(filepath.Join(merged, "etc/a"), []byte("a3"), 0o644)
	if err := Unmount(merged); err != nil {
		t.Fatal(err)
	}
	if err := Unmount(merged); err != nil {
		t.Fatalf("second unmount: %v", err)
	}
	ch, err := Changes(upper, lowers)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(ch)
	want := fmt.Sprint([]container.FilesystemChange{
		{Kind: container.ChangeModify, Path: "/etc"}, {Kind: container.ChangeModify, Path: "/etc/a"},
		{Kind: container.ChangeModify, Path: "/keep"}, {Kind: container.ChangeDelete, Path: "/keep/x"},
		{Kind: container.ChangeAdd, Path: "/new"},
	})
	if got != want {
		t.Fatalf("changes %s, want %s", got, want)
	}
	var diff bytes.Buffer
	if err := DiffTar(&diff, upper, lowers); err != nil {
		t.Fatal(err)
	}
	diffBytes := bytes.Clone(diff.Bytes())
	tr := tar.NewReader(&diff)
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	if fmt.Sprint(names) != "[etc/ etc/a keep/ keep/.wh.x new]" {
		t.Fatalf("diff tar %v", names)
	}
	// The diff applies as a third layer and hides keep/x.
	s3, err := s.Apply(ctx, s2.ChainID, "", bytes.NewReader(diffBytes))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(s3.Dir, "keep/x")); err != nil {
		out, _ := exec.Command("find", s3.Dir, "-ls").CombinedOutput()
		t.Fatalf("whiteout not in snapshot 3: %v\n%s", err, out)
	}
	if err := s.Remove(s3.ChainID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(s3.ChainID); err == nil {
		t.Fatal("removed snapshot still there")
	}
}

func TestMountManyLayers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for overlay mounts")
	}
	root := t.TempDir()
	var lowers []string
	for i := 0; i < 80; i++ {
		d := filepath.Join(root, fmt.Sprintf("a-rather-long-lower-directory-name-to-overflow-a-page-%03d", i))
		os.Mkdir(d, 0o755)
		os.WriteFile(filepath.Join(d, fmt.Sprintf("f%d", i)), nil, 0o644)
		lowers = append(lowers, d)
	}
	target := filepath.Join(root, "m")
	os.Mkdir(target, 0o755)
	os.Mkdir(filepath.Join(root, "u"), 0o755)
	os.Mkdir(filepath.Join(root, "w"), 0o755)
	if err := Mount(lowers, filepath.Join(root, "u"), filepath.Join(root, "w"), target); err != nil {
		t.Fatal(err)
	}
	defer Unmount(target)
	if _, err := os.Stat(filepath.Join(target, "f79")); err != nil {
		t.Fatal(err)
	}
}
