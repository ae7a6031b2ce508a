package e2e

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/system"
)

// Disk accounting: every prune must report what the data root really loses
// (allocated blocks, measured by walking it), `system df` must say so
// beforehand, and pruning everything must leave the data root empty.

// diskSlack is what filesystem metadata may move besides the pruned data:
// directories shrinking, index files rewritten.
const diskSlack = 24 << 10

// rootBytes is the data root's allocated size, each inode once.
func rootBytes(t *testing.T, d *daemon) int64 {
	t.Helper()
	var total int64
	seen := map[uint64]bool{}
	filepath.WalkDir(d.dataRoot, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil
		}
		st := info.Sys().(*syscall.Stat_t)
		if !seen[st.Ino] {
			seen[st.Ino] = true
			total += st.Blocks * 512
		}
		return nil
	})
	return total
}

// diskUsage is GET /system/df in the current API shape (exact numbers).
func diskUsage(t *testing.T, d *daemon) system.DiskUsage {
	t.Helper()
	code, body, _ := apiCall(t, d, http.MethodGet, "/v1.56/system/df?verbose=1", "", nil)
	if code != http.StatusOK {
		t.Fatalf("system df: %d %s", code, body)
	}
	var du system.DiskUsage
	if err := json.Unmarshal([]byte(body), &du); err != nil {
		t.Fatal(err)
	}
	return du
}

var reclaimedLine = regexp.MustCompile(`Total reclaimed space: (\S+)`)

// reportedBytes reads the docker CLI's "Total reclaimed space" (decimal
// units, 4 significant digits).
func reportedBytes(t *testing.T, out string) int64 {
	t.Helper()
	m := reclaimedLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no reclaimed space in:\n%s", out)
	}
	n, err := units.FromHumanSize(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkPrune runs a docker prune and compares what it reported, what df
// announced as reclaimable and what the data root lost.
func checkPrune(t *testing.T, d *daemon, what string, reclaimable int64, args ...string) int64 {
	t.Helper()
	before := rootBytes(t, d)
	out := d.must(t, args...)
	freed := before - rootBytes(t, d)
	reported := reportedBytes(t, out)
	t.Logf("%s: df reclaimable %d, reported %d, freed on disk %d", what, reclaimable, reported, freed)
	near := func(a, b int64) bool { // human size keeps 4 digits
		diff := a - b
		if diff < 0 {
			diff = -diff
		}
		return diff <= diskSlack+b/500
	}
	if !near(reported, freed) {
		t.Fatalf("%s reported %d bytes but the data root lost %d:\n%s", what, reported, freed, out)
	}
	if reclaimable >= 0 && !near(reclaimable, freed) {
		t.Fatalf("%s: system df said %d reclaimable, prune freed %d", what, reclaimable, freed)
	}
	return freed
}

func TestDiskPrunesGiveBackWhatTheyReport(t *testing.T) {
	d := startDaemon(t)
	empty := rootBytes(t, d)
	d.busybox(t)
	reg := startPullRegistry(t, "")

	// Containers: stopped ones with logs (one rotated) and rw data, one running.
	d.must(t, "run", "--name", "logs", "busybox", "sh", "-c", "seq 1 150000; dd if=/dev/urandom of=/data bs=1M count=2 2>/dev/null")
	d.must(t, "run", "--name", "rotated", "--log-opt", "max-size=64k", "--log-opt", "max-file=3", "busybox", "seq", "1", "60000")
	running := d.runD(t, "busybox", "sh", "-c", "dd if=/dev/urandom of=/keep bs=1M count=1 2>/dev/null; sleep 600")
	d.must(t, "volume", "create", "data")
	d.must(t, "run", "--rm", "-v", "data:/d", "busybox", "dd", "if=/dev/urandom", "of=/d/blob", "bs=1M", "count=2")
	d.must(t, "network", "create", "scratch")

	// Images: a build (with its cache), a push (gzip form of an imported
	// layer) and a pull of it back under another name.
	ctx := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN dd if=/dev/urandom of=/big bs=1M count=3 2>/dev/null\nCOPY f /f\n",
		"f":          strings.Repeat("x", 200000),
	})
	mustBuild(t, d.dockerBuild("-t", "built", ctx))
	ref := reg.Addr + "/disk/bb:v1"
	d.must(t, "tag", "busybox", ref)
	d.must(t, "push", ref)
	d.must(t, "rmi", ref)
	d.must(t, "pull", ref)

	du := diskUsage(t, d)
	if du.ContainerUsage.TotalCount != 3 || du.ContainerUsage.ActiveCount != 1 {
		t.Fatalf("containers in df: %+v", du.ContainerUsage)
	}
	var logsSize int64
	for _, c := range du.ContainerUsage.Items {
		if strings.TrimPrefix(c.Names[0], "/") == "logs" {
			logsSize = c.SizeRw
		}
	}
	// 2 MiB of rw data and about 1 MB of log lines, both counted.
	if logsSize < 2<<20+900_000 {
		t.Fatalf("container with rw data and logs counted as %d bytes", logsSize)
	}
	if du.BuildCacheUsage.Reclaimable != 0 {
		t.Fatalf("build cache whose layers the image holds is reclaimable: %+v", du.BuildCacheUsage)
	}
	dockerDF := d.must(t, "system", "df")
	t.Logf("docker system df:\n%s", dockerDF)
	dfv := d.must(t, "system", "df", "-v")
	if !strings.Contains(dfv, "logs") || !strings.Contains(dfv, "data") || !strings.Contains(dfv, "built") {
		t.Fatalf("system df -v:\n%s", dfv)
	}

	berthDF, _, code := d.berth("system", "df", "--format", "{{.Type}} {{.Reclaimable}}")
	if code != 0 || !strings.Contains(berthDF, "Containers "+units.HumanSize(float64(du.ContainerUsage.Reclaimable))) {
		t.Fatalf("berth system df (want containers reclaimable %d):\n%s", du.ContainerUsage.Reclaimable, berthDF)
	}
	checkPrune(t, d, "container prune", du.ContainerUsage.Reclaimable, "container", "prune", "-f")
	d.must(t, "rm", "-f", running)

	du = diskUsage(t, d)
	if du.ImageUsage.ActiveCount != 0 {
		t.Fatalf("images in use after the containers went: %+v", du.ImageUsage)
	}
	checkPrune(t, d, "image prune -a", du.ImageUsage.Reclaimable, "image", "prune", "-a", "-f")

	du = diskUsage(t, d)
	if du.BuildCacheUsage.Reclaimable < 3<<20 {
		t.Fatalf("build cache after its image went: %+v", du.BuildCacheUsage)
	}
	checkPrune(t, d, "builder prune", du.BuildCacheUsage.Reclaimable, "builder", "prune", "-a", "-f")
	checkPrune(t, d, "volume prune", du.VolumeUsage.TotalSize, "volume", "prune", "-a", "-f")
	if out := d.must(t, "network", "prune", "-f"); !strings.Contains(out, "scratch") {
		t.Fatalf("network prune:\n%s", out)
	}
	assertEmptyRoot(t, d, empty)
}

func TestDiskSystemPruneAllEmptiesTheDataRoot(t *testing.T) {
	d := startDaemon(t)
	empty := rootBytes(t, d)
	d.busybox(t)
	reg := startPullRegistry(t, "")
	d.must(t, "run", "--name", "c1", "busybox", "sh", "-c", "seq 1 100000; dd if=/dev/urandom of=/data bs=1M count=1 2>/dev/null")
	d.must(t, "run", "--name", "c2", "-v", "/anon", "busybox", "dd", "if=/dev/urandom", "of=/anon/x", "bs=1M", "count=1")
	d.must(t, "volume", "create", "named")
	d.must(t, "run", "--rm", "-v", "named:/d", "busybox", "dd", "if=/dev/urandom", "of=/d/blob", "bs=1M", "count=2")
	ctx := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN dd if=/dev/urandom of=/big bs=1M count=2 2>/dev/null\n",
	})
	mustBuild(t, d.dockerBuild("-t", "built", ctx))
	ref := reg.Addr + "/disk/built:v1"
	d.must(t, "tag", "built", ref)
	d.must(t, "push", ref)
	d.must(t, "network", "create", "scratch")

	du := diskUsage(t, d)
	// system prune --volumes takes anonymous volumes only (Docker >= 23),
	// including those of the stopped containers it removes first.
	// Every container is stopped, so all of them, all images (their
	// containers go first) and the whole build cache go.
	want := du.ContainerUsage.TotalSize + du.ImageUsage.TotalSize + du.BuildCacheUsage.TotalSize
	for _, v := range du.VolumeUsage.Items {
		if _, anon := v.Labels["com.docker.volume.anonymous"]; anon {
			want += v.UsageData.Size
		}
	}
	before := rootBytes(t, d)
	out := d.must(t, "system", "prune", "-a", "-f", "--volumes")
	freed := before - rootBytes(t, d)
	reported := reportedBytes(t, out)
	t.Logf("system prune: df reclaimable %d, reported %d, freed %d", want, reported, freed)
	if diff := reported - freed; diff > diskSlack+freed/500 || -diff > diskSlack+freed/500 {
		t.Fatalf("system prune reported %d, the data root lost %d:\n%s", reported, freed, out)
	}
	// df leaves out image records, volume and network files: a few blocks.
	if diff := want - freed; diff > 2*diskSlack || -diff > 2*diskSlack {
		t.Fatalf("system df promised %d reclaimable, system prune freed %d", want, freed)
	}
	if out := d.must(t, "volume", "ls", "-q"); out != "named\n" {
		t.Fatalf("volumes after system prune: %q", out)
	}
	var named int64
	for _, v := range du.VolumeUsage.Items {
		if v.Name == "named" {
			named = v.UsageData.Size
		}
	}
	checkPrune(t, d, "volume prune -a", named, "volume", "prune", "-a", "-f")
	assertEmptyRoot(t, d, empty)
}

// assertEmptyRoot checks that the data root is back at the size it had
// before the test put anything in it, listing any file left.
func assertEmptyRoot(t *testing.T, d *daemon, empty int64) {
	t.Helper()
	var left []string
	filepath.WalkDir(d.dataRoot, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(d.dataRoot, p)
			left = append(left, rel)
		}
		return nil
	})
	sort.Strings(left)
	allowed := regexp.MustCompile(`^(berth\.lock|init-layer/\.dockerenv|image/repositories\.json|builder/index\.json|networks/[0-9a-f]+\.json|.*\.log)$`) // the daemon's own files
	var stray []string
	for _, f := range left {
		if !allowed.MatchString(f) {
			stray = append(stray, f)
		}
	}
	now := rootBytes(t, d)
	if len(stray) > 0 || now-empty > 64<<10 {
		t.Fatalf("after pruning everything the data root holds %d bytes (empty: %d); files left: %v", now, empty, stray)
	}
	if _, err := os.Stat(filepath.Join(d.dataRoot, "containers")); err == nil {
		if ents, _ := os.ReadDir(filepath.Join(d.dataRoot, "containers")); len(ents) > 0 {
			t.Fatalf("container dirs left: %v", ents)
		}
	}
}
