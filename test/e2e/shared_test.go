package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	sharedOnce sync.Once
	sharedD    *daemon
	sharedErr  error
)

// sharedDaemon is one daemon, with busybox imported, for tests that neither restart nor
// kill it. Tests using it must name containers with uniqueName and remove them.
func sharedDaemon(t testing.TB) *daemon {
	t.Helper()
	requireE2E(t)
	sharedOnce.Do(func() {
		d, err := newDaemon()
		if err == nil {
			sharedD = d
			err = d.start()
		}
		if err == nil {
			r := d.dk("import", "-c", `CMD ["sh"]`, baseTar, "busybox:latest")
			if r.Code != 0 {
				err = fmt.Errorf("docker import busybox: %s", r)
			}
			d.bbOnce.Do(func() {})
		}
		sharedErr = err
	})
	if sharedErr != nil {
		t.Fatal("shared daemon: ", sharedErr)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("shared daemon log (%s), last lines:\n%s", sharedD.logFile, sharedD.logTail(25))
		}
	})
	return sharedD
}

// stopShared stops the shared daemon at the end of the run.
func stopShared() {
	if sharedD == nil {
		return
	}
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	if out, _, _ := sharedD.docker("ps", "-aq"); strings.TrimSpace(out) != "" {
		logf("e2e: containers left on the shared daemon (a test did not clean up):\n%s", out)
	}
	sharedD.cleanup(logf)
}

var nameSeq atomic.Int64

var nameUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// uniqueName makes a container or image name from the test name, unique in this run.
func uniqueName(t testing.TB) string {
	base := strings.ToLower(nameUnsafe.ReplaceAllString(t.Name(), "-"))
	base = strings.Trim(base, "-.")
	if len(base) > 40 {
		base = base[len(base)-40:]
		base = strings.TrimLeft(base, "-._")
	}
	return fmt.Sprintf("e2e-%s-%d", base, nameSeq.Add(1))
}

// waitFor polls cond every 50ms until it is true or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pidAlive reports whether a process exists (and is not a zombie).
func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the last ')' of the command name.
	s := string(st)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z'
}
