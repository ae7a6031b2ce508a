package runtime

import (
	"os"
	"path/filepath"
	"testing"
)

func TestHasStateFollowsTheStateDirectory(t *testing.T) {
	root := t.TempDir()
	r := &Runtime{Name: "runc", Binary: "/nonexistent/runc", Root: root}
	if r.HasState("abc") {
		t.Fatal("no state dir, but HasState")
	}
	if err := os.Mkdir(filepath.Join(root, "abc"), 0o700); err != nil {
		t.Fatal(err)
	}
	if !r.HasState("abc") {
		t.Fatal("state dir present, but not HasState")
	}
	if !(&Runtime{}).HasState("abc") {
		t.Fatal("without a root HasState must not claim there is nothing to delete")
	}
	r.DeleteIfPresent("gone") // must not try to run the (missing) binary
}
