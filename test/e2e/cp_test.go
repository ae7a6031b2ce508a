package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCopy(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sleep", "300")
	host := t.TempDir()

	// host → container
	src := filepath.Join(host, "in.txt")
	os.WriteFile(src, []byte("to-container\n"), 0o600)
	d.must(t, "cp", src, name+":/tmp/in.txt")
	if out := d.must(t, "exec", name, "cat", "/tmp/in.txt"); out != "to-container\n" {
		t.Fatalf("file copied in = %q", out)
	}
	// a directory, host → container
	os.MkdirAll(filepath.Join(host, "tree", "sub"), 0o755)
	os.WriteFile(filepath.Join(host, "tree", "sub", "f"), []byte("deep\n"), 0o644)
	d.must(t, "cp", filepath.Join(host, "tree"), name+":/tmp/")
	if out := d.must(t, "exec", name, "cat", "/tmp/tree/sub/f"); out != "deep\n" {
		t.Fatalf("dir copied in: %q", out)
	}

	// container → host
	d.must(t, "cp", name+":/etc/passwd", filepath.Join(host, "passwd"))
	if b, _ := os.ReadFile(filepath.Join(host, "passwd")); !strings.HasPrefix(string(b), "root:x:0:0:") {
		t.Fatalf("copied out /etc/passwd = %q", b)
	}
	d.must(t, "exec", name, "sh", "-c", "mkdir -p /tmp/out/a && echo x > /tmp/out/a/y")
	d.must(t, "cp", name+":/tmp/out", filepath.Join(host, "outdir"))
	if b, _ := os.ReadFile(filepath.Join(host, "outdir", "a", "y")); string(b) != "x\n" {
		t.Fatalf("copied out dir: %q", b)
	}

	// "DIR/." copies the directory's contents, into an existing directory
	// or a new one, also through a symlink to the directory.
	d.must(t, "exec", name, "ln", "-s", "/tmp/out", "/tmp/outlink")
	for _, c := range []struct{ src, dst string }{
		{"/tmp/out/.", "existing"}, {"/tmp/out/.", "fresh"}, {"/tmp/outlink/.", "vialink"},
	} {
		dst := filepath.Join(host, c.dst)
		if c.dst == "existing" {
			os.Mkdir(dst, 0o755)
		}
		d.must(t, "cp", name+":"+c.src, dst)
		if b, err := os.ReadFile(filepath.Join(dst, "a", "y")); string(b) != "x\n" {
			entries, _ := os.ReadDir(dst)
			t.Fatalf("cp %s %s: a/y = %q (%v); %s holds %v", c.src, c.dst, b, err, c.dst, entries)
		}
	}

	// container → stdout as a tar
	out := d.must(t, "cp", name+":/etc", "-")
	names := tarNames(t, []byte(out))
	if !slices.Contains(names, "etc/passwd") {
		t.Fatalf("docker cp CTR:/etc - entries = %v, want etc/passwd", names)
	}

	// a tar on stdin → container
	tarball := makeTar(t, []tarEntry{{Name: "fromtar", Dir: true}, {Name: "fromtar/hello.txt", Body: "tar-content\n"}})
	if r := d.dockerIn(bytes.NewReader(tarball), "cp", "-", name+":/tmp"); r.Code != 0 {
		t.Fatalf("docker cp - %s:/tmp: %s", name, r)
	}
	if out := d.must(t, "exec", name, "cat", "/tmp/fromtar/hello.txt"); out != "tar-content\n" {
		t.Fatalf("file from tar = %q", out)
	}

	// errors: a missing source path in the container
	if r := d.dk("cp", name+":/no/such/path", host); r.Code == 0 || !strings.Contains(r.Stderr, "Could not find the file /no/such/path in container") {
		t.Fatalf("cp of a missing path: %s", r)
	}
}

func TestCopyIntoStoppedContainer(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.must(t, "create", "--name", name, "busybox", "cat", "/tmp/note")
	d.rmOnCleanup(t, name)
	src := filepath.Join(t.TempDir(), "note")
	os.WriteFile(src, []byte("before start\n"), 0o644)
	d.must(t, "cp", src, name+":/tmp/note")
	r := d.dk("start", "-a", name)
	if r.Code != 0 || r.Stdout != "before start\n" {
		t.Fatalf("start -a after cp into a created container: %s", r)
	}
	// The files the daemon prepares are seen with their content (as the
	// container sees them), not as the empty mount points under them.
	host := t.TempDir()
	d.must(t, "cp", name+":/etc/hostname", filepath.Join(host, "hostname"))
	d.must(t, "cp", name+":/etc/hosts", filepath.Join(host, "hosts"))
	hostname, _ := os.ReadFile(filepath.Join(host, "hostname"))
	hosts, _ := os.ReadFile(filepath.Join(host, "hosts"))
	if id := strings.TrimSpace(d.inspect(t, name, "{{.Config.Hostname}}")); string(hostname) != id+"\n" || !strings.Contains(string(hosts), "localhost") {
		t.Fatalf("cp of /etc/hostname %q (want %q), /etc/hosts %q", hostname, id, hosts)
	}
	// "FILE/" asks for a directory: an error, and the file is left alone.
	if r := d.dk("cp", src, name+":/tmp/note/"); r.Code == 0 {
		t.Fatalf("cp to a file with a trailing slash: %s", r)
	}
	d.must(t, "cp", name+":/tmp/note", filepath.Join(host, "note"))
	if b, _ := os.ReadFile(filepath.Join(host, "note")); string(b) != "before start\n" {
		t.Fatalf("the file after cp to FILE/: %q", b)
	}
}

func TestCopyMaliciousTar(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sleep", "300")
	esc := maliciousTar(t)
	r := d.dockerIn(bytes.NewReader(esc.tar), "cp", "-", name+":/tmp")
	t.Logf("docker cp - (hostile tar): exit %d %s", r.Code, strings.TrimSpace(r.Stderr))
	esc.assertNoEscape(t, d)
	// The container itself still works and the harmless entry may be there.
	if out := d.must(t, "exec", name, "echo", "ok"); out != "ok\n" {
		t.Fatalf("container after hostile cp: %q", out)
	}
}

func TestExport(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sh", "-c", "echo exported > /marker")
	d.must(t, "wait", name)
	out := d.must(t, "export", name)
	names := tarNames(t, []byte(out))
	for _, want := range []string{"bin/busybox", "etc/passwd", "marker"} {
		if !slices.Contains(names, want) {
			t.Fatalf("export lacks %s (%d entries)", want, len(names))
		}
	}
	if body, _ := tarFile(t, []byte(out), "marker"); body != "exported\n" {
		t.Fatalf("exported /marker = %q", body)
	}
	// -o writes a file
	f := filepath.Join(t.TempDir(), "c.tar")
	d.must(t, "export", "-o", f, name)
	if st, err := os.Stat(f); err != nil || st.Size() < 1<<20 {
		t.Fatalf("export -o: %v size %v", err, st)
	}
}

func TestDiff(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sh", "-c", "touch /tmp/new; rm /etc/group; echo extra >> /etc/passwd; mkdir /newdir")
	d.must(t, "wait", name)
	out := d.must(t, "diff", name)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, want := range []string{"A /tmp/new", "D /etc/group", "C /etc/passwd", "A /newdir", "C /etc", "C /tmp"} {
		if !slices.Contains(lines, want) {
			t.Errorf("diff lacks %q; got:\n%s", want, out)
		}
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "A /bin") || strings.HasPrefix(l, "C /bin") {
			t.Errorf("diff reports an untouched path: %q", l)
		}
	}
}

func TestCommitAndRun(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	img := uniqueName(t) + ":v1"
	d.runD(t, "--name", name, "busybox", "sh", "-c", "echo committed > /hello; rm /etc/group")
	d.must(t, "wait", name)
	id := strings.TrimSpace(d.must(t, "commit", "-c", `CMD ["cat", "/hello"]`, "-m", "e2e commit", name, img))
	t.Cleanup(func() { d.docker("rmi", "-f", img) })
	if !strings.HasPrefix(id, "sha256:") {
		t.Fatalf("commit printed %q, want sha256:...", id)
	}
	if out := d.must(t, "run", "--rm", img); out != "committed\n" {
		t.Fatalf("run of the committed image = %q", out)
	}
	if r := d.dk("run", "--rm", img, "cat", "/etc/group"); r.Code == 0 {
		t.Fatalf("a file deleted before commit is back: %s", r)
	}
	hist := d.must(t, "history", "--no-trunc", "--format", "{{.Comment}}", img)
	if !strings.Contains(hist, "e2e commit") {
		t.Fatalf("history lacks the commit message: %q", hist)
	}
}

func TestTop(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sleep", "300")
	out := d.must(t, "top", name)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	hdr := strings.Fields(lines[0])
	for _, want := range []string{"UID", "PID", "CMD"} {
		if !slices.Contains(hdr, want) {
			t.Fatalf("top header %q lacks %s", lines[0], want)
		}
	}
	if len(lines) != 2 || !strings.HasSuffix(lines[1], "sleep 300") {
		t.Fatalf("top rows = %q, want one row for sleep 300", lines[1:])
	}
	pid := d.inspect(t, name, "{{.State.Pid}}")
	if f := strings.Fields(lines[1]); !slices.Contains(f, pid) {
		t.Fatalf("top row %q lacks the container pid %s", lines[1], pid)
	}
	if r := d.dk("top", name, "-o", "pid,comm"); r.Code != 0 || !strings.Contains(r.Stdout, "sleep") {
		t.Fatalf("top with ps args: %s", r)
	}
}

// docker cp sees the container's volumes and bind mounts, as dockerd's
// does: out of and into a volume (running and stopped), out of a read-only
// bind, refused into it, and into a volume of a read-only-rootfs container.
// None of it leaves a mount behind in the daemon's namespace.
func TestCopyThroughVolumes(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name, vol := uniqueName(t), uniqueName(t)
	host := t.TempDir()
	bind := filepath.Join(host, "bind")
	os.MkdirAll(bind, 0o755)
	os.WriteFile(filepath.Join(bind, "h"), []byte("from-host\n"), 0o644)
	d.must(t, "volume", "create", vol)
	defer d.dk("volume", "rm", "-f", vol)
	d.runD(t, "--name", name, "-v", vol+":/data", "-v", bind+":/hb:ro", "busybox", "sh", "-c",
		"mkdir -p /data/d && echo in-volume > /data/d/v && sleep 300")
	defer d.dk("rm", "-f", name)
	for i := 0; i < 100 && d.dk("exec", name, "test", "-f", "/data/d/v").Code != 0; i++ {
		time.Sleep(50 * time.Millisecond)
	}

	d.must(t, "cp", name+":/data/d/v", filepath.Join(host, "v"))
	if b, _ := os.ReadFile(filepath.Join(host, "v")); string(b) != "in-volume\n" {
		t.Fatalf("cp out of a volume: %q", b)
	}
	d.must(t, "cp", name+":/hb/h", filepath.Join(host, "h"))
	if b, _ := os.ReadFile(filepath.Join(host, "h")); string(b) != "from-host\n" {
		t.Fatalf("cp out of a bind mount: %q", b)
	}
	os.WriteFile(filepath.Join(host, "new"), []byte("into-volume\n"), 0o644)
	d.must(t, "cp", filepath.Join(host, "new"), name+":/data/new")
	if out := d.must(t, "exec", name, "cat", "/data/new"); out != "into-volume\n" {
		t.Fatalf("cp into a volume, seen inside: %q", out)
	}
	if r := d.dk("cp", filepath.Join(host, "new"), name+":/hb/"); r.Code == 0 || !strings.Contains(r.Stderr, "mounted volume is marked read-only") {
		t.Fatalf("cp into a read-only bind mount: %s", r)
	}
	if _, err := os.Stat(filepath.Join(bind, "new")); err == nil {
		t.Fatal("cp wrote into a read-only bind mount")
	}

	d.must(t, "stop", "-t", "0", name)
	d.must(t, "cp", name+":/data/new", filepath.Join(host, "new2"))
	if b, _ := os.ReadFile(filepath.Join(host, "new2")); string(b) != "into-volume\n" {
		t.Fatalf("cp out of a stopped container's volume: %q", b)
	}

	ro := uniqueName(t)
	d.runD(t, "--name", ro, "--read-only", "-v", vol+":/data", "busybox", "sleep", "300")
	defer d.dk("rm", "-f", ro)
	d.must(t, "cp", filepath.Join(host, "new"), ro+":/data/fromro")
	if r := d.dk("cp", filepath.Join(host, "new"), ro+":/tmp/"); r.Code == 0 || !strings.Contains(r.Stderr, "container rootfs is marked read-only") {
		t.Fatalf("cp into a read-only rootfs: %s", r)
	}
	if left := append(mountsUnder(bind), mountsUnder(filepath.Join(d.dataRoot, "volumes"))...); len(left) > 0 {
		t.Fatalf("cp left mounts in the daemon's namespace: %v", left)
	}
}

// A volume whose options name a device (here a bind of a host directory)
// is mounted only while a container uses it. cp into and out of a stopped
// container mounts it for the copy, as dockerd does, and unmounts it after.
func TestCopyStoppedContainersDriverVolume(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	name, vol := uniqueName(t), uniqueName(t)
	host := t.TempDir()
	device := filepath.Join(host, "device")
	os.MkdirAll(device, 0o755)
	d.must(t, "volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", "device="+device, vol)
	defer d.dk("volume", "rm", "-f", vol)
	d.runD(t, "--name", name, "-v", vol+":/data", "busybox", "sh", "-c", "echo ran > /data/ran && sleep 300")
	defer d.dk("rm", "-f", name)
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(filepath.Join(device, "ran")); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.must(t, "stop", "-t", "0", name)
	volumes := filepath.Join(d.dataRoot, "volumes", vol) // other tests mount theirs meanwhile
	// Releases run as the requests end, not before the client hears back.
	unmounted := func(what string) {
		t.Helper()
		waitFor(t, 10*time.Second, what, func() bool { return len(mountsUnder(volumes)) == 0 })
	}
	unmounted("the volume to be unmounted after its container stopped")

	os.WriteFile(filepath.Join(host, "in"), []byte("copied-in\n"), 0o644)
	d.must(t, "cp", filepath.Join(host, "in"), name+":/data/in")
	if b, err := os.ReadFile(filepath.Join(device, "in")); err != nil || string(b) != "copied-in\n" {
		t.Fatalf("cp into a stopped container's bind-device volume: the device holds %q (%v)", b, err)
	}
	d.must(t, "cp", name+":/data/ran", filepath.Join(host, "out"))
	if b, _ := os.ReadFile(filepath.Join(host, "out")); string(b) != "ran\n" {
		t.Fatalf("cp out of a stopped container's bind-device volume: %q", b)
	}
	unmounted("cp to unmount the volume")
}
