package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildCacheFromPulledImage: an image built and pushed by one daemon
// is a cache source for a fresh daemon (--cache-from pulls it): every step
// hits and the image ID is the same; a content change re-runs only the
// COPY and what follows it.
func TestBuildCacheFromPulledImage(t *testing.T) {
	a := startDaemon(t)
	reg := startPullRegistry(t, "")
	a.busybox(t)
	base := reg.Addr + "/cf/base:v1"
	app := reg.Addr + "/cf/app:v1"
	a.must(t, "tag", "busybox", base)
	a.must(t, "push", base)

	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM " + base + "\nENV MODE=cached\nARG WHO=berth\nRUN echo \"$WHO\" > /who\nCOPY data.txt /data.txt\nRUN wc -c /data.txt > /size\nCMD [\"cat\", \"/size\"]\n",
		"data.txt":   "first content\n",
	})
	built := builtImage(t, mustBuild(t, a.dockerBuild("--network", "none", "-t", app, dir)))
	a.must(t, "push", app)

	// A fresh daemon: no local cache, neither image. FROM pulls the base,
	// --cache-from pulls the app image.
	b := startDaemon(t)
	r := mustBuild(t, b.dockerBuild("--network", "none", "--cache-from", app, "-t", "rebuilt", dir))
	if strings.Contains(r.Stdout, "Running in") || strings.Count(r.Stdout, "Using cache") != 5 {
		t.Fatalf("--cache-from build re-ran steps:\n%s", r.Stdout)
	}
	if got := builtImage(t, r); got != built {
		t.Fatalf("--cache-from build gave image %s, want %s (the source's)", got, built)
	}
	if out := b.must(t, "run", "--rm", "rebuilt"); out != "14 /data.txt\n" {
		t.Fatalf("rebuilt image runs %q", out)
	}

	// A changed file: the steps before the COPY still hit, the COPY and
	// the RUN after it run.
	os.WriteFile(filepath.Join(dir, "data.txt"), []byte("second, longer content\n"), 0o644)
	r = mustBuild(t, runCmd(nil, b.berthEnv(), berthBin(), "build", "--network", "none", "--cache-from", app, "-t", "changed", dir))
	steps := strings.Split(r.Stdout, "Step ")
	if len(steps) != 8 || !strings.Contains(steps[4], "Using cache") || strings.Contains(steps[5], "Using cache") ||
		!strings.Contains(steps[6], "Running in") {
		t.Fatalf("after a content change:\n%s", r.Stdout)
	}
	if out := b.must(t, "run", "--rm", "changed"); out != "23 /data.txt\n" {
		t.Fatalf("changed image runs %q", out)
	}

	// A different build-arg changes the RUN's key: no hit from the source.
	r = mustBuild(t, b.dockerBuild("--network", "none", "--build-arg", "WHO=other", "--cache-from", app, dir))
	if steps := strings.Split(r.Stdout, "Step "); len(steps) != 8 || !strings.Contains(steps[4], "Running in") {
		t.Fatalf("build-arg change hit the cache source:\n%s", r.Stdout)
	}

	// A source that cannot be found is skipped with a warning.
	r = mustBuild(t, b.dockerBuild("--network", "none", "--cache-from", reg.Addr+"/cf/missing:v1", dir))
	if !strings.Contains(r.Stdout, "cache source "+reg.Addr+"/cf/missing:v1 skipped") {
		t.Fatalf("missing cache source:\n%s", r.Stdout)
	}
}
