package runtime

import (
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
)

// securityOpts is HostConfig.SecurityOpt parsed the way Docker's
// parseSecurityOpt does.
type securityOpts struct {
	seccomp         string // "" (default profile), "unconfined", or the profile JSON
	noNewPrivileges bool
	writableCgroups *bool
}

func parseSecurityOpts(opts []string) (securityOpts, error) {
	var so securityOpts
	for _, opt := range opts {
		switch opt {
		case "no-new-privileges":
			so.noNewPrivileges = true
			continue
		case "writable-cgroups":
			t := true
			so.writableCgroups = &t
			continue
		case "disable":
			continue // SELinux label disable: no SELinux here.
		}
		var k, v string
		var ok bool
		if strings.Contains(opt, "=") {
			k, v, ok = strings.Cut(opt, "=")
		} else if strings.Contains(opt, ":") {
			k, v, ok = strings.Cut(opt, ":") // deprecated separator Docker still accepts
		}
		if !ok {
			return so, errdefs.Invalid("invalid --security-opt 1: %q", opt)
		}
		switch k {
		case "label", "apparmor":
			// Accepted and ignored: berth does not load SELinux labels or
			// AppArmor profiles (the hosts it targets run neither for it).
		case "seccomp":
			so.seccomp = v
		case "no-new-privileges":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return so, errdefs.Invalid("invalid --security-opt 2: %q", opt)
			}
			so.noNewPrivileges = b
		case "writable-cgroups":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return so, errdefs.Invalid("invalid --security-opt 2: %q", opt)
			}
			so.writableCgroups = &b
		default:
			return so, errdefs.Invalid("invalid --security-opt 2: %q", opt)
		}
	}
	return so, nil
}
