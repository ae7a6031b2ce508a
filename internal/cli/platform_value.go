package cli

import (
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// platformValue prints as "os/arch[/variant]" in templates and as the OCI object in JSON.
type platformValue struct {
	ocispec.Platform
}

func (p platformValue) String() string {
	parts := []string{p.OS, p.Architecture}
	if p.Variant != "" {
		parts = append(parts, p.Variant)
	}
	return strings.Join(parts, "/")
}
