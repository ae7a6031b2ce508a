package distribution

import (
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/distribution/reference"
)

// Ref is a normalized image reference: Name is "docker.io/library/busybox",
// Tag and Digest as given (Tag "latest" when neither is).
type Ref struct {
	Name   string
	Tag    string
	Digest string
}

// ParseRef normalizes like Docker: "busybox" is
// docker.io/library/busybox:latest; "name@sha256:..." keeps its digest.
func ParseRef(s string) (Ref, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return Ref{}, errdefs.Invalid("invalid reference format: %s", strings.TrimPrefix(err.Error(), "invalid reference format: "))
	}
	r := Ref{Name: named.Name()}
	if t, ok := named.(reference.Tagged); ok {
		r.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		r.Digest = d.Digest().String()
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// Domain is the registry host ("docker.io", "127.0.0.1:5000").
func (r Ref) Domain() string {
	d, _, _ := strings.Cut(r.Name, "/")
	return d
}

// Path is the repository inside the registry ("library/busybox").
func (r Ref) Path() string {
	_, p, _ := strings.Cut(r.Name, "/")
	return p
}

// String is the full normalized form.
func (r Ref) String() string {
	s := r.Name
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Familiar is the short form Docker shows ("busybox:latest").
func (r Ref) Familiar() string { return familiar(r.String()) }

// FamiliarName is the repository in short form ("busybox").
func (r Ref) FamiliarName() string { return familiar(r.Name) }

func familiar(s string) string {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return s
	}
	return reference.FamiliarString(named)
}
