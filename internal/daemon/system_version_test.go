package daemon

import (
	"os"
	"path/filepath"
	"testing"
)

// runtimeVersion reads runc's and crun's `--version` layouts: the version
// ends the first line, the commit has a line of its own.
func TestRuntimeVersion(t *testing.T) {
	for out, want := range map[string][2]string{
		"runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\n": {"1.1.5+ds1", "1.1.5+ds1-1+deb12u1"},
		"crun version 1.8.1\ncommit: f8a096be060b\nrundir: /run/crun\n":          {"1.8.1", "f8a096be060b"},
		"odd\n": {"odd", ""},
	} {
		bin := filepath.Join(t.TempDir(), "rt")
		if err := os.WriteFile(bin, []byte("#!/bin/sh\nprintf '"+out+"'\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		v, c := runtimeVersion(bin)
		if v != want[0] || c != want[1] {
			t.Errorf("%q: got %q %q, want %q %q", out, v, c, want[0], want[1])
		}
	}
	if v, c := runtimeVersion("/nonexistent/runtime"); v != "" || c != "" {
		t.Errorf("missing runtime: %q %q", v, c)
	}
}
