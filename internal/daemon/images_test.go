package daemon

import "testing"

func TestMatchReference(t *testing.T) {
	tests := []struct {
		pattern, tag string
		want         bool
	}{
		{"busybox", "busybox:latest", true},
		{"busybox", "busybox:1.36", true},
		{"busybox:latest", "busybox:latest", true},
		{"busybox:1.36", "busybox:latest", false},
		{"busybox", "busybox2:latest", false},
		{"busy", "busybox:latest", false},
		{"busy*", "busybox:latest", true},
		{"bb*", "bbox:1", true},
		{"*:latest", "busybox:latest", true},
		{"busybox:*", "busybox:1.36", true},
		{"*", "busybox:latest", true},
		{"*", "library/busybox:latest", false}, // '*' stops at '/', as Docker's path.Match
		{"myorg/*", "myorg/app:v1", true},
		{"myorg/*", "other/app:v1", false},
		{"localhost:5000/*", "localhost:5000/app:1", true},
		{"[", "busybox:latest", false}, // bad pattern matches nothing
	}
	for _, tt := range tests {
		if got := matchReference(tt.pattern, tt.tag); got != tt.want {
			t.Errorf("matchReference(%q, %q) = %v, want %v", tt.pattern, tt.tag, got, tt.want)
		}
	}
}

// Docker (reference.FamiliarMatch) also matches the pattern against the
// name without its tag, so a registry host with a port still matches.
func TestMatchReferenceRegistryPort(t *testing.T) {
	if !matchReference("localhost:5000/app", "localhost:5000/app:1") {
		t.Error("localhost:5000/app does not match localhost:5000/app:1")
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"abc", "abc", true},
		{"a?c", "abc", true},
		{"a*", "abcdef", true},
		{"a*", "a/b", false},
		{"[a-c]x", "bx", true},
		{"[a-c]x", "dx", false},
		{"[", "[", false},
		{"", "", true},
		{"", "a", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
