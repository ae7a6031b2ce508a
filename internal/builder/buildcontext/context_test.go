package buildcontext

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func tarOf(t *testing.T, files map[string]string) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[n]))
	}
	tw.Close()
	return &buf
}

func listFiles(t *testing.T, dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestDockerignoreAndSecrets(t *testing.T) {
	files := map[string]string{
		"Dockerfile":        "FROM scratch\n",
		".dockerignore":     "*.log\nbuild/\n!build/keep.txt\nsecret*\n",
		"app.go":            "package main",
		"debug.log":         "x",
		"build/out.bin":     "x",
		"build/keep.txt":    "keep",
		"secret.key":        "k",
		SecretsDir + "/tok": "s3cr3t",
		"sub/nested.log":    "not matched: *.log is root only",
	}
	c, err := Open(tarOf(t, files), t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := strings.Join(listFiles(t, c.Dir), " ")
	want := ".dockerignore Dockerfile app.go build/keep.txt sub/nested.log"
	if got != want {
		t.Fatalf("context files = %q, want %q", got, want)
	}
	data, err := os.ReadFile(c.Secrets["tok"])
	if err != nil || string(data) != "s3cr3t" {
		t.Fatalf("secret tok = %q, %v", data, err)
	}
	if strings.HasPrefix(c.Secrets["tok"], c.Dir) {
		t.Fatalf("secret file %s is inside the context", c.Secrets["tok"])
	}
}

func TestDockerfileSpecificIgnoreWins(t *testing.T) {
	files := map[string]string{
		"dev/Dockerfile":              "FROM scratch\n",
		"dev/Dockerfile.dockerignore": "a.txt\n",
		".dockerignore":               "b.txt\n",
		"a.txt":                       "a",
		"b.txt":                       "b",
	}
	c, err := Open(tarOf(t, files), t.TempDir(), "dev/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := strings.Join(listFiles(t, c.Dir), " ")
	if strings.Contains(got, "a.txt") || !strings.Contains(got, "b.txt") {
		t.Fatalf("context files = %q: dev/Dockerfile.dockerignore must be used instead of .dockerignore", got)
	}
}

func TestMissingDockerfile(t *testing.T) {
	_, err := Open(tarOf(t, map[string]string{"x": "y"}), t.TempDir(), "Dockerfile.prod")
	if err == nil || !strings.Contains(err.Error(), "Cannot locate specified Dockerfile: Dockerfile.prod") {
		t.Fatalf("err = %v", err)
	}
}

func TestExtractStaysInsideAndHashes(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	outside := t.TempDir()
	tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: 5, Typeflag: tar.TypeReg})
	tw.Write([]byte("FROM\n"))
	tw.WriteHeader(&tar.Header{Name: "../../escape.txt", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.WriteHeader(&tar.Header{Name: "link", Linkname: outside, Typeflag: tar.TypeSymlink})
	tw.WriteHeader(&tar.Header{Name: "link/through.txt", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("y"))
	tw.Close()
	c, err := Open(&buf, t.TempDir(), "")
	if err == nil {
		defer c.Close()
		if _, ok := c.Hashes["Dockerfile"]; !ok {
			t.Fatal("no hash for Dockerfile")
		}
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("an entry was written through a symlink outside the context: %v", ents)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(filepath.Dir(outside)), "escape.txt")); err == nil {
		t.Fatal("../ escaped the context")
	}
}
