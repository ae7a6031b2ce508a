package e2e

import (
	"regexp"
	"testing"
)

// berth's CLI prints `system df -v` as the docker CLI does, byte for byte
// once the relative times are masked: images, containers, the volumes
// table and the build cache table.
func TestSystemDfVerboseMatchesDockerCLI(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	d.must(t, "volume", "create", "dfv")
	d.must(t, "run", "--name", "dfc", "-v", "dfv:/data", "busybox", "sh", "-c", "echo x > /data/x")
	ago := regexp.MustCompile(`(Less than a second|About an? \w+|\d+ \w+) ago`)
	mask := func(s string) string { return ago.ReplaceAllString(s, "T ago") }
	want := mask(d.must(t, "system", "df", "-v"))
	got, stderr, code := d.berth("system", "df", "-v")
	if code != 0 {
		t.Fatalf("berth system df -v: exit %d: %s", code, stderr)
	}
	if mask(got) != want {
		t.Fatalf("berth system df -v:\n%s\ndocker CLI:\n%s", mask(got), want)
	}
	if !regexp.MustCompile(`(?m)^dfv\s+1\s+\S+B$`).MatchString(got) {
		t.Fatalf("no volume row with one link:\n%s", got)
	}
}
