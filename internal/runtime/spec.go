// Package runtime builds the OCI runtime spec for a container with Docker's
// defaults (capabilities, seccomp, masked paths, mounts, devices) and drives
// the OCI runtime binary (runc or crun) through its command line.
package runtime

import (
	"fmt"
	"os"
	"slices"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// SpecInput is everything Generate needs. Config is already merged with the
// image's config by the daemon.
type SpecInput struct {
	ID         string
	Config     *container.Config
	HostConfig *container.HostConfig
	// RootfsPath is the mounted rootfs (root.path in the spec).
	RootfsPath string
	// Files bind-mounted at /etc/hostname, /etc/hosts, /etc/resolv.conf; "" skips.
	HostnamePath, HostsPath, ResolvConfPath string
	// InitPath is bind-mounted at /sbin/docker-init when HostConfig.Init is set.
	InitPath    string
	CgroupsPath string
	// NetNSPath joins an existing network namespace; "" makes a new one
	// (unless NetworkMode is host: then the host's is used).
	NetNSPath string
	// NamespacePaths joins other containers' namespaces for --pid/--ipc
	// container:<id> (the daemon resolves them to /proc/<pid>/ns/<type>).
	NamespacePaths map[specs.LinuxNamespaceType]string
	// ShmSource is the /dev/shm of the container whose IPC namespace this
	// one joins (--ipc container:<id>), bind-mounted at /dev/shm.
	ShmSource string
}

// DefaultPathEnv is Docker's PATH when the image sets none.
const DefaultPathEnv = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const initPathInContainer = "/sbin/docker-init"

// Docker's default masked and read-only paths (moby oci/defaults.go).
var (
	defaultMaskedPaths = []string{
		"/proc/asound",
		"/proc/acpi",
		"/proc/interrupts",
		"/proc/kcore",
		"/proc/keys",
		"/proc/latency_stats",
		"/proc/timer_list",
		"/proc/timer_stats",
		"/proc/sched_debug",
		"/proc/scsi",
		"/sys/firmware",
		"/sys/devices/virtual/powercap",
	}
	defaultReadonlyPaths = []string{
		"/proc/bus",
		"/proc/fs",
		"/proc/irq",
		"/proc/sys",
		"/proc/sysrq-trigger",
	}
)

// MaskedPaths is Docker's default list plus each CPU's thermal_throttle
// directory present on this host.
func MaskedPaths() []string {
	out := slices.Clone(defaultMaskedPaths)
	for cpu := 0; ; cpu++ {
		dir := fmt.Sprintf("/sys/devices/system/cpu/cpu%d", cpu)
		if _, err := os.Stat(dir); err != nil {
			break
		}
		if _, err := os.Stat(dir + "/thermal_throttle"); err == nil {
			out = append(out, dir+"/thermal_throttle")
		}
	}
	return out
}

// ReadonlyPaths is Docker's default read-only /proc list.
func ReadonlyPaths() []string { return slices.Clone(defaultReadonlyPaths) }

func initEnabled(hc *container.HostConfig) bool {
	return hc.Init != nil && *hc.Init && !hc.PidMode.IsHost() && !hc.PidMode.IsContainer()
}

// Generate builds the container's OCI spec the way Docker's createSpec does.
func Generate(in SpecInput) (*specs.Spec, error) {
	cfg, hc := in.Config, in.HostConfig
	if cfg == nil || hc == nil {
		return nil, errdefs.Invalid("spec: Config and HostConfig are required")
	}
	sec, err := parseSecurityOpts(hc.SecurityOpt)
	if err != nil {
		return nil, err
	}

	s := &specs.Spec{
		Version:     ociVersion,
		Root:        &specs.Root{Path: in.RootfsPath, Readonly: hc.ReadonlyRootfs},
		Hostname:    containerHostname(in),
		Domainname:  cfg.Domainname,
		Annotations: hc.Annotations,
		Linux: &specs.Linux{
			CgroupsPath: in.CgroupsPath,
			Sysctl:      map[string]string{},
		},
	}

	proc, err := containerProcess(in, sec)
	if err != nil {
		return nil, err
	}
	s.Process = proc

	if s.Linux.Namespaces, err = namespaces(in); err != nil {
		return nil, err
	}
	if hc.UTSMode.IsHost() {
		s.Hostname = ""
	}

	ums, err := userMounts(hc)
	if err != nil {
		return nil, err
	}
	s.Mounts = buildMounts(in, ums)
	if sec.writableCgroups != nil {
		for i, m := range s.Mounts {
			if m.Type == "cgroup" {
				s.Mounts[i].Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" && *sec.writableCgroups })
				if !*sec.writableCgroups && !slices.Contains(s.Mounts[i].Options, "ro") {
					s.Mounts[i].Options = append(s.Mounts[i].Options, "ro")
				}
			}
		}
	}

	switch {
	case hc.Privileged:
		// --privileged: nothing masked or read-only unless asked for explicitly.
		s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = hc.MaskedPaths, hc.ReadonlyPaths
	default:
		s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = MaskedPaths(), ReadonlyPaths()
		if hc.MaskedPaths != nil {
			s.Linux.MaskedPaths = hc.MaskedPaths
		}
		if hc.ReadonlyPaths != nil {
			s.Linux.ReadonlyPaths = hc.ReadonlyPaths
		}
	}

	res, err := Resources(&hc.Resources)
	if err != nil {
		return nil, err
	}
	devs, rules, err := buildDevices(hc)
	if err != nil {
		return nil, err
	}
	res.Devices = rules
	s.Linux.Devices = devs
	s.Linux.Resources = res

	// Docker's default sysctls for a private network namespace: ping without
	// CAP_NET_RAW and low ports without CAP_NET_BIND_SERVICE.
	if hc.NetworkMode.IsPrivate() && !cfg.NetworkDisabled {
		if sysctlExists("net.ipv4.ping_group_range") {
			s.Linux.Sysctl["net.ipv4.ping_group_range"] = "0 2147483647"
		}
		if sysctlExists("net.ipv4.ip_unprivileged_port_start") {
			s.Linux.Sysctl["net.ipv4.ip_unprivileged_port_start"] = "0"
		}
	}
	for k, v := range hc.Sysctls {
		s.Linux.Sysctl[k] = v
	}

	// Seccomp last: the default profile depends on the capability set.
	if s.Linux.Seccomp, err = buildSeccomp(s, sec.seccomp, hc.Privileged); err != nil {
		return nil, err
	}
	return s, nil
}

func sysctlExists(name string) bool {
	p := "/proc/sys/"
	for _, c := range name {
		if c == '.' {
			c = '/'
		}
		p += string(c)
	}
	_, err := os.Stat(p)
	return err == nil
}

func containerHostname(in SpecInput) string {
	if in.Config.Hostname != "" {
		return in.Config.Hostname
	}
	if in.HostConfig.NetworkMode.IsHost() {
		if h, err := os.Hostname(); err == nil {
			return h
		}
	}
	if len(in.ID) >= 12 {
		return in.ID[:12]
	}
	return in.ID
}

// containerProcess is the container's main process: args (behind the init
// when --init), env, cwd, user, capabilities, rlimits.
func containerProcess(in SpecInput, sec securityOpts) (*specs.Process, error) {
	cfg, hc := in.Config, in.HostConfig
	args := append(slices.Clone([]string(cfg.Entrypoint)), cfg.Cmd...)
	if len(args) == 0 {
		return nil, errdefs.Invalid("no command specified")
	}
	if in.InitPath != "" && initEnabled(hc) {
		args = append([]string{initPathInContainer, "init", "--"}, args...)
	}
	cwd := cfg.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	user, err := resolveUser(in.RootfsPath, cfg.User, hc.GroupAdd)
	if err != nil {
		return nil, err
	}
	user.Umask = hc.Umask
	caps, err := containerCaps(hc.CapAdd, hc.CapDrop, hc.Privileged)
	if err != nil {
		return nil, err
	}
	p := &specs.Process{
		Terminal:        cfg.Tty,
		User:            user,
		Args:            args,
		Env:             containerEnv(containerHostname(in), cfg.Tty, cfg.Env),
		Cwd:             cwd,
		Capabilities:    &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
		Rlimits:         rlimits(hc.Ulimits),
		NoNewPrivileges: sec.noNewPrivileges,
		OOMScoreAdj:     ptr(hc.OomScoreAdj),
	}
	if cfg.Tty && hc.ConsoleSize != [2]uint{} {
		p.ConsoleSize = &specs.Box{Height: hc.ConsoleSize[0], Width: hc.ConsoleSize[1]}
	}
	return p, nil
}

// containerEnv is Docker's CreateDaemonEnvironment: PATH, HOSTNAME and (for
// a TTY) TERM first, then the container's env replacing or appending; a bare
// "KEY" in the container's env removes KEY.
func containerEnv(hostname string, tty bool, env []string) []string {
	base := []string{"PATH=" + DefaultPathEnv, "HOSTNAME=" + hostname}
	if tty {
		base = append(base, "TERM=xterm")
	}
	return replaceOrAppendEnv(base, env)
}

func replaceOrAppendEnv(defaults, overrides []string) []string {
	out := slices.Clone(defaults)
	index := map[string]int{}
	for i, e := range out {
		index[envKey(e)] = i
	}
	for _, e := range overrides {
		k := envKey(e)
		i, ok := index[k]
		hasValue := len(k) < len(e)
		switch {
		case ok && hasValue:
			out[i] = e
		case ok:
			out[i] = "" // unset: drop below
		case hasValue:
			index[k] = len(out)
			out = append(out, e)
		}
	}
	return slices.DeleteFunc(out, func(e string) bool { return e == "" })
}

func envKey(e string) string {
	for i := 0; i < len(e); i++ {
		if e[i] == '=' {
			return e[:i]
		}
	}
	return e
}

// namespaces is Docker's WithNamespaces without user namespaces.
func namespaces(in SpecInput) ([]specs.LinuxNamespace, error) {
	hc := in.HostConfig
	joined := func(t specs.LinuxNamespaceType, mode string) (specs.LinuxNamespace, error) {
		p := in.NamespacePaths[t]
		if p == "" {
			return specs.LinuxNamespace{}, errdefs.Invalid("cannot join %s namespace of %s: no namespace path given", t, mode)
		}
		return specs.LinuxNamespace{Type: t, Path: p}, nil
	}
	ns := []specs.LinuxNamespace{{Type: specs.MountNamespace}}

	switch {
	case hc.NetworkMode.IsHost():
	case in.NetNSPath != "":
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: in.NetNSPath})
	case hc.NetworkMode.IsContainer():
		n, err := joined(specs.NetworkNamespace, string(hc.NetworkMode))
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
	default:
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}

	if !hc.UTSMode.Valid() {
		return nil, errdefs.Invalid("invalid UTS mode: %v", hc.UTSMode)
	}
	if !hc.UTSMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.UTSNamespace})
	}

	if !hc.PidMode.Valid() {
		return nil, errdefs.Invalid("invalid PID mode: %v", hc.PidMode)
	}
	switch {
	case hc.PidMode.IsHost():
	case hc.PidMode.IsContainer():
		n, err := joined(specs.PIDNamespace, string(hc.PidMode))
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
	default:
		ns = append(ns, specs.LinuxNamespace{Type: specs.PIDNamespace})
	}

	if !hc.IpcMode.Valid() {
		return nil, errdefs.Invalid("invalid IPC mode: %v", hc.IpcMode)
	}
	switch {
	case hc.IpcMode.IsHost():
	case hc.IpcMode.IsContainer():
		n, err := joined(specs.IPCNamespace, string(hc.IpcMode))
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
	default:
		ns = append(ns, specs.LinuxNamespace{Type: specs.IPCNamespace})
	}

	// Docker's default cgroupns is private on cgroup v2 and host on v1.
	switch hc.CgroupnsMode {
	case container.CgroupnsModePrivate:
		ns = append(ns, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	case container.CgroupnsModeHost:
	case container.CgroupnsModeEmpty:
		if cgroup2Unified() {
			ns = append(ns, specs.LinuxNamespace{Type: specs.CgroupNamespace})
		}
	default:
		return nil, errdefs.Invalid("invalid cgroup namespace mode: %v", hc.CgroupnsMode)
	}
	return ns, nil
}

// ociVersion is the spec version written into config.json. crun 1.8
// refuses versions it does not know ("unknown version specified") and the
// fields berth uses all exist in 1.0.2, which every runtime accepts.
const ociVersion = "1.0.2-dev"

// DefaultCgroupnsMode is the cgroup namespace mode dockerd records for a
// container that names none: private on cgroup v2, host on v1.
func DefaultCgroupnsMode() container.CgroupnsMode {
	if cgroup2Unified() {
		return container.CgroupnsModePrivate
	}
	return container.CgroupnsModeHost
}
