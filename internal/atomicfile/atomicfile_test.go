package atomicfile

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestWriteFileReplacesContent(t *testing.T) {
	tests := []struct {
		name string
		old  string // "" means no existing file
		data string
		perm os.FileMode
	}{
		{"new file", "", "hello", 0o600},
		{"replace longer with shorter", "a much longer old content", "new", 0o644},
		{"empty data", "old", "", 0o640},
	}
	for _, tt := range tests {
		for _, w := range []struct {
			name  string
			write func(string, []byte, os.FileMode) error
		}{{"WriteFile", WriteFile}, {"Publish", Publish}} {
			t.Run(w.name+"/"+tt.name, func(t *testing.T) {
				testReplace(t, w.write, tt.old, tt.data, tt.perm)
			})
		}
	}
}

// testReplace writes data over old ("" = no file) with write and checks what is left.
func testReplace(t *testing.T, write func(string, []byte, os.FileMode) error, old, data string, perm os.FileMode) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if old != "" {
		if err := os.WriteFile(path, []byte(old), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	if err := write(path, []byte(data), perm); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != data {
		t.Errorf("content = %q, want %q", got, data)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != perm {
		t.Errorf("perm = %v, want %v", info.Mode().Perm(), perm)
	}
	if names := listDir(t, dir); !reflect.DeepEqual(names, []string{"state.json"}) {
		t.Errorf("dir holds %v, want only state.json (no temp left)", names)
	}
}

func TestWriteFileMissingDirLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(filepath.Join(dir, "nope", "f"), []byte("x"), 0o600); err == nil {
		t.Fatal("WriteFile into a missing directory succeeded")
	}
	if names := listDir(t, dir); len(names) != 0 {
		t.Errorf("dir holds %v after a failed write, want nothing", names)
	}
}

func TestWriteFileRenameFailureRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	// A non-empty directory at path makes the final rename fail.
	path := filepath.Join(dir, "target")
	if err := os.MkdirAll(filepath.Join(path, "child"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("x"), 0o600); err == nil {
		t.Fatal("WriteFile over a non-empty directory succeeded")
	}
	for _, n := range listDir(t, dir) {
		if strings.HasPrefix(n, ".tmp-") {
			t.Errorf("temp file %s left behind", n)
		}
	}
}

type record struct {
	ID     string            `json:"id"`
	Count  int               `json:"count"`
	Labels map[string]string `json:"labels"`
	Args   []string          `json:"args"`
}

func TestWriteJSONReadJSONRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.json")
	in := record{ID: "abc", Count: 3, Labels: map[string]string{"a": "b"}, Args: []string{"sh", "-c", "true"}}
	if err := WriteJSON(path, in, 0o600); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	var out record
	if err := ReadJSON(path, &out); err != nil {
		t.Fatalf("ReadJSON: %v", err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("perm = %v, want 0600", info.Mode().Perm())
	}
}

func TestWriteJSONUnmarshalableLeavesOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.json")
	if err := os.WriteFile(path, []byte(`{"id":"old"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(path, map[string]any{"ch": make(chan int)}, 0o600); err == nil {
		t.Fatal("WriteJSON of a channel succeeded")
	}
	got, _ := os.ReadFile(path)
	if string(got) != `{"id":"old"}` {
		t.Errorf("old content changed to %q", got)
	}
}

func TestReadJSONErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	var v record
	if err := ReadJSON(filepath.Join(dir, "missing.json"), &v); !os.IsNotExist(err) {
		t.Errorf("missing file: err = %v, want not-exist", err)
	}
	if err := ReadJSON(bad, &v); err == nil {
		t.Error("ReadJSON of invalid JSON succeeded")
	}
}

func TestSweepTempsRemovesOnlyTemps(t *testing.T) {
	dir := t.TempDir()
	files := []string{".tmp-config.json-123", ".tmp-x", "config.json", "tmp-not-hidden", ".tmpfoo", "keep.tmp-1"}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A subdirectory's temps are not swept: only dir itself.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, ".tmp-inner"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	SweepTemps(dir)
	want := []string{".tmpfoo", "config.json", "keep.tmp-1", "sub", "tmp-not-hidden"}
	if got := listDir(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("after sweep: %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(sub, ".tmp-inner")); err != nil {
		t.Errorf("temp in subdirectory was removed: %v", err)
	}
	SweepTemps(filepath.Join(dir, "missing")) // must not panic
}
