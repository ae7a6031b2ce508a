package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildCopyLinkAndSymbolicChmod: COPY --link makes a layer that does
// not depend on the base: after a base change the same layer (same diff
// ID) is stacked onto the new base without copying again. --chmod takes
// symbolic modes.
func TestBuildCopyLinkAndSymbolicChmod(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	d.busybox(t)
	img := uniqueName(t)
	t.Cleanup(func() { d.docker("rmi", "-f", img) })
	dockerfile := func(base string) string {
		return "FROM busybox\nRUN echo " + base + " > /base\nCOPY --link --chmod=u+x,go-r app.sh /app/\nCOPY --chmod=a=r,u+w conf.txt /conf.txt\n"
	}
	dir := buildContext(t, map[string]string{"Dockerfile": dockerfile("v1"), "app.sh": "echo app\n", "conf.txt": "conf\n"})
	mustBuild(t, d.berthBuild("--network", "none", "-t", img, dir))
	lastLayers := func() []string {
		return strings.Fields(d.must(t, "image", "inspect", "-f", `{{range .RootFS.Layers}}{{.}} {{end}}`, img))
	}
	first := lastLayers()
	if out := d.must(t, "run", "--rm", img, "sh", "-c", "cat /base; sh /app/app.sh; stat -c '%a %n' /app/app.sh /conf.txt"); out != "v1\napp\n700 /app/app.sh\n644 /conf.txt\n" {
		t.Fatalf("built image: %q", out)
	}

	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile("v2")), 0o644)
	r := mustBuild(t, d.berthBuild("--network", "none", "-t", img, dir))
	steps := strings.Split(r.Stdout, "Step ")
	if len(steps) != 5 || !strings.Contains(steps[2], "Running in") || !strings.Contains(steps[3], "Using cached layer") {
		t.Fatalf("rebuild on a new base:\n%s", r.Stdout)
	}
	second := lastLayers()
	if len(first) != len(second) || first[len(first)-2] != second[len(second)-2] || first[len(first)-3] == second[len(second)-3] {
		t.Fatalf("the --link layer should be the same on the new base (the base layer not):\n%v\n%v", first, second)
	}
	if out := d.must(t, "run", "--rm", img, "sh", "-c", "cat /base; sh /app/app.sh"); out != "v2\napp\n" {
		t.Fatalf("rebuilt image: %q", out)
	}
	// A rebuild with nothing changed is a plain cache hit.
	if r := mustBuild(t, d.berthBuild("--network", "none", dir)); strings.Count(r.Stdout, "Using cache") != 3 {
		t.Fatalf("unchanged rebuild:\n%s", r.Stdout)
	}
}
