package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultShmSize is Docker's /dev/shm size when HostConfig.ShmSize is 0.
// DefaultShmSize is Docker's /dev/shm size when --shm-size is not given.
const DefaultShmSize = 64 << 20

// defaultMounts is Docker's oci.DefaultLinuxSpec mount list.
func defaultMounts() []specs.Mount {
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid", "noexec", "nodev"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777"}},
	}
}

// userMount is a mount the user asked for, before it becomes a spec mount.
type userMount struct {
	dest     string
	source   string
	tmpfs    bool
	data     string // tmpfs options
	writable bool
	prop     string
	nonRec   bool
}

// userMounts collects --volume (Binds), --mount (Mounts) and --tmpfs, in
// Docker's order: Binds, then Mounts, then Tmpfs; a destination may appear once.
func userMounts(hc *container.HostConfig) ([]userMount, error) {
	var out []userMount
	seen := map[string]bool{}
	add := func(m userMount) error {
		m.dest = path.Clean(m.dest)
		if seen[m.dest] {
			return errdefs.Invalid("Duplicate mount point: %s", m.dest)
		}
		seen[m.dest] = true
		out = append(out, m)
		return nil
	}
	for _, b := range hc.Binds {
		m, err := parseBind(b)
		if err != nil {
			return nil, err
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	for _, mt := range hc.Mounts {
		m, err := convertMount(mt)
		if err != nil {
			return nil, err
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	dests := make([]string, 0, len(hc.Tmpfs))
	for d := range hc.Tmpfs {
		dests = append(dests, d)
	}
	sort.Strings(dests)
	for _, d := range dests {
		if !path.IsAbs(d) {
			return nil, errdefs.Invalid("invalid mount config: tmpfs destination %q is not an absolute path", d)
		}
		if err := add(userMount{dest: d, tmpfs: true, data: hc.Tmpfs[d], writable: true}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseBind reads "/host:/ctr[:opts]". Docker creates a missing host path
// for -v (but not for --mount).
func parseBind(b string) (userMount, error) {
	parts := strings.Split(b, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return userMount{}, errdefs.Invalid("invalid volume specification: '%s'", b)
	}
	src, dst := parts[0], parts[1]
	if !path.IsAbs(dst) {
		return userMount{}, errdefs.Invalid("invalid volume specification: '%s': invalid mount config for type \"bind\": invalid mount path: '%s' mount path must be absolute", b, dst)
	}
	if !filepath.IsAbs(src) {
		return userMount{}, errdefs.NotImplemented("named volumes are not supported yet: %s", b)
	}
	m := userMount{dest: dst, source: filepath.Clean(src), writable: true, prop: "rprivate"}
	if len(parts) == 3 {
		for _, o := range strings.Split(parts[2], ",") {
			switch o {
			case "ro":
				m.writable = false
			case "rw":
				m.writable = true
			case "z", "Z", "nocopy", "consistent", "cached", "delegated", "":
				// SELinux relabel and macOS consistency flags: nothing to do here.
			case "private", "rprivate", "shared", "rshared", "slave", "rslave":
				m.prop = o
			default:
				return userMount{}, errdefs.Invalid("invalid mode: %s", o)
			}
		}
	}
	if _, err := os.Stat(m.source); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(m.source, 0o755); err != nil {
			return userMount{}, fmt.Errorf("error while creating mount source path '%s': %w", m.source, err)
		}
	}
	return m, nil
}

// convertMount handles --mount of type bind and tmpfs.
func convertMount(mt mount.Mount) (userMount, error) {
	if mt.Target == "" {
		return userMount{}, errdefs.Invalid("invalid mount config for type %q: field Target must not be empty", mt.Type)
	}
	if !path.IsAbs(mt.Target) {
		return userMount{}, errdefs.Invalid("invalid mount config for type %q: invalid mount path: '%s' mount path must be absolute", mt.Type, mt.Target)
	}
	switch mt.Type {
	case mount.TypeBind:
		if mt.Source == "" {
			return userMount{}, errdefs.Invalid("invalid mount config for type \"bind\": field Source must not be empty")
		}
		m := userMount{dest: mt.Target, source: filepath.Clean(mt.Source), writable: !mt.ReadOnly, prop: "rprivate"}
		if o := mt.BindOptions; o != nil {
			if o.Propagation != "" {
				m.prop = string(o.Propagation)
			}
			m.nonRec = o.NonRecursive
		}
		if _, err := os.Stat(m.source); errors.Is(err, fs.ErrNotExist) {
			if mt.BindOptions == nil || !mt.BindOptions.CreateMountpoint {
				return userMount{}, errdefs.Invalid("invalid mount config for type \"bind\": bind source path does not exist: %s", m.source)
			}
			if err := os.MkdirAll(m.source, 0o755); err != nil {
				return userMount{}, err
			}
		}
		return m, nil
	case mount.TypeTmpfs:
		if mt.Source != "" {
			return userMount{}, errdefs.Invalid("invalid mount config for type \"tmpfs\": field Source must not be specified")
		}
		var opts []string
		if o := mt.TmpfsOptions; o != nil {
			if o.SizeBytes > 0 {
				opts = append(opts, "size="+strconv.FormatInt(o.SizeBytes, 10))
			}
			if o.Mode != 0 {
				opts = append(opts, "mode="+strconv.FormatUint(unixMode(o.Mode), 8))
			}
			for _, kv := range o.Options {
				opts = append(opts, strings.Join(kv, "="))
			}
		}
		if mt.ReadOnly {
			opts = append(opts, "ro")
		}
		return userMount{dest: mt.Target, tmpfs: true, data: strings.Join(opts, ","), writable: !mt.ReadOnly}, nil
	case mount.TypeVolume:
		return userMount{}, errdefs.NotImplemented("mount type %q is not supported yet (target %s)", mt.Type, mt.Target)
	default:
		return userMount{}, errdefs.Invalid("invalid mount config: mount type %q is not supported", mt.Type)
	}
}

// tmpfsOptions merges Docker's tmpfs defaults with the user's data, the
// later value of a key winning, like moby's MergeTmpfsOptions.
func tmpfsOptions(data string) []string {
	opts := []string{"noexec", "nosuid", "nodev", "rprivate"}
	if data != "" {
		opts = append(opts, strings.Split(data, ",")...)
	}
	flagPairs := map[string]string{
		"exec": "noexec", "noexec": "exec", "suid": "nosuid", "nosuid": "suid",
		"dev": "nodev", "nodev": "dev", "rw": "ro", "ro": "rw",
		"atime": "noatime", "noatime": "atime",
	}
	var out []string
	seenKey := map[string]bool{}
	// Walk backwards so the last occurrence of each key/flag wins.
	for i := len(opts) - 1; i >= 0; i-- {
		o := opts[i]
		if o == "" {
			continue
		}
		key, _, hasVal := strings.Cut(o, "=")
		if !hasVal {
			if seenKey[o] || (flagPairs[o] != "" && seenKey[flagPairs[o]]) {
				continue
			}
			seenKey[o] = true
		} else {
			if seenKey[key] {
				continue
			}
			seenKey[key] = true
		}
		out = append([]string{o}, out...)
	}
	return out
}

// buildMounts is Docker's withMounts: defaults minus the ones the user
// replaced, /dev/shm sized (or dropped for --ipc none), user mounts sorted by
// depth, ro for --read-only, /sys rw for --privileged.
func buildMounts(in SpecInput, ums []userMount) []specs.Mount {
	hc := in.HostConfig
	user := map[string]bool{}
	for _, m := range ums {
		user[m.dest] = true
	}
	shm := hc.ShmSize
	if shm <= 0 {
		shm = DefaultShmSize
	}
	var out []specs.Mount
	for _, m := range defaultMounts() {
		if user[m.Destination] || (user["/dev"] && strings.HasPrefix(m.Destination, "/dev/")) {
			continue
		}
		if m.Destination == "/dev/shm" {
			switch {
			case hc.IpcMode.IsNone():
				continue
			case hc.IpcMode.IsHost():
				m = specs.Mount{Destination: "/dev/shm", Type: "bind", Source: "/dev/shm", Options: []string{"rbind", "rprivate"}}
			case in.ShmSource != "":
				m = specs.Mount{Destination: "/dev/shm", Type: "bind", Source: in.ShmSource, Options: []string{"rbind", "rprivate"}}
			default:
				m.Options = append(m.Options, "size="+strconv.FormatInt(shm, 10))
			}
		}
		if m.Destination == "/sys/fs/cgroup" && hc.Privileged {
			m.Options = slices.DeleteFunc(m.Options, func(o string) bool { return o == "ro" })
		}
		if m.Destination == "/sys" && hc.Privileged {
			m.Options = slices.DeleteFunc(m.Options, func(o string) bool { return o == "ro" })
		}
		out = append(out, m)
	}

	for _, f := range NetworkFiles(in.ResolvConfPath, in.HostnamePath, in.HostsPath, user) {
		opts := []string{"rbind", "rprivate"}
		if hc.ReadonlyRootfs {
			opts = append(opts, "ro")
		}
		out = append(out, specs.Mount{Destination: f.Dest, Type: "bind", Source: f.Src, Options: opts})
	}

	// Parents before children, as Docker's sortMounts does.
	sorted := slices.Clone(ums)
	sort.SliceStable(sorted, func(i, j int) bool {
		return strings.Count(sorted[i].dest, "/") < strings.Count(sorted[j].dest, "/")
	})
	for _, m := range sorted {
		if m.tmpfs {
			out = append(out, specs.Mount{Destination: m.dest, Type: "tmpfs", Source: "tmpfs", Options: tmpfsOptions(m.data)})
			continue
		}
		opts := []string{"rbind"}
		if m.nonRec {
			opts[0] = "bind"
		}
		if !m.writable {
			opts = append(opts, "ro")
		}
		opts = append(opts, m.prop)
		out = append(out, specs.Mount{Destination: m.dest, Type: "bind", Source: m.source, Options: opts})
	}

	if hc.ReadonlyRootfs {
		for i, m := range out {
			switch m.Destination {
			case "/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev":
				continue
			}
			if !user[m.Destination] && !slices.Contains(m.Options, "ro") {
				out[i].Options = append(out[i].Options, "ro")
			}
		}
	}

	if in.InitPath != "" && initEnabled(hc) {
		out = append(out, specs.Mount{Destination: initPathInContainer, Type: "bind", Source: in.InitPath, Options: []string{"bind", "ro"}})
	}
	return out
}

// unixMode turns Go's file mode bits into the octal mode tmpfs expects.
func unixMode(m fs.FileMode) uint64 {
	// The docker CLI sends tmpfs-mode=1770 as the raw number 0o1770, not
	// Go's ModeSticky: keep raw special bits as they are.
	v := uint64(m.Perm()) | uint64(m)&0o7000
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	return v
}

// NetworkFile is a file the daemon prepares for a container and mounts at
// Dest.
type NetworkFile struct{ Dest, Src string }

// NetworkFiles lists the daemon's files a container gets mounted (a source
// not prepared is left out; a user mount on the same path wins, userDests
// keyed by clean destination). cp's view of a container mounts the same.
func NetworkFiles(resolvConf, hostname, hosts string, userDests map[string]bool) []NetworkFile {
	var out []NetworkFile
	for _, f := range []NetworkFile{{"/etc/resolv.conf", resolvConf}, {"/etc/hostname", hostname}, {"/etc/hosts", hosts}} {
		if f.Src != "" && !userDests[f.Dest] {
			out = append(out, f)
		}
	}
	return out
}
