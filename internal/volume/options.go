package volume

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/berth-dev/berth/internal/snapshot"
	"golang.org/x/sys/unix"
)

// The local driver's options. type/device/o are Docker's (a mount(2) of
// device on the volume's directory); uid/gid are berth's answer to
// moby#2259: the volume's root directory is owned by them.
const (
	OptType   = "type"
	OptDevice = "device"
	OptO      = "o"
	OptUID    = "uid"
	OptGID    = "gid"
)

type options struct {
	fsType, device, o string
	owner             owner
}

// owner is an explicit uid/gid; -1 leaves that id unchanged.
type owner struct{ uid, gid int }

func (o owner) set() bool { return o.uid >= 0 || o.gid >= 0 }

func (o owner) apply(dir string) error {
	if !o.set() {
		return nil
	}
	if err := os.Lchown(dir, o.uid, o.gid); err != nil {
		return fmt.Errorf("set volume owner: %w", err)
	}
	return nil
}

// mounted reports a volume that the driver mounts (tmpfs, a device, a bind)
// rather than a plain directory.
func (o options) mounted() bool { return o.fsType != "" || o.device != "" }

func parseOptions(m map[string]string) (options, error) {
	o := options{owner: owner{-1, -1}}
	for k, v := range m {
		switch k {
		case OptType:
			o.fsType = v
		case OptDevice:
			o.device = v
		case OptO:
			o.o = v
		case OptUID, OptGID:
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return o, fmt.Errorf("invalid %s option %q: must be a non-negative integer", k, v)
			}
			if k == OptUID {
				o.owner.uid = n
			} else {
				o.owner.gid = n
			}
		default:
			return o, fmt.Errorf("invalid option: %q", k)
		}
	}
	if o.o != "" && o.fsType == "" && o.device == "" {
		return o, fmt.Errorf("missing required option: \"type\"")
	}
	if o.fsType != "" && o.device == "" {
		return o, fmt.Errorf("missing required option: \"device\"")
	}
	return o, nil
}

// Owner is the explicit uid/gid a volume was created with, if any.
func (v *Volume) Owner() (uid, gid int, ok bool) {
	o, err := parseOptions(v.Options)
	if err != nil || !o.owner.set() {
		return -1, -1, false
	}
	return o.owner.uid, o.owner.gid, true
}

// mountFlags splits Docker's `o` option into mount(2) flags and data, the
// way the local driver's mount.ParseOptions does.
func mountFlags(o string) (uintptr, string) {
	known := map[string]struct {
		clear bool
		flag  uintptr
	}{
		"ro": {false, unix.MS_RDONLY}, "rw": {true, unix.MS_RDONLY},
		"nosuid": {false, unix.MS_NOSUID}, "suid": {true, unix.MS_NOSUID},
		"nodev": {false, unix.MS_NODEV}, "dev": {true, unix.MS_NODEV},
		"noexec": {false, unix.MS_NOEXEC}, "exec": {true, unix.MS_NOEXEC},
		"sync": {false, unix.MS_SYNCHRONOUS}, "async": {true, unix.MS_SYNCHRONOUS},
		"noatime": {false, unix.MS_NOATIME}, "atime": {true, unix.MS_NOATIME},
		"nodiratime": {false, unix.MS_NODIRATIME}, "relatime": {false, unix.MS_RELATIME},
		"strictatime": {false, unix.MS_STRICTATIME},
		"bind":        {false, unix.MS_BIND}, "rbind": {false, unix.MS_BIND | unix.MS_REC},
		"remount": {false, unix.MS_REMOUNT},
	}
	var flags uintptr
	var data []string
	for _, opt := range strings.Split(o, ",") {
		if opt == "" {
			continue
		}
		if f, ok := known[opt]; ok {
			if f.clear {
				flags &^= f.flag
			} else {
				flags |= f.flag
			}
			continue
		}
		data = append(data, opt)
	}
	return flags, strings.Join(data, ",")
}

// Mount mounts a volume whose options name a device (tmpfs, a block
// device, a bind) on its directory, unless it already is; plain volumes
// need nothing. Mounts are found again by the kernel's table, so a
// restarted daemon does not mount twice.
func (s *Store) Mount(v *Volume) error {
	o, err := parseOptions(v.Options)
	if err != nil || !o.mounted() {
		return err
	}
	target := s.Path(v.Name)
	if isMountPoint(target) {
		return nil
	}
	flags, data := mountFlags(o.o)
	fsType := o.fsType
	if flags&unix.MS_BIND != 0 {
		fsType = ""
	}
	if err := unix.Mount(o.device, target, fsType, flags, data); err != nil {
		return fmt.Errorf("error while mounting volume '%s': failed to mount local volume: mount %s:%s, flags: %#x, data: %s: %w", target, o.device, target, flags, data, err)
	}
	if err := o.owner.apply(target); err != nil {
		unix.Unmount(target, unix.MNT_DETACH)
		return err
	}
	return nil
}

// Unmount releases a driver-mounted volume (the last container using it
// stopped). Plain volumes are left alone.
func (s *Store) Unmount(v *Volume) error {
	o, err := parseOptions(v.Options)
	if err != nil || !o.mounted() {
		return err
	}
	return unmountIfMounted(s.Path(v.Name))
}

func unmountIfMounted(dir string) error {
	if !isMountPoint(dir) {
		return nil
	}
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil && err != unix.EINVAL {
		return fmt.Errorf("unmount %s: %w", dir, err)
	}
	return nil
}

// isMountPoint compares the directory's device with its parent's, and
// falls back to the mount table for bind mounts within one filesystem.
func isMountPoint(dir string) bool {
	var st, parent unix.Stat_t
	if unix.Lstat(dir, &st) != nil || unix.Lstat(dir+"/..", &parent) != nil {
		return false
	}
	if st.Dev != parent.Dev {
		return true
	}
	for _, mp := range snapshot.MountsUnder(dir) {
		if mp == dir {
			return true
		}
	}
	return false
}

func statT(info os.FileInfo) (*syscall.Stat_t, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	return st, ok
}
