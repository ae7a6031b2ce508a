package runtime

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func i64(v int64) *int64 { return &v }

// defaultDeviceRules is Docker's device cgroup: deny all, then allow
// null, zero, full, random, urandom, tty, console, and deny tun (10:229).
// The runtime creates those default device nodes itself.
func defaultDeviceRules() []specs.LinuxDeviceCgroup {
	allow := func(major, minor int64) specs.LinuxDeviceCgroup {
		return specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(major), Minor: i64(minor), Access: "rwm"}
	}
	return []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		allow(1, 5),
		allow(1, 3),
		allow(1, 9),
		allow(1, 8),
		allow(5, 0),
		allow(5, 1),
		{Allow: false, Type: "c", Major: i64(10), Minor: i64(229), Access: "rwm"},
	}
}

var deviceCgroupRule = regexp.MustCompile(`^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$`)

// buildDevices returns the device nodes and cgroup rules: all of host /dev
// for --privileged, otherwise the defaults plus --device and
// --device-cgroup-rule.
func buildDevices(hc *container.HostConfig) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	if hc.Privileged {
		devs, err := devicesUnder("/dev", "/dev")
		if err != nil {
			return nil, nil, err
		}
		for _, dm := range hc.Devices {
			if dm.PathOnHost == dm.PathInContainer {
				continue
			}
			d, err := devicesUnder(dm.PathOnHost, dm.PathInContainer)
			if err != nil {
				return nil, nil, err
			}
			devs = append(devs, d...)
		}
		return devs, []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}, nil
	}
	var devs []specs.LinuxDevice
	rules := defaultDeviceRules()
	for _, dm := range hc.Devices {
		d, err := devicesUnder(dm.PathOnHost, dm.PathInContainer)
		if err != nil {
			return nil, nil, err
		}
		if len(d) == 0 {
			return nil, nil, errdefs.Invalid("error gathering device information while adding custom device %q: not a device node", dm.PathOnHost)
		}
		perms := dm.CgroupPermissions
		if perms == "" {
			perms = "rwm"
		}
		for _, dev := range d {
			rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: dev.Type, Major: i64(dev.Major), Minor: i64(dev.Minor), Access: perms})
		}
		devs = append(devs, d...)
	}
	for _, r := range hc.DeviceCgroupRules {
		m := deviceCgroupRule.FindStringSubmatch(r)
		if m == nil {
			return nil, nil, errdefs.Invalid("invalid device cgroup rule format: '%s'", r)
		}
		rule := specs.LinuxDeviceCgroup{Allow: true, Type: m[1], Access: m[4], Major: i64(-1), Minor: i64(-1)}
		if m[2] != "*" {
			n, _ := strconv.ParseInt(m[2], 10, 64)
			rule.Major = i64(n)
		}
		if m[3] != "*" {
			n, _ := strconv.ParseInt(m[3], 10, 64)
			rule.Minor = i64(n)
		}
		rules = append(rules, rule)
	}
	return devs, rules, nil
}

// devicesUnder lists the device nodes at hostPath (a node or a directory
// walked recursively), placed under ctrPath in the container.
func devicesUnder(hostPath, ctrPath string) ([]specs.LinuxDevice, error) {
	if ctrPath == "" {
		ctrPath = hostPath
	}
	resolved, err := filepath.EvalSymlinks(hostPath)
	if err != nil {
		return nil, errdefs.Invalid("error gathering device information while adding custom device %q: %v", hostPath, err)
	}
	var out []specs.LinuxDevice
	err = filepath.WalkDir(resolved, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			// Skip the host's pty and shm trees: the container has its own.
			if p != resolved && (d.Name() == "pts" || d.Name() == "shm" || d.Name() == "mqueue") {
				return filepath.SkipDir
			}
			return nil
		}
		dev, ok := deviceFromPath(p)
		if !ok {
			return nil
		}
		rel, _ := filepath.Rel(resolved, p)
		dev.Path = filepath.Join(ctrPath, rel)
		if dev.Path == "/dev/console" || dev.Path == "/dev/ptmx" {
			// The runtime sets these up for the container's own terminal.
			return nil
		}
		out = append(out, dev)
		return nil
	})
	return out, err
}

func deviceFromPath(p string) (specs.LinuxDevice, bool) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return specs.LinuxDevice{}, false
	}
	var typ string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		typ = "c"
	case unix.S_IFBLK:
		typ = "b"
	default:
		return specs.LinuxDevice{}, false
	}
	mode := os.FileMode(st.Mode & 0o777)
	uid, gid := st.Uid, st.Gid
	return specs.LinuxDevice{
		Path:     p,
		Type:     typ,
		Major:    int64(unix.Major(uint64(st.Rdev))),
		Minor:    int64(unix.Minor(uint64(st.Rdev))),
		FileMode: &mode,
		UID:      &uid,
		GID:      &gid,
	}, true
}
