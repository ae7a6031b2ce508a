package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// volumeImage commits an image whose /data (owned by 1000:1000, mode 0750)
// holds a file, declares VOLUME /data and runs as user 1000.
func volumeImage(t *testing.T, d *daemon) string {
	t.Helper()
	name := uniqueName(t)
	img := name + ":vol"
	d.runD(t, "--name", name, "busybox", "sh", "-c",
		"mkdir -p /data/sub && echo from-image > /data/f && chown -R 1000:1000 /data && chmod 750 /data")
	d.must(t, "wait", name)
	d.must(t, "commit", "-c", `VOLUME ["/data"]`, "-c", "USER 1000", name, img)
	t.Cleanup(func() { d.docker("rmi", "-f", img) })
	return img
}

func rmVolumeOnCleanup(t *testing.T, d *daemon, names ...string) {
	t.Cleanup(func() {
		for _, n := range names {
			d.docker("volume", "rm", "-f", n)
		}
	})
}

func TestVolumeDataOutlivesContainersAndDaemonKill9(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	if out := strings.TrimSpace(d.must(t, "volume", "create", "--label", "tier=db", "keep")); out != "keep" {
		t.Fatalf("volume create printed %q", out)
	}
	d.must(t, "run", "--rm", "-v", "keep:/d", "busybox", "sh", "-c", "echo persisted > /d/f")
	ev := d.must(t, "events", "--since", "0", "--until", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10),
		"--filter", "type=volume", "--format", "{{.Action}} {{.Actor.ID}} {{index .Actor.Attributes \"destination\"}}")
	if ev != "create keep \nmount keep /d\nunmount keep \n" { // before the others exist
		t.Fatalf("volume events:\n%s", ev)
	}
	// A volume named in -v that does not exist yet is created on the fly.
	d.must(t, "run", "--rm", "-v", "implicit:/d", "busybox", "sh", "-c", "echo too > /d/f")
	// A tmpfs volume held by a running container across the kill.
	d.must(t, "volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "tmp")
	d.runD(t, "--name", "holder", "-v", "tmp:/t", "busybox", "sh", "-c", "echo in-tmpfs > /t/f; sleep 300")
	waitFor(t, 10e9, "holder to write", func() bool { return d.dk("exec", "holder", "cat", "/t/f").Code == 0 })

	d.kill9(t)
	if err := d.start(); err != nil {
		t.Fatal(err)
	}
	// The mount is found again, not replaced by an empty one, and released
	// when its last user stops.
	if out := d.must(t, "run", "--rm", "-v", "tmp:/t", "busybox", "cat", "/t/f"); out != "in-tmpfs\n" {
		t.Fatalf("tmpfs volume after kill -9 = %q", out)
	}
	if mountsUnder(filepath.Join(d.dataRoot, "volumes", "tmp")) == nil {
		t.Fatal("tmpfs volume unmounted while holder still runs")
	}
	d.must(t, "rm", "-f", "holder")
	if m := mountsUnder(filepath.Join(d.dataRoot, "volumes", "tmp")); m != nil {
		t.Fatalf("tmpfs volume still mounted after its last user stopped: %v", m)
	}
	if out := d.must(t, "run", "--rm", "-v", "keep:/d", "busybox", "cat", "/d/f"); out != "persisted\n" {
		t.Fatalf("volume content after kill -9 = %q", out)
	}
	if out := d.must(t, "run", "--rm", "-v", "implicit:/d", "busybox", "cat", "/d/f"); out != "too\n" {
		t.Fatalf("implicit volume content after kill -9 = %q", out)
	}
	ls := d.must(t, "volume", "ls")
	if !regexp.MustCompile(`(?m)^DRIVER\s+VOLUME NAME$`).MatchString(ls) || !regexp.MustCompile(`(?m)^local\s+keep$`).MatchString(ls) {
		t.Fatalf("volume ls:\n%s", ls)
	}
	var vols []map[string]any
	if err := json.Unmarshal([]byte(d.must(t, "volume", "inspect", "keep")), &vols); err != nil || len(vols) != 1 {
		t.Fatalf("volume inspect: %v %v", err, vols)
	}
	v := vols[0]
	if v["Driver"] != "local" || v["Scope"] != "local" || v["Mountpoint"] != filepath.Join(d.dataRoot, "volumes", "keep", "_data") ||
		v["Labels"].(map[string]any)["tier"] != "db" {
		t.Fatalf("volume inspect keep = %v", v)
	}
	if out := d.must(t, "volume", "ls", "-q", "--filter", "label=tier=db"); out != "keep\n" {
		t.Fatalf("ls --filter label=tier=db = %q", out)
	}
	if out := d.must(t, "volume", "ls", "-q", "--filter", "name=impl"); out != "implicit\n" {
		t.Fatalf("ls --filter name=impl = %q", out)
	}
	if out := d.must(t, "volume", "ls", "-q", "--filter", "dangling=true"); out != "implicit\nkeep\ntmp\n" {
		t.Fatalf("ls --filter dangling=true = %q", out)
	}
	r := d.dk("volume", "inspect", "nosuch")
	if r.Code == 0 || !strings.Contains(r.Stderr, "get nosuch: no such volume") {
		t.Fatalf("inspect of a missing volume: %s", r)
	}
}

func TestVolumeCopyUpOwnershipAndAnonymous(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	img := volumeImage(t, d)
	named := uniqueName(t)
	rmVolumeOnCleanup(t, d, named)

	// Named volume: the image's content and the directory's owner and mode
	// are copied on first use, so user 1000 can write to it.
	out := d.must(t, "run", "--rm", "-v", named+":/data", img, "sh", "-c",
		"cat /data/f; stat -c '%u:%g %a' /data /data/f; echo mine > /data/new && echo wrote")
	want := "from-image\n1000:1000 750\n1000:1000 644\nwrote\n"
	if out != want {
		t.Fatalf("copy-up into a named volume:\n got %q\nwant %q", out, want)
	}
	// Not copied again: the volume is no longer empty and keeps its own state.
	d.must(t, "run", "--rm", "-u", "0", "-v", named+":/data", img, "rm", "/data/f")
	if out := d.must(t, "run", "--rm", "-v", named+":/data", img, "ls", "/data"); out != "new\nsub\n" {
		t.Fatalf("second use copied again: ls = %q", out)
	}
	// volume-nocopy: an empty volume stays empty.
	nocopy := uniqueName(t)
	rmVolumeOnCleanup(t, d, nocopy)
	if out := d.must(t, "run", "--rm", "-u", "0", "--mount", "type=volume,src="+nocopy+",dst=/data,volume-nocopy", img, "ls", "-A", "/data"); out != "" {
		t.Fatalf("volume-nocopy volume has %q", out)
	}

	// The image's VOLUME makes an anonymous volume with the content.
	ctr := uniqueName(t)
	d.must(t, "run", "--name", ctr, img, "cat", "/data/f")
	d.rmOnCleanup(t, ctr)
	var mounts []struct {
		Type, Name, Source, Destination, Driver string
		RW                                      bool
	}
	if err := json.Unmarshal([]byte(d.inspect(t, ctr, "{{json .Mounts}}")), &mounts); err != nil {
		t.Fatal(err)
	}
	if len(mounts) != 1 || mounts[0].Type != "volume" || len(mounts[0].Name) != 64 || mounts[0].Destination != "/data" ||
		mounts[0].Driver != "local" || !mounts[0].RW || mounts[0].Source != filepath.Join(d.dataRoot, "volumes", mounts[0].Name, "_data") {
		t.Fatalf("inspect Mounts = %+v", mounts)
	}
	anon := mounts[0].Name
	if out := d.must(t, "logs", ctr); out != "from-image\n" {
		t.Fatalf("anonymous volume content = %q", out)
	}
	if lbl := strings.TrimSpace(d.must(t, "volume", "inspect", "-f", "{{json .Labels}}", anon)); lbl != `{"com.docker.volume.anonymous":""}` {
		t.Fatalf("anonymous volume labels = %s", lbl)
	}
	// rm -v removes the anonymous volume with the container.
	d.must(t, "rm", "-v", ctr)
	if r := d.dk("volume", "inspect", anon); r.Code == 0 {
		t.Fatalf("anonymous volume survived rm -v: %s", r)
	}
	// --rm does the same.
	// (Other tests add named volumes meanwhile: look for a new anonymous one.)
	before := d.must(t, "volume", "ls", "-q")
	d.must(t, "run", "--rm", "-v", "/scratch", "busybox", "touch", "/scratch/x")
	for _, v := range strings.Fields(d.must(t, "volume", "ls", "-q")) {
		if len(v) == 64 && !strings.Contains(before, v) {
			t.Fatalf("--rm left the anonymous volume %s", v)
		}
	}
}

func TestVolumeInUseRefusedOnRm(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	vol := uniqueName(t)
	rmVolumeOnCleanup(t, d, vol)
	ctr := uniqueName(t)
	id := strings.TrimSpace(d.must(t, "create", "--name", ctr, "-v", vol+":/d", "busybox", "true"))
	d.rmOnCleanup(t, ctr)
	r := d.dk("volume", "rm", vol)
	want := "Error response from daemon: remove " + vol + ": volume is in use - [" + id + "]"
	if r.Code != 1 || strings.TrimSpace(r.Stderr) != want {
		t.Fatalf("rm of a volume in use: %s\nwant stderr %q", r, want)
	}
	// Force does not remove a volume in use either (as in Docker).
	if r := d.dk("volume", "rm", "-f", vol); r.Code == 0 {
		t.Fatalf("rm -f removed a volume in use: %s", r)
	}
	if out := d.must(t, "volume", "ls", "-q", "--filter", "dangling=false", "--filter", "name="+vol); out != vol+"\n" {
		t.Fatalf("ls dangling=false = %q", out)
	}
	d.must(t, "rm", ctr)
	if out := d.must(t, "volume", "rm", vol); out != vol+"\n" {
		t.Fatalf("volume rm printed %q", out)
	}
	if r := d.dk("volume", "rm", "-f", "never-existed-"+vol); r.Code != 0 {
		t.Fatalf("rm -f of a missing volume: %s", r)
	}
	until := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	ev := d.must(t, "events", "--since", "0", "--until", until, "--filter", "type=volume", "--filter", "volume="+vol, "--format", "{{.Type}} {{.Action}} {{.Actor.ID}}")
	if ev != "volume create "+vol+"\nvolume destroy "+vol+"\n" {
		t.Fatalf("volume events:\n%s", ev)
	}
}

func TestVolumesFrom(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	vol := uniqueName(t)
	rmVolumeOnCleanup(t, d, vol)
	src := uniqueName(t)
	d.runD(t, "--name", src, "-v", vol+":/shared", "-v", "/anon", "busybox", "sh", "-c", "echo shared > /shared/f; echo anon > /anon/f; sleep 300")
	waitForFile := func() bool { r := d.dk("exec", src, "cat", "/anon/f"); return r.Code == 0 }
	waitFor(t, 10e9, "the source container to write", waitForFile)
	if out := d.must(t, "run", "--rm", "--volumes-from", src, "busybox", "sh", "-c", "cat /shared/f /anon/f; echo new > /shared/g"); out != "shared\nanon\n" {
		t.Fatalf("--volumes-from read = %q", out)
	}
	if out := d.must(t, "exec", src, "cat", "/shared/g"); out != "new\n" {
		t.Fatalf("write through --volumes-from not seen: %q", out)
	}
	r := d.dk("run", "--rm", "--volumes-from", src+":ro", "busybox", "sh", "-c", "cat /shared/f && touch /shared/h")
	if r.Code == 0 || r.Stdout != "shared\n" || !strings.Contains(r.Stderr, "Read-only file system") {
		t.Fatalf("--volumes-from :ro: %s", r)
	}
	if r := d.dk("run", "--rm", "--volumes-from", "no-such-"+src, "busybox", "true"); r.Code != 125 || !strings.Contains(r.Stderr, "No such container") {
		t.Fatalf("--volumes-from a missing container: %s", r)
	}
}

func TestVolumeOwnerOptionAndDriverOptions(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	owned := uniqueName(t)
	tmpfsVol := uniqueName(t)
	viaMount := uniqueName(t)
	bindVol := uniqueName(t)
	rmVolumeOnCleanup(t, d, owned, tmpfsVol, viaMount, bindVol)

	d.must(t, "volume", "create", "--opt", "uid=1000", "--opt", "gid=2000", owned)
	if out := d.must(t, "run", "--rm", "-u", "1000", "-v", owned+":/d", "busybox", "sh", "-c", "stat -c %u:%g /d && touch /d/ok && echo ok"); out != "1000:2000\nok\n" {
		t.Fatalf("volume with uid/gid options: %q", out)
	}
	// The same through --mount's volume-opt (the volume is made on the fly).
	if out := d.must(t, "run", "--rm", "--mount", "type=volume,src="+viaMount+",dst=/d,volume-opt=uid=1234,volume-label=made=by-mount", "busybox", "stat", "-c", "%u", "/d"); out != "1234\n" {
		t.Fatalf("volume-opt uid: %q", out)
	}
	if out := d.must(t, "volume", "inspect", "-f", "{{.Labels.made}} {{.Options.uid}}", viaMount); out != "by-mount 1234\n" {
		t.Fatalf("volume made by --mount: %q", out)
	}

	// type=tmpfs: the local driver mounts it (size from o).
	d.must(t, "volume", "create", "--driver", "local", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=2m,mode=1777", tmpfsVol)
	out := d.must(t, "run", "--rm", "-v", tmpfsVol+":/t", "busybox", "sh", "-c", "grep ' /t ' /proc/mounts; stat -c %a /t")
	if !strings.Contains(out, "tmpfs /t tmpfs") || !strings.Contains(out, "size=2048k") || !strings.HasSuffix(out, "1777\n") {
		t.Fatalf("tmpfs volume in the container:\n%s", out)
	}

	// type=none,o=bind: a host directory through the volume API, with an owner.
	host := t.TempDir()
	d.must(t, "volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", "device="+host, "--opt", "uid=1000", bindVol)
	d.must(t, "run", "--rm", "-u", "1000", "-v", bindVol+":/b", "busybox", "sh", "-c", "echo via-bind > /b/f")
	if b, err := os.ReadFile(filepath.Join(host, "f")); err != nil || string(b) != "via-bind\n" {
		t.Fatalf("bind volume wrote %q, %v", b, err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(host, &st); err != nil || st.Uid != 1000 {
		t.Fatalf("bind volume owner: uid %d %v", st.Uid, err)
	}
	// Released when the container stopped: nothing left mounted on the volume.
	if mountsUnder(filepath.Join(d.dataRoot, "volumes", bindVol)) != nil {
		t.Fatalf("bind volume still mounted after its container exited")
	}

	if r := d.dk("volume", "create", "--opt", "bogus=1", uniqueName(t)); r.Code == 0 || !strings.Contains(r.Stderr, `invalid option: "bogus"`) {
		t.Fatalf("unknown driver option: %s", r)
	}
	if r := d.dk("volume", "create", "-d", "nfs-plugin", uniqueName(t)); r.Code == 0 || !strings.Contains(r.Stderr, `plugin "nfs-plugin" not found`) {
		t.Fatalf("unknown driver: %s", r)
	}
}

func TestMountSyntax(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	vol := uniqueName(t)
	rmVolumeOnCleanup(t, d, vol)
	d.must(t, "run", "--rm", "-v", vol+":/v", "busybox", "sh", "-c", "mkdir /v/sub && echo in-sub > /v/sub/f && echo top > /v/top")
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "h"), []byte("host\n"), 0o644)

	ctr := uniqueName(t)
	r := d.dk("run", "--name", ctr,
		"--mount", "type=volume,src="+vol+",dst=/sub,volume-subpath=sub,readonly",
		"--mount", "type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770",
		"--mount", "type=bind,src="+host+",dst=/h,bind-propagation=rslave",
		"-v", vol+":/ro:ro",
		"busybox", "sh", "-c", "ls /sub; cat /sub/f /h/h; stat -c %a /t; grep ' /t ' /proc/mounts | grep -o size=[0-9]*k; touch /sub/x 2>/dev/null || echo sub-ro; touch /ro/x 2>/dev/null || echo ro-ro")
	d.rmOnCleanup(t, ctr)
	want := "f\nin-sub\nhost\n1770\nsize=1024k\nsub-ro\nro-ro\n"
	if r.Code != 0 || r.Stdout != want {
		t.Fatalf("mounts:\n%s\nwant stdout %q", r, want)
	}
	var mounts []struct {
		Type, Name, Source, Destination, Mode, Propagation string
		RW                                                 bool
	}
	if err := json.Unmarshal([]byte(d.inspect(t, ctr, "{{json .Mounts}}")), &mounts); err != nil {
		t.Fatal(err)
	}
	byDest := map[string]string{}
	for _, m := range mounts {
		byDest[m.Destination] = m.Type + " " + m.Name + " " + strconv.FormatBool(m.RW) + " " + m.Mode + " " + m.Propagation
	}
	for dest, want := range map[string]string{
		"/sub": "volume " + vol + " false  ",
		"/t":   "tmpfs  true  ",
		"/h":   "bind  true  rslave",
		"/ro":  "volume " + vol + " false ro ",
	} {
		if byDest[dest] != want {
			t.Errorf("inspect Mounts %s = %q, want %q", dest, byDest[dest], want)
		}
	}
	if r := d.dk("run", "--rm", "--mount", "type=volume,src="+vol+",dst=/x,volume-subpath=../..", "busybox", "true"); r.Code != 125 {
		t.Fatalf("escaping subpath accepted: %s", r)
	}
	if r := d.dk("run", "--rm", "-v", "bad/name:/x", "busybox", "true"); r.Code != 125 || !strings.Contains(r.Stderr, "invalid") {
		t.Fatalf("a relative path that is no volume name: %s", r)
	}
}

// duBytes is the space the files under dir take on disk.
func duBytes(t *testing.T, dir string) int64 {
	var total int64
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			total += info.Sys().(*syscall.Stat_t).Blocks * 512
		}
		return nil
	})
	return total
}

func TestVolumePruneGivesBackWhatItReports(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	volRoot := filepath.Join(d.dataRoot, "volumes")
	d.must(t, "volume", "create", "named")
	d.must(t, "run", "--rm", "-v", "named:/d", "busybox", "dd", "if=/dev/urandom", "of=/d/blob", "bs=1M", "count=6")
	d.must(t, "run", "--name", "anon", "-v", "/d", "busybox", "dd", "if=/dev/urandom", "of=/d/blob", "bs=1M", "count=3")
	d.must(t, "rm", "anon") // without -v: the anonymous volume stays, dangling

	df := d.must(t, "system", "df")
	if !regexp.MustCompile(`(?m)^Local Volumes\s+2\s+0\s+9\.4\d*MB\s+9\.4\d*MB \(100%\)$`).MatchString(df) {
		t.Fatalf("system df:\n%s", df)
	}
	dfv := d.must(t, "system", "df", "-v", "--format", "{{json .Volumes}}")
	if !strings.Contains(dfv, `"Name":"named"`) || !strings.Contains(dfv, `"Links":"0"`) {
		t.Fatalf("system df -v volumes: %s", dfv)
	}

	before := duBytes(t, volRoot)
	out := d.must(t, "volume", "prune", "-f")
	if !strings.Contains(out, "Deleted Volumes:\n") || strings.Contains(out, "named") {
		t.Fatalf("prune without --all:\n%s", out)
	}
	mid := duBytes(t, volRoot)
	if got := before - mid; got < 3<<20 || got > 3<<20+64<<10 {
		t.Fatalf("prune freed %d bytes on disk, want ~3 MiB", got)
	}
	if out := d.must(t, "volume", "ls", "-q"); out != "named\n" {
		t.Fatalf("after prune: %q", out)
	}
	out = d.must(t, "system", "prune", "-f", "--volumes")
	if strings.Contains(out, "named") {
		t.Fatalf("system prune --volumes removed a named volume:\n%s", out)
	}
	res, err := d.client(t).VolumePrune(context.Background(), client.VolumePruneOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	after := duBytes(t, volRoot)
	reported := int64(res.Report.SpaceReclaimed)
	if got := mid - after; reported < 6<<20 || got < reported || got > reported+16<<10 {
		t.Fatalf("prune --all reported %d bytes and freed %d on disk", reported, got)
	}
	if out := d.must(t, "volume", "ls", "-q"); out != "" {
		t.Fatalf("after prune --all: %q", out)
	}
	entries, _ := os.ReadDir(volRoot)
	if len(entries) != 0 {
		t.Fatalf("volume directories left: %v", entries)
	}
}

// berth's own `volume` commands print what docker's do.
func TestBerthVolumeCLI(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	vol := uniqueName(t)
	rmVolumeOnCleanup(t, d, vol)
	if out, errOut, code := d.berth("volume", "create", "--label", "a=b", "-o", "uid=7", vol); code != 0 || out != vol+"\n" {
		t.Fatalf("berth volume create: %d %q %q", code, out, errOut)
	}
	out, _, _ := d.berth("volume", "ls", "--filter", "name="+vol)
	if out != "DRIVER    VOLUME NAME\nlocal     "+vol+"\n" {
		t.Fatalf("berth volume ls:\n%s", out)
	}
	if out, _, _ := d.berth("volume", "ls", "-q", "-f", "label=a=b", "--format", "ignored"); !strings.Contains(out, vol+"\n") {
		t.Fatalf("berth volume ls -q -f label: %q", out)
	}
	if out, _, _ := d.berth("volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Labels.a}} {{.Options.uid}}", vol); out != vol+" local b 7\n" {
		t.Fatalf("berth volume inspect -f: %q", out)
	}
	ctr := uniqueName(t)
	d.must(t, "create", "--name", ctr, "-v", vol+":/d", "busybox", "true")
	d.rmOnCleanup(t, ctr)
	if _, errOut, code := d.berth("volume", "rm", vol); code != 1 || !strings.Contains(errOut, "volume is in use") {
		t.Fatalf("berth volume rm in use: %d %q", code, errOut)
	}
	d.must(t, "rm", ctr)
	if out, _, code := d.berth("volume", "rm", vol); code != 0 || out != vol+"\n" {
		t.Fatalf("berth volume rm: %d %q", code, out)
	}
	if _, errOut, code := d.berth("volume", "inspect", vol); code != 1 || !strings.Contains(errOut, "no such volume") {
		t.Fatalf("berth volume inspect of a removed volume: %d %q", code, errOut)
	}
}

// Before API 1.42 `volume prune` removed named volumes too; clients pinned
// to an old version still get that.
func TestVolumePruneOldAPIVersion(t *testing.T) {
	d := startDaemon(t)
	d.must(t, "volume", "create", "old-api-named")
	code, body, _ := apiCall(t, d, "POST", "/v1.41/volumes/prune", "", nil)
	if code != 200 || !strings.Contains(body, `"old-api-named"`) {
		t.Fatalf("prune with API 1.41: %d %s", code, body)
	}
	d.must(t, "volume", "create", "new-api-named")
	code, body, _ = apiCall(t, d, "POST", "/v1.43/volumes/prune", "", nil)
	if code != 200 || strings.Contains(body, "new-api-named") {
		t.Fatalf("prune with API 1.43: %d %s", code, body)
	}
	code, body, _ = apiCall(t, d, "DELETE", "/volumes/nosuch", "", nil)
	if code != 404 || errorMessage(t, body) != "get nosuch: no such volume" {
		t.Fatalf("DELETE of a missing volume: %d %s", code, body)
	}
	code, body, _ = apiCall(t, d, "POST", "/volumes/create", "application/json", []byte(`{"Name":"-bad"}`))
	if code != 400 {
		t.Fatalf("create of a bad name: %d %s", code, body)
	}
	code, _, _ = apiCall(t, d, "POST", "/volumes/create", "application/json", []byte(`{"Name":"fine"}`))
	if code != 201 {
		t.Fatalf("create: %d", code)
	}
}
