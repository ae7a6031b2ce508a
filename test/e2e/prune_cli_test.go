package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// TestBerthPruneCommands: berth's own `... prune -f` commands print Docker's
// report: the heading, the IDs or names, then the reclaimed space (no space
// line for networks); volume and network inspect share the inspect output.
func TestBerthPruneCommands(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	ctr := strings.TrimSpace(d.must(t, "create", "busybox", "true"))
	d.must(t, "network", "create", "prune-me")
	d.must(t, "volume", "create", "prune-vol")

	berth := func(args ...string) string {
		t.Helper()
		out, errOut, code := d.berth(args...)
		if code != 0 {
			t.Fatalf("berth %v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	// inspect prints what it found and fails for what it did not.
	if out := berth("volume", "inspect", "-f", "{{.Name}}", "prune-vol"); out != "prune-vol\n" {
		t.Errorf("volume inspect: %q", out)
	}
	out, errOut, code := d.berth("network", "inspect", "-f", "{{.Name}}", "prune-me", "nosuch")
	if code == 0 || out != "prune-me\n" || !strings.Contains(errOut, "nosuch") {
		t.Errorf("network inspect of one found, one missing: exit %d, %q, %q", code, out, errOut)
	}

	space := regexp.MustCompile(`(?m)^Total reclaimed space: \S+$`)
	if out := berth("container", "prune", "-f"); !strings.Contains(out, "Deleted Containers:\n"+ctr+"\n\n") || !space.MatchString(out) {
		t.Errorf("container prune:\n%s", out)
	}
	if out := berth("network", "prune", "-f"); out != "Deleted Networks:\nprune-me\n" {
		t.Errorf("network prune:\n%q", out)
	}
	if out := berth("volume", "prune", "-a", "-f"); !strings.Contains(out, "Deleted Volumes:\nprune-vol\n\n") || !space.MatchString(out) {
		t.Errorf("volume prune:\n%s", out)
	}
	if out := berth("builder", "prune", "-f"); !space.MatchString(out) {
		t.Errorf("builder prune:\n%s", out)
	}
	// Nothing left: the report is the space line alone.
	if out := berth("container", "prune", "-f"); !space.MatchString(out) || strings.Contains(out, "Deleted") {
		t.Errorf("second container prune:\n%s", out)
	}
}
