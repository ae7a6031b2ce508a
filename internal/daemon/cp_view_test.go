package daemon

import (
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// The main goroutine runs TestMain; locked to the main thread here, it is
// where onThrowawayThread must not leave a private mount namespace behind.
func init() { runtime.LockOSThread() }

var throwaway struct {
	ran                       bool
	onMainThread              bool
	mainNSBefore, mainNSAfter string
	unshareErr                error
}

func TestMain(m *testing.M) {
	if unix.Gettid() == unix.Getpid() && os.Geteuid() == 0 {
		throwaway.mainNSBefore, _ = os.Readlink("/proc/self/ns/mnt")
		// runThrowaway, onThrowawayThread's goroutine body, as if the
		// scheduler had put that goroutine on the main thread.
		runThrowaway(func() {
			throwaway.ran = true
			throwaway.onMainThread = unix.Gettid() == unix.Getpid()
			throwaway.unshareErr = unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS)
		})
		throwaway.mainNSAfter, _ = os.Readlink("/proc/self/ns/mnt")
	}
	os.Exit(m.Run())
}

// Called from the main thread, onThrowawayThread runs f elsewhere, and the
// main thread (whose view /proc/self shows) keeps the daemon's namespace.
func TestThrowawayThreadIsNeverTheMainThread(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("unshare(CLONE_NEWNS) needs root")
	}
	if !throwaway.ran {
		t.Fatal("TestMain did not run on the main thread, or f never ran")
	}
	if throwaway.unshareErr != nil {
		t.Fatalf("unshare in f: %v", throwaway.unshareErr)
	}
	if throwaway.onMainThread {
		t.Fatal("f ran on the main thread")
	}
	if throwaway.mainNSAfter != throwaway.mainNSBefore {
		t.Fatalf("the main thread's mount namespace changed: %s → %s", throwaway.mainNSBefore, throwaway.mainNSAfter)
	}
}
