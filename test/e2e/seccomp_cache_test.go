package e2e

import (
	"strings"
	"testing"
)

// TestSeccompProgramPerProfile runs the same profiles in turn so that, on
// crun, later containers get the program compiled for an earlier one
// (runtime.SeccompCache): each must still get its own profile's rules.
// Docker's default profile denies unshare(2) unless the container has
// CAP_SYS_ADMIN, in which case the profile itself allows it.
func TestSeccompProgramPerProfile(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	unshare := func(args ...string) string {
		run := append(append([]string{"run", "--rm"}, args...), "busybox", "sh", "-c", "unshare -m true 2>&1; echo rc=$?")
		return d.dk(run...).Stdout
	}
	for i, c := range []struct {
		args    []string
		allowed bool
	}{
		{nil, false},
		{nil, false}, // the program compiled for the first run
		{[]string{"--cap-add", "SYS_ADMIN"}, true},
		{nil, false},
		{[]string{"--cap-add", "SYS_ADMIN"}, true},
		{[]string{"--security-opt", "seccomp=unconfined", "--cap-add", "SYS_ADMIN"}, true},
		{nil, false},
	} {
		out := unshare(c.args...)
		if got := strings.HasSuffix(out, "rc=0\n"); got != c.allowed {
			t.Fatalf("run %d %v: unshare allowed=%v, want %v (output %q)", i, c.args, got, c.allowed, out)
		}
		if !c.allowed && !strings.Contains(out, "Operation not permitted") {
			t.Fatalf("run %d %v: want EPERM from the seccomp filter, got %q", i, c.args, out)
		}
	}
}
