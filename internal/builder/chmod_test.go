package builder

import (
	"io/fs"
	"strings"
	"testing"
)

func TestParseChmodOctalAndSymbolic(t *testing.T) {
	cases := []struct {
		spec string
		old  fs.FileMode
		want fs.FileMode
	}{
		{"0755", 0o644, 0o755},
		{"4755", 0o644, 0o755 | fs.ModeSetuid},
		{"0600", fs.ModeDir | 0o755, fs.ModeDir | 0o600},
		{"u+x", 0o644, 0o744},
		{"g-w", 0o664, 0o644},
		{"a=r", 0o755, 0o444},
		{"go=u-w", 0o755, 0o755 &^ 0o022},
		{"u=rwx,go=rx", 0o600, 0o755},
		{"a+X", 0o644, 0o644},                           // X: only dirs or already executable files
		{"a+X", fs.ModeDir | 0o644, fs.ModeDir | 0o755}, // ...dirs get it
		{"+x", 0o600, 0o711},                            // no who: all, umask 0 as BuildKit
		{"u+s", 0o755, 0o755 | fs.ModeSetuid},           // special bits
		{"o-rwx,g+w", 0o755, 0o770},
	}
	for _, c := range cases {
		f, err := parseChmod(c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		if got := f(c.old); got != c.want {
			t.Errorf("--chmod=%s on %v = %v, want %v", c.spec, c.old, got, c.want)
		}
	}
}

func TestParseChmodErrors(t *testing.T) {
	if f, err := parseChmod(""); f != nil || err != nil {
		t.Fatal("no --chmod must keep modes")
	}
	for _, spec := range []string{"17777", "999", "u+q", "z=r"} {
		_, err := parseChmod(spec)
		if err == nil || !strings.Contains(err.Error(), "invalid chmod parameter") {
			t.Errorf("--chmod=%s: err = %v", spec, err)
		}
	}
}
