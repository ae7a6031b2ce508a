package distribution

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// parsePlatform reads "os[/arch[/variant]]"; empty means this host.
func parsePlatform(s string) (ocispec.Platform, error) {
	p := ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if s == "" {
		return p, nil
	}
	parts := strings.Split(strings.ToLower(s), "/")
	if len(parts) > 3 || parts[0] == "" {
		return p, errdefs.Invalid("%q: unknown operating system or architecture: invalid argument", s)
	}
	p.OS = parts[0]
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p, nil
}

func platformString(p ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// platformMatches compares as containerd's matcher does for the common
// cases: OS and architecture equal; a variant only when one is asked for
// (arm64's default variant v8 equals none).
func platformMatches(want, got ocispec.Platform) bool {
	if want.OS != got.OS || want.Architecture != got.Architecture {
		return false
	}
	if want.Variant == "" {
		return true
	}
	norm := func(v string) string {
		if got.Architecture == "arm64" && v == "" {
			return "v8"
		}
		return v
	}
	return norm(want.Variant) == norm(got.Variant)
}

// selectPlatform picks the manifest for platform from an index.
func selectPlatform(rawIndex []byte, platform string) (digest.Digest, error) {
	want, err := parsePlatform(platform)
	if err != nil {
		return "", err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(rawIndex, &idx); err != nil {
		return "", errdefs.Invalid("invalid manifest list: %v", err)
	}
	for _, m := range idx.Manifests {
		if m.Platform != nil && platformMatches(want, *m.Platform) {
			return m.Digest, nil
		}
	}
	return "", errdefs.NotFound("%s", fmt.Sprintf("no matching manifest for %s in the manifest list entries", platformString(want)))
}

// checkPlatform refuses a single-platform image that is not the one asked
// for (an index was already resolved to it). No --platform: anything goes,
// as with dockerd.
func checkPlatform(r Ref, asked string, got ocispec.Platform) error {
	if asked == "" {
		return nil
	}
	want, err := parsePlatform(asked)
	if err != nil {
		return err
	}
	if got.OS == "" || platformMatches(want, got) {
		return nil
	}
	return errdefs.NotFound("image with reference %s was found but does not match the specified platform: wanted %s, actual: %s", r.Familiar(), platformString(want), platformString(got))
}
