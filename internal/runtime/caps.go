package runtime

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/berth-dev/berth/internal/errdefs"
)

// defaultCaps is Docker's default capability set (moby oci/caps), in Docker's order.
var defaultCaps = []string{
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
}

// capNames is every capability the kernel knows, indexed by its number.
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// availableCaps is "ALL" for this daemon: the capabilities in its own bounding
// set. Like Docker we never ask for one we do not hold (root here may lack
// CAP_SYS_RESOURCE, and the runtime would refuse the container).
var availableCaps = sync.OnceValue(func() []string {
	bnd, ok := boundingSet()
	if !ok {
		return slices.Clone(capNames)
	}
	var out []string
	for i, name := range capNames {
		if bnd&(1<<uint(i)) != 0 {
			out = append(out, name)
		}
	}
	return out
})

func boundingSet() (uint64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// normalizeCaps upper-cases, adds the CAP_ prefix and checks each name,
// keeping the magic "ALL".
func normalizeCaps(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, c := range in {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "ALL" {
			out = append(out, c)
			continue
		}
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		if !slices.Contains(capNames, c) {
			return nil, errdefs.Invalid("unknown capability: %q", c)
		}
		if !slices.Contains(availableCaps(), c) {
			return nil, errdefs.Invalid("capability not supported by your kernel or not available in the current environment: %q", c)
		}
		out = append(out, c)
	}
	return out, nil
}

// containerCaps applies --cap-add/--cap-drop/--privileged to Docker's defaults.
func containerCaps(add, drop []string, privileged bool) ([]string, error) {
	if privileged {
		return slices.Clone(availableCaps()), nil
	}
	if len(add) == 0 && len(drop) == 0 {
		return slices.Clone(defaultCaps), nil
	}
	drops, err := normalizeCaps(drop)
	if err != nil {
		return nil, err
	}
	adds, err := normalizeCaps(add)
	if err != nil {
		return nil, err
	}
	var out []string
	switch {
	case slices.Contains(adds, "ALL"):
		for _, c := range availableCaps() {
			if !slices.Contains(drops, c) {
				out = append(out, c)
			}
		}
	case slices.Contains(drops, "ALL"):
		out = adds
	default:
		for _, c := range defaultCaps {
			if !slices.Contains(drops, c) {
				out = append(out, c)
			}
		}
		for _, c := range adds {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// CheckCaps refuses unknown --cap-add/--cap-drop names at create, in
// dockerd's words, so that a container that could never start is not made.
func CheckCaps(add, drop []string) error {
	if _, err := normalizeCaps(add); err != nil {
		return errdefs.Invalid("invalid CapAdd: %s", err.Error())
	}
	if _, err := normalizeCaps(drop); err != nil {
		return errdefs.Invalid("invalid CapDrop: %s", err.Error())
	}
	return nil
}
