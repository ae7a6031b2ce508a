package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestImportWithChanges(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	img := uniqueName(t) + ":imported"
	out := d.must(t, "import", "-c", `CMD ["sh"]`, "-c", "ENV FOO=bar", "-c", "WORKDIR /tmp", "-m", "from e2e", baseTar, img)
	t.Cleanup(func() { d.docker("rmi", "-f", img) })
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}\n$`).MatchString(out) {
		t.Fatalf("import printed %q, want sha256:<64 hex>", out)
	}
	if cmd := strings.TrimSpace(d.must(t, "image", "inspect", "-f", "{{json .Config.Cmd}}", img)); cmd != `["sh"]` {
		t.Fatalf("Config.Cmd = %s, want [\"sh\"]", cmd)
	}
	if wd := strings.TrimSpace(d.must(t, "image", "inspect", "-f", "{{.Config.WorkingDir}}", img)); wd != "/tmp" {
		t.Fatalf("Config.WorkingDir = %q", wd)
	}
	if got := d.must(t, "run", "--rm", img, "sh", "-c", `echo "$FOO $(pwd)"`); got != "bar /tmp\n" {
		t.Fatalf("run of the imported image = %q, want \"bar /tmp\"", got)
	}
	// Import from stdin, like `tar -c . | docker import - name`.
	tarball, err := os.ReadFile(baseTar)
	if err != nil {
		t.Fatal(err)
	}
	img2 := uniqueName(t) + ":stdin"
	if r := d.dockerIn(bytes.NewReader(tarball), "import", "-", img2); r.Code != 0 {
		t.Fatalf("import - : %s", r)
	}
	t.Cleanup(func() { d.docker("rmi", "-f", img2) })
	if got := d.must(t, "run", "--rm", img2, "echo", "ok"); got != "ok\n" {
		t.Fatalf("run of the stdin import = %q", got)
	}
}

func TestImagesTagRmi(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	out := d.must(t, "images")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(lines[0]), -1)
	if strings.Join(header, "|") != "REPOSITORY|TAG|IMAGE ID|CREATED|SIZE" {
		t.Fatalf("images header = %q", lines[0])
	}
	if len(lines) != 2 || !regexp.MustCompile(`^busybox\s+latest\s+[0-9a-f]{12}\s+`).MatchString(lines[1]) {
		t.Fatalf("images rows = %q", lines[1:])
	}
	id := strings.TrimSpace(d.must(t, "image", "inspect", "-f", "{{.Id}}", "busybox"))

	d.must(t, "tag", "busybox", "mybox:v1")
	d.must(t, "tag", "busybox:latest", "example.com/team/box:v2")
	out = d.must(t, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
	for _, want := range []string{"busybox:latest", "mybox:v1", "example.com/team/box:v2"} {
		if !strings.Contains(out, want+" "+strings.TrimPrefix(id, "sha256:")[:12]) {
			t.Fatalf("images lacks %s → %s:\n%s", want, id, out)
		}
	}
	if got := strings.TrimSpace(d.must(t, "image", "inspect", "-f", "{{.Id}}", "mybox:v1")); got != id {
		t.Fatalf("tag points at %s, want %s", got, id)
	}

	// rmi of one of several tags only untags.
	r := d.dk("rmi", "mybox:v1")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Untagged: mybox:v1") || strings.Contains(r.Stdout, "Deleted:") {
		t.Fatalf("rmi mybox:v1: %s", r)
	}
	// rmi by ID with several references needs -f.
	r = d.dk("rmi", id)
	if r.Code == 0 || !strings.Contains(r.Stderr, "conflict") || !strings.Contains(r.Stderr, "must be forced") {
		t.Fatalf("rmi of an ID with several tags: %s", r)
	}
	d.must(t, "rmi", "example.com/team/box:v2")

	// An image used by a container cannot be removed.
	name := uniqueName(t)
	cid := strings.TrimSpace(d.must(t, "create", "--name", name, "busybox", "true"))
	d.rmOnCleanup(t, name)
	r = d.dk("rmi", "busybox")
	if r.Code == 0 || !strings.Contains(r.Stderr, "conflict: unable to remove repository reference \"busybox\"") ||
		!strings.Contains(r.Stderr, cid[:12]) {
		t.Fatalf("rmi of an image in use: %s", r)
	}
	d.must(t, "rm", name)
	r = d.dk("rmi", "busybox")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Untagged: busybox:latest") || !strings.Contains(r.Stdout, "Deleted: "+id) {
		t.Fatalf("rmi busybox: %s", r)
	}
	if out := d.must(t, "images", "-q"); out != "" {
		t.Fatalf("images after rmi = %q", out)
	}
	r = d.dk("rmi", "busybox")
	if r.Code != 1 || !strings.Contains(r.Stderr, "No such image: busybox") {
		t.Fatalf("rmi of a missing image: %s", r)
	}
}

func TestHistory(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	out := d.must(t, "history", "busybox")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(lines[0]), -1)
	if strings.Join(header, "|") != "IMAGE|CREATED|CREATED BY|SIZE|COMMENT" {
		t.Fatalf("history header = %q", lines[0])
	}
	if len(lines) < 2 {
		t.Fatalf("history has no rows: %q", out)
	}
	if !strings.Contains(lines[1], "MB") && !strings.Contains(lines[1], "kB") {
		t.Fatalf("history row lacks the layer size: %q", lines[1])
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	d.must(t, "tag", "busybox", "roundtrip:v1")
	id := strings.TrimSpace(d.must(t, "image", "inspect", "-f", "{{.Id}}", "roundtrip:v1"))
	archive := filepath.Join(t.TempDir(), "img.tar")
	d.must(t, "save", "-o", archive, "roundtrip:v1")
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	names := tarNames(t, data)
	for _, want := range []string{"manifest.json", "index.json", "oci-layout"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Fatalf("save archive lacks %s: %v", want, names)
		}
	}

	d.must(t, "rmi", "roundtrip:v1")
	d.must(t, "rmi", "busybox")
	if out := d.must(t, "images", "-q"); out != "" {
		t.Fatalf("images after rmi = %q", out)
	}
	out := d.must(t, "load", "-i", archive)
	if !strings.Contains(out, "Loaded image: roundtrip:v1") {
		t.Fatalf("load printed %q", out)
	}
	if got := strings.TrimSpace(d.must(t, "image", "inspect", "-f", "{{.Id}}", "roundtrip:v1")); got != id {
		t.Fatalf("loaded image ID %s, saved %s", got, id)
	}
	if out := d.must(t, "run", "--rm", "roundtrip:v1", "echo", "loaded"); out != "loaded\n" {
		t.Fatalf("run of the loaded image = %q", out)
	}

	// `docker save` to stdout, loaded into a second daemon from stdin.
	stream := d.must(t, "save", "roundtrip:v1")
	d2 := startDaemon(t)
	r := d2.dockerIn(strings.NewReader(stream), "load")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Loaded image: roundtrip:v1") {
		t.Fatalf("load into the second daemon: %s", r)
	}
	if got := strings.TrimSpace(d2.must(t, "image", "inspect", "-f", "{{.Id}}", "roundtrip:v1")); got != id {
		t.Fatalf("second daemon has ID %s, want %s", got, id)
	}
	if out := d2.must(t, "run", "--rm", "roundtrip:v1", "echo", "second"); out != "second\n" {
		t.Fatalf("run on the second daemon = %q", out)
	}

	// Loading over a tag another image holds moves it, and says so.
	other := strings.TrimSpace(d.must(t, "commit", strings.TrimSpace(d.must(t, "create", "roundtrip:v1", "true")), "other:v1"))
	d.must(t, "tag", "other:v1", "roundtrip:v1")
	out = d.must(t, "load", "-i", archive)
	if want := "The image roundtrip:v1 already exists, renaming the old one with ID " + other + " to empty string"; !strings.Contains(out, want) {
		t.Fatalf("load over a taken tag printed %q, want %q", out, want)
	}
	if got := strings.TrimSpace(d.must(t, "image", "inspect", "-f", "{{.Id}}", "roundtrip:v1")); got != id {
		t.Fatalf("after load roundtrip:v1 is %s, want %s", got, id)
	}
}

func TestImagePrune(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	// A dangling image: a commit without a name.
	name := uniqueName(t)
	d.must(t, "run", "--name", name, "busybox", "sh", "-c", "echo x > /x")
	dangling := strings.TrimSpace(d.must(t, "commit", name))
	d.must(t, "rm", name)
	if out := d.must(t, "images", "-q", "--filter", "dangling=true", "--no-trunc"); strings.TrimSpace(out) != dangling {
		t.Fatalf("dangling images = %q, want %s", out, dangling)
	}
	out := d.must(t, "image", "prune", "-f")
	if !strings.Contains(out, "deleted: "+dangling) || !strings.Contains(out, "Total reclaimed space:") {
		t.Fatalf("image prune printed %q", out)
	}
	if r := d.dk("image", "inspect", dangling); r.Code == 0 {
		t.Fatal("dangling image survived prune")
	}
	// Tagged images stay; prune -a removes unused ones.
	if out := d.must(t, "images", "-q"); strings.TrimSpace(out) == "" {
		t.Fatal("image prune removed the tagged busybox")
	}
	d.must(t, "image", "prune", "-a", "-f")
	if out := d.must(t, "images", "-q"); out != "" {
		t.Fatalf("images after prune -a = %q", out)
	}
}
