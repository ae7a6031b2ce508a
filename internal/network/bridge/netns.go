package bridge

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// CreateNetNS makes a new network namespace and pins it by bind-mounting
// it on path, so it outlives the thread that made it (and the daemon): the
// runtime joins it through the OCI spec, and a restarted daemon finds it.
// Without ipv6, IPv6 is disabled in it before any interface exists (as
// Docker 26+ does for containers on no IPv6 network): no link-local
// addresses, no neighbour discovery or router solicitations.
func CreateNetNS(path string, ipv6 bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return err
	}
	f.Close()
	errc := make(chan error, 1)
	// A locked thread unshares into the new namespace, pins it, and
	// returns to the daemon's namespace before it is unlocked. A thread
	// that cannot return is never unlocked: Go then ends it, except the
	// main thread, which it parks for good (holding the namespace), so the
	// way back matters.
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open own network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("unshare network namespace: %w", err)
			return
		}
		err = pinCurrentNetNS(path, ipv6)
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// DeleteNetNS unpins and removes a namespace made by CreateNetNS; the
// kernel frees it (and the veth ends inside) once no process uses it.
func DeleteNetNS(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
		return fmt.Errorf("unmount %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// disableIPv6 sets disable_ipv6 on the calling thread's network namespace
// (/proc/sys/net is the opener's): "default" for interfaces made later,
// "all" for lo. A kernel without IPv6 has no such files: nothing to do.
func disableIPv6() error {
	for _, conf := range []string{"default", "all"} {
		p := "/proc/sys/net/ipv6/conf/" + conf + "/disable_ipv6"
		if err := os.WriteFile(p, []byte("1"), 0o644); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("disable IPv6 in the network namespace: %w", err)
		}
	}
	return nil
}

// pinCurrentNetNS runs on the thread that made the namespace.
func pinCurrentNetNS(path string, ipv6 bool) error {
	if !ipv6 {
		if err := disableIPv6(); err != nil {
			return err
		}
	}
	src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
	if err := unix.Mount(src, path, "none", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("pin network namespace: %w", err)
	}
	return nil
}
