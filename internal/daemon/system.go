package daemon

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/buildinfo"
	"github.com/berth-dev/berth/internal/filters"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"
)

func globMatch(pattern, s string) bool {
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

func kernelVersion() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

func operatingSystem() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "Linux"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "Linux"
}

func cgroupVersion() string {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return "2"
	}
	return "1"
}

func (d *Daemon) Info(ctx context.Context) (*system.Info, error) {
	info := &system.Info{
		ID:                 d.lockID(),
		Driver:             "overlay2",
		DriverStatus:       [][2]string{{"Backing Filesystem", "extfs"}, {"Supports d_type", "true"}},
		MemoryLimit:        true,
		SwapLimit:          true,
		CPUCfsPeriod:       true,
		CPUCfsQuota:        true,
		CPUShares:          true,
		CPUSet:             true,
		PidsLimit:          true,
		NGoroutines:        goruntime.NumGoroutine(),
		SystemTime:         time.Now().Format(time.RFC3339Nano),
		LoggingDriver:      "json-file",
		CgroupDriver:       "cgroupfs",
		CgroupVersion:      cgroupVersion(),
		KernelVersion:      kernelVersion(),
		OperatingSystem:    operatingSystem(),
		OSType:             "linux",
		Architecture:       unameMachine(),
		IndexServerAddress: "https://index.docker.io/v1/",
		NCPU:               goruntime.NumCPU(),
		DockerRootDir:      d.cfg.DataRoot,
		ServerVersion:      d.cfg.Version,
		Runtimes:           availableRuntimes(),
		DefaultRuntime:     d.rt.Name,
		InitBinary:         "docker-init",
		SecurityOptions:    []string{"name=seccomp,profile=builtin"},
		Isolation:          "",
		Warnings:           []string{},
	}
	info.Name, _ = os.Hostname()
	info.Swarm.LocalNodeState = swarm.LocalNodeStateInactive
	info.Plugins.Log = []string{"json-file", "none"}
	info.Plugins.Network = []string{"bridge", "host", "null"}
	info.Plugins.Volume = []string{"local"}
	info.RegistryConfig = d.registryConfig()
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		info.MemTotal = int64(si.Totalram) * int64(si.Unit)
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		info.NFd = len(fds)
	}
	for _, c := range d.containers.List() {
		c.Mu.Lock()
		info.Containers++
		switch c.Status() {
		case apicontainer.StateRunning:
			info.ContainersRunning++
		case apicontainer.StatePaused:
			info.ContainersPaused++
		default:
			info.ContainersStopped++
		}
		c.Mu.Unlock()
	}
	info.Images = len(d.images.List())
	return info, nil
}

func unameMachine() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return goruntime.GOARCH
	}
	return unix.ByteSliceToString(u.Machine[:])
}

// lockID is a stable daemon ID: the data root's lock file inode keeps it
// the same across restarts without another state file.
func (d *Daemon) lockID() string {
	var st unix.Stat_t
	if unix.Fstat(int(d.lock.Fd()), &st) != nil {
		return ""
	}
	return strings.ToUpper(strings.ReplaceAll(d.cfg.DataRoot, "/", "")) + ":" + itoa(int(st.Ino))
}

func (d *Daemon) Version(ctx context.Context) system.VersionResponse {
	kv := kernelVersion()
	return system.VersionResponse{
		Platform:      system.PlatformInfo{Name: "berth"},
		Version:       d.cfg.Version,
		APIVersion:    "1.56",
		MinAPIVersion: "1.24",
		Os:            "linux",
		Arch:          goruntime.GOARCH,
		GoVersion:     goruntime.Version(),
		GitCommit:     buildinfo.Commit(),
		BuildTime:     buildinfo.Time(),
		KernelVersion: kv,
		Components: []system.ComponentVersion{
			{Name: "Engine", Version: d.cfg.Version, Details: map[string]string{
				"ApiVersion": "1.56", "MinAPIVersion": "1.24", "Os": "linux", "Arch": goruntime.GOARCH,
				"GoVersion": goruntime.Version(), "KernelVersion": kv, "Experimental": "false",
				"GitCommit": buildinfo.Commit(), "BuildTime": buildinfo.Time(),
			}},
			d.runtimeComponent(),
		},
	}
}

// runtimeComponent is the OCI runtime's line of `version`, with its commit
// as Docker shows runc's. `RUNTIME --version` is run once.
func (d *Daemon) runtimeComponent() system.ComponentVersion {
	d.rtVersionOnce.Do(func() {
		d.rtVersion, d.rtCommit = runtimeVersion(d.rt.Binary)
	})
	details := map[string]string{}
	if d.rtCommit != "" {
		details["GitCommit"] = d.rtCommit
	}
	return system.ComponentVersion{Name: d.rt.Name, Version: d.rtVersion, Details: details}
}

func (d *Daemon) SubscribeEvents(since, until time.Time, f filters.Args) ([]events.Message, <-chan events.Message, func()) {
	return d.events.Subscribe(since, until, f)
}

// availableRuntimes lists the OCI runtimes installed here (`--runtime`).
func availableRuntimes() map[string]system.RuntimeWithStatus {
	out := map[string]system.RuntimeWithStatus{}
	for _, name := range []string{"runc", "crun"} {
		if path, err := exec.LookPath(name); err == nil {
			out[name] = system.RuntimeWithStatus{Runtime: system.Runtime{Path: path}}
		}
	}
	return out
}

// runtimeVersion reads `runc --version` (or crun's): the first line's last
// word, and the "commit:" line's value.
func runtimeVersion(binary string) (version, commit string) {
	out, err := exec.Command(binary, "--version").Output()
	if err != nil {
		return "", ""
	}
	lines := strings.Split(string(out), "\n")
	if f := strings.Fields(lines[0]); len(f) > 0 {
		version = f[len(f)-1]
	}
	for _, l := range lines[1:] {
		if v, ok := strings.CutPrefix(l, "commit:"); ok {
			commit = strings.TrimSpace(v)
		}
	}
	return version, commit
}

// registryConfig is /info's view of the registry client's settings, in
// dockerd's shape: loopback is always insecure; --insecure-registry CIDRs
// join it and host names get an index entry of their own.
func (d *Daemon) registryConfig() *registry.ServiceConfig {
	rc := &registry.ServiceConfig{
		InsecureRegistryCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		IndexConfigs: map[string]*registry.IndexInfo{
			"docker.io": {Name: "docker.io", Mirrors: []string{}, Secure: true, Official: true},
		},
		Mirrors: []string{},
	}
	for _, entry := range d.cfg.Registry.InsecureRegistries {
		if p, err := netip.ParsePrefix(entry); err == nil {
			rc.InsecureRegistryCIDRs = append(rc.InsecureRegistryCIDRs, p.Masked())
			continue
		}
		rc.IndexConfigs[entry] = &registry.IndexInfo{Name: entry, Mirrors: []string{}}
	}
	return rc
}
