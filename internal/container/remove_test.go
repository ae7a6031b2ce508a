package container

import (
	"os"
	"path/filepath"
	"testing"
)

// A removal renames the directory away before deleting it; one a crash
// interrupted is swept at load and never read as a container.
func TestRemoveFilesAndSweep(t *testing.T) {
	root := t.TempDir()
	s, _, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	c := &Container{ID: "abc", Name: "/n"}
	if err := s.Add(c); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(s.Dir(c.ID), 0o700)
	if err := s.Save(c); err != nil {
		t.Fatal(err)
	}
	s.Forget(c)
	if _, err := s.Get("n"); err == nil {
		t.Fatal("forgotten container still found")
	}
	// The record stays until RemoveFiles: a crash here reloads it.
	if s2, _, _ := NewStore(root); len(s2.List()) != 1 {
		t.Fatal("record gone before its files")
	}
	if err := s.RemoveFiles(c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir(c.ID)); !os.IsNotExist(err) {
		t.Fatalf("dir left: %v", err)
	}
	// Crash between rename and delete.
	left := filepath.Join(root, trashPrefix+"def")
	os.MkdirAll(filepath.Join(left, "rw"), 0o700)
	os.WriteFile(filepath.Join(left, RecordFile), []byte(`{"ID":"def","Name":"/d"}`), 0o600)
	s3, bad, err := NewStore(root)
	if err != nil || len(bad) != 0 || len(s3.List()) != 0 {
		t.Fatalf("load: %v %v %d", err, bad, len(s3.List()))
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Fatalf("trash not swept: %v", err)
	}
}
