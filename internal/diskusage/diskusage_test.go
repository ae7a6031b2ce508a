package diskusage

import (
	"os"
	"path/filepath"
	"testing"
)

func TestAllocatedCountsBlocksNotApparentSize(t *testing.T) {
	dir := t.TempDir()
	base := Allocated(dir)
	if base <= 0 {
		t.Fatalf("an empty directory allocates blocks; got %d", base)
	}
	// A sparse file of 64 MiB apparent size allocates almost nothing.
	f, err := os.Create(filepath.Join(dir, "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(64 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := Allocated(dir) - base; got > 64<<10 {
		t.Fatalf("sparse file counted as %d bytes", got)
	}
	// 1 MiB of data allocates at least 1 MiB.
	if err := os.WriteFile(filepath.Join(dir, "data"), make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := Allocated(dir) - base; got < 1<<20 || got > 1<<20+128<<10 {
		t.Fatalf("1 MiB file counted as %d bytes", got)
	}
}

func TestCounterCountsHardLinksOnce(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	if err := os.WriteFile(a, make([]byte, 256<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o700)
	if err := os.Link(a, filepath.Join(sub, "b")); err != nil {
		t.Fatal(err)
	}
	c := NewCounter()
	first := c.Add(a)
	if first < 256<<10 {
		t.Fatalf("file counted as %d", first)
	}
	if again := c.Add(filepath.Join(sub, "b")); again != 0 {
		t.Fatalf("hard link counted again: %d", again)
	}
	if whole := Allocated(dir); whole >= 2*first {
		t.Fatalf("tree with a hard link counted twice: %d", whole)
	}
	if Allocated(filepath.Join(dir, "missing")) != 0 {
		t.Fatal("missing path counted")
	}
}
