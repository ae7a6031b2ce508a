package runtime

import (
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// buildSeccomp picks the filter as Docker's WithSeccomp does. It must run
// after the capabilities are set: the default profile allows some syscalls
// only to holders of the matching capability (CAP_SYS_ADMIN, ...).
func buildSeccomp(s *specs.Spec, profile string, privileged bool) (*specs.LinuxSeccomp, error) {
	switch {
	case profile == "unconfined":
		return nil, nil
	case privileged && profile == "":
		return nil, nil // --privileged runs without a filter unless one is named
	case profile == "" || profile == "builtin":
		return seccomp.GetDefaultProfile(s)
	default:
		sc, err := seccomp.LoadProfile(profile, s)
		if err != nil {
			return nil, errdefs.Invalid("%v", err)
		}
		return sc, nil
	}
}
