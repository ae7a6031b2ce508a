package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// cgroupUint reads a cgroup v1 file holding one number.
func cgroupUint(t testing.TB, ctrl, id, file string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(cgroupFile(t, ctrl, id, file), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func cgroupStat(t testing.TB, id, key string) uint64 {
	t.Helper()
	f, err := os.Open(filepath.Join("/sys/fs/cgroup/memory/berth", id, "memory.stat"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, _ := strings.Cut(sc.Text(), " "); k == key {
			n, _ := strconv.ParseUint(v, 10, 64)
			return n
		}
	}
	return 0
}

func TestEventsOfEverything(t *testing.T) {
	d := sharedDaemon(t)
	name := uniqueName(t)
	img := name + "-img"
	since := time.Now().Add(-time.Second).Format(time.RFC3339Nano)

	// --until in the future streams live events until then, then exits.
	liveUntil := time.Now().Add(4 * time.Second).Format(time.RFC3339Nano)
	live := exec.Command(dockerCLI, "events", "--until", liveUntil, "--filter", "container="+name, "--format", "{{.Action}}")
	live.Env = d.dockerEnv()
	liveOut := &strings.Builder{}
	live.Stdout = liveOut
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)

	id := d.runD(t, "--name", name, "-t", "busybox", "sleep", "300")
	if code, body, _ := apiCall(t, d, "POST", "/containers/"+name+"/resize?h=30&w=100", "", nil); code != 200 {
		t.Fatalf("resize: %d %s", code, body)
	}
	fg := name + "-fg"
	d.must(t, "run", "--name", fg, "busybox", "true")
	d.rmOnCleanup(t, fg)
	d.must(t, "top", name)
	d.must(t, "exec", name, "true")
	d.must(t, "pause", name)
	d.must(t, "unpause", name)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "f"), []byte("x"), 0o644)
	d.must(t, "cp", filepath.Join(host, "f"), name+":/tmp/f")
	d.must(t, "cp", name+":/tmp/f", filepath.Join(host, "back"))
	d.must(t, "update", "--cpu-shares", "512", name)
	d.must(t, "commit", name, img)
	d.must(t, "export", "-o", filepath.Join(host, "rootfs.tar"), name)
	d.must(t, "rename", name, name+"-new")
	d.must(t, "rename", name+"-new", name)
	d.must(t, "restart", "-t", "1", name)
	d.must(t, "kill", name)
	d.must(t, "wait", name)
	d.must(t, "rm", name)

	imgID := strings.TrimSpace(d.must(t, "image", "inspect", "-f", "{{.ID}}", img))
	d.must(t, "tag", img, img+":v2")
	d.must(t, "save", "-o", filepath.Join(host, "img.tar"), img+":v2")
	d.must(t, "rmi", img+":v2")
	d.must(t, "load", "-i", filepath.Join(host, "img.tar"))
	d.must(t, "import", filepath.Join(host, "rootfs.tar"), img+":imported")
	d.must(t, "rmi", img, img+":v2", img+":imported")

	if err := live.Wait(); err != nil {
		t.Fatalf("events --until: %v", err)
	}
	until := time.Now().Format(time.RFC3339Nano)
	actions := strings.Split(strings.TrimSpace(d.must(t, "events", "--since", since, "--until", until,
		"--filter", "container="+id, "--format", "{{.Action}}")), "\n")
	verbs := map[string]bool{}
	for _, a := range actions {
		v, _, _ := strings.Cut(a, ":")
		verbs[v] = true
	}
	for _, want := range []string{"create", "start", "resize", "top", "exec_create", "exec_start", "exec_die", "pause", "unpause",
		"extract-to-dir", "archive-path", "update", "commit", "export", "rename", "kill", "die", "stop", "restart", "destroy"} {
		if !verbs[want] {
			t.Errorf("no container %q event; got %v", want, actions)
		}
	}
	// API 1.50 (the docker CLI 28) still carries the pre-1.22 members.
	if got := d.must(t, "events", "--since", since, "--until", until, "--filter", "container="+id, "--filter", "event=start", "--format", "{{.Status}} {{.ID}} {{.From}}"); !strings.HasPrefix(got, "start "+id+" busybox\n") {
		t.Errorf("legacy status/id/from: %q", got)
	}
	if got := d.must(t, "events", "--since", since, "--until", until, "--filter", "container="+fg, "--filter", "event=attach", "--format", "{{.Action}}"); got != "attach\n" {
		t.Errorf("docker run attaches: %q", got)
	}
	if !slices.Contains(actions, "exec_start: true") {
		t.Errorf("exec_start carries the command: %v", actions)
	}
	// The live stream saw the same container's first events and ended at --until.
	if got := liveOut.String(); !strings.HasPrefix(got, "create\n") || !strings.Contains(got, "start\n") {
		t.Errorf("live events until a future time: %q", got)
	}

	// As Docker: the actor is the image ID; "name" is the new tag for a tag
	// event and the ID again for the others (so image=NAME finds tags only).
	imgEvents := d.must(t, "events", "--since", since, "--until", until, "--filter", "type=image",
		"--filter", "image="+imgID, "--format", "{{.Action}} {{.Actor.Attributes.name}}")
	for _, want := range []string{"create " + imgID, "tag " + img + ":latest", "tag " + img + ":v2", "save " + imgID, "untag " + imgID, "load " + imgID} {
		if !strings.Contains(imgEvents, want+"\n") {
			t.Errorf("no %q event in:\n%s", want, imgEvents)
		}
	}
	if got := d.must(t, "events", "--since", since, "--until", until, "--filter", "container="+id, "--filter", "event=commit",
		"--format", `{{index .Actor.Attributes "imageID"}} {{index .Actor.Attributes "imageRef"}}`); got != imgID+" "+img+":latest\n" {
		t.Errorf("commit event: %q", got)
	}
	importEvents := d.must(t, "events", "--since", since, "--until", until, "--filter", "type=image", "--filter", "event=tag",
		"--filter", "event=import", "--format", "{{.Action}} {{.Actor.Attributes.name}}")
	if !strings.Contains(importEvents, "tag "+img+":imported\nimport sha256:") {
		t.Errorf("import: a tag event, then import: %q", importEvents)
	}
	// As Docker, a delete event names the image by its ID only.
	if got := d.must(t, "events", "--since", since, "--until", until, "--filter", "image="+imgID, "--filter", "event=delete", "--format", "{{.Action}} {{.Actor.ID}}"); got != "delete "+imgID+"\n" {
		t.Errorf("delete event: %q", got)
	}
	imports := d.must(t, "events", "--since", since, "--until", until, "--filter", "event=import", "--format", "{{json .}}")
	if !strings.Contains(imports, `"Action":"import"`) || !strings.Contains(imports, `"Type":"image"`) {
		t.Errorf("import event as JSON: %s", imports)
	}
	// Filters combine: only die events of this container, with their exit code.
	dies := d.must(t, "events", "--since", since, "--until", until, "--filter", "container="+id, "--filter", "event=die",
		"--format", `{{.Actor.Attributes.name}} {{index .Actor.Attributes "exitCode"}}{{if not (index .Actor.Attributes "execDuration")}} no-execDuration{{end}}`)
	if lines := strings.Split(strings.TrimSpace(dies), "\n"); len(lines) != 2 || lines[1] != name+" 137" {
		t.Errorf("die events: %q", dies)
	}
}

func TestStatsNoStreamMatchesDockerAndCgroup(t *testing.T) {
	requireCgroupV1(t)
	d := sharedDaemon(t)
	name := uniqueName(t)
	// 16 MiB in tmpfs is charged to the container's memory cgroup as shmem.
	// No network: a bridge's background traffic (neighbour discovery) would
	// move the NET I/O counters between the two CLIs' reads.
	id := d.runD(t, "--name", name, "--network", "none", "busybox", "sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=16 2>/dev/null; sleep 300 & sleep 300 & wait")
	idle := uniqueName(t)
	d.runD(t, "--name", idle, "--network", "none", "busybox", "sleep", "300")
	stopped := uniqueName(t)
	d.must(t, "create", "--name", stopped, "busybox", "true")
	d.rmOnCleanup(t, stopped)
	waitFor(t, 10*time.Second, "the memory to be charged", func() bool {
		return cgroupUint(t, "memory", id, "memory.usage_in_bytes") > 16<<20
	})

	format := "{{.Name}}|{{.MemUsage}}|{{.PIDs}}|{{.NetIO}}"
	dockerOut := d.must(t, "stats", "--no-stream", "--format", format, name, idle)
	berthOut, errOut, code := d.berth("stats", "--no-stream", "--format", format, name, idle)
	if code != 0 {
		t.Fatalf("berth stats: %s", errOut)
	}
	parse := func(out string) map[string][]string {
		rows := map[string][]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Split(line, "|")
			rows[f[0]] = f
		}
		return rows
	}
	dr, br := parse(dockerOut), parse(berthOut)
	for _, n := range []string{name, idle} {
		if len(dr[n]) != 4 || len(br[n]) != 4 {
			t.Fatalf("rows for %s: docker %q berth %q", n, dockerOut, berthOut)
		}
		dUse, dLim, _ := strings.Cut(dr[n][1], " / ")
		bUse, bLim, _ := strings.Cut(br[n][1], " / ")
		if dLim != bLim || dr[n][2] != br[n][2] || dr[n][3] != br[n][3] {
			t.Errorf("%s: docker %v, berth %v", n, dr[n], br[n])
		}
		if n == name && (!strings.HasSuffix(dUse, "MiB") || !strings.HasSuffix(bUse, "MiB")) {
			t.Errorf("16 MiB in tmpfs shows as %s (docker) / %s (berth)", dUse, bUse)
		}
	}
	if br[name][2] != "3" {
		t.Errorf("PIDS of sh + 2 sleeps = %s", br[name][2])
	}
	// The number is the cgroup's usage minus its inactive file cache.
	want := float64(cgroupUint(t, "memory", id, "memory.usage_in_bytes")-cgroupStat(t, id, "total_inactive_file")) / (1 << 20)
	got, _ := strconv.ParseFloat(strings.TrimSuffix(strings.Split(br[name][1], " / ")[0], "MiB"), 64)
	if got < want*0.9 || got > want*1.1 {
		t.Errorf("MEM USAGE %.1fMiB, cgroup says %.1fMiB", got, want)
	}

	// Default table: docker's header and columns; -a adds stopped containers with zeros.
	table, _, _ := d.berth("stats", "--no-stream", "-a")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if !regexp.MustCompile(`^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE / LIMIT\s+MEM %\s+NET I/O\s+BLOCK I/O\s+PIDS$`).MatchString(lines[0]) {
		t.Errorf("header: %q", lines[0])
	}
	found := false
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > 1 && f[1] == stopped {
			found = strings.Contains(l, "0.00%") && strings.HasSuffix(l, " 0")
		}
	}
	if !found {
		t.Errorf("stats -a lacks the stopped container with zeros:\n%s", table)
	}
	if _, errOut, code := d.berth("stats", "--no-stream", "no-such-ctr"); code == 0 || !strings.Contains(errOut, "No such container: no-such-ctr") {
		t.Errorf("missing container: %d %q", code, errOut)
	}
}

func TestStatsStreams(t *testing.T) {
	d := sharedDaemon(t)
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sh", "-c", "while :; do :; done")
	for _, cli := range []struct {
		bin string
		env []string
	}{{berthBin(), d.berthEnv()}, {dockerCLI, d.dockerEnv()}} {
		cmd := exec.Command(cli.bin, "stats", "--format", "{{.Name}} {{.CPUPerc}}", name)
		cmd.Env = cli.env
		out := &syncBuffer{}
		cmd.Stdout = out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3500 * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		// Redrawn every second (docker: twice); once two samples exist the busy loop shows CPU.
		s := out.String()
		if frames := strings.Count(s, "\033[H"); frames < 2 {
			t.Fatalf("%s: %d frames: %q", cli.bin, frames, s)
		}
		last := strings.TrimSpace(s[strings.LastIndex(s, "\033[H")+3:])
		last = strings.TrimPrefix(strings.Split(last, "\n")[0], name+" ")
		var pct float64
		fmt.Sscanf(last, "%f%%", &pct)
		if pct < 10 {
			t.Errorf("%s: a busy loop at %.2f%% CPU: %q", cli.bin, pct, last)
		}
	}
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func scrapeMetrics(t testing.TB, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// sample finds the value of family name's series whose labels include want.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for _, l := range m.Label {
			if v, ok := want[l.GetName()]; ok && v != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestMetricsScrapeMatchesCgroup(t *testing.T) {
	requireCgroupV1(t)
	addr := freePort(t)
	d := startDaemon(t, "--metrics-addr", addr)
	img := d.busybox(t)
	name := uniqueName(t)
	id := d.runD(t, "--name", name, "--label", "com.docker.compose.project=shop",
		"--health-cmd", "true", "--health-interval", "200ms", img,
		"sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=8 2>/dev/null; sleep 300")
	d.must(t, "create", "--name", name+"-created", img, "true")
	waitFor(t, 10*time.Second, "healthy", func() bool { return d.inspect(t, name, "{{.State.Health.Status}}") == "healthy" })
	d.must(t, "ps")

	fams := scrapeMetrics(t, addr)
	sel := map[string]string{"name": name, "image": img, "compose_project": "shop", "id": id}
	get := func(metric string, extra ...string) float64 {
		t.Helper()
		want := map[string]string{}
		for k, v := range sel {
			want[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			want[extra[i]] = extra[i+1]
		}
		v, ok := sample(fams, metric, want)
		if !ok {
			t.Fatalf("no %s for %v", metric, want)
		}
		return v
	}
	mem := get("berth_container_memory_usage_bytes")
	cg := float64(cgroupUint(t, "memory", id, "memory.usage_in_bytes"))
	if mem < 8<<20 || mem < cg*0.9 || mem > cg*1.1 {
		t.Errorf("memory usage %v, cgroup %v", mem, cg)
	}
	if lim := get("berth_container_memory_limit_bytes"); lim <= 0 {
		t.Errorf("memory limit %v", lim)
	}
	if pids := get("berth_container_pids"); pids != float64(cgroupUint(t, "pids", id, "pids.current")) {
		t.Errorf("pids %v", pids)
	}
	cpu := get("berth_container_cpu_usage_seconds_total")
	if after := float64(cgroupUint(t, "cpuacct", id, "cpuacct.usage")) / 1e9; cpu <= 0 || cpu > after {
		t.Errorf("cpu seconds %v, cgroup now %v", cpu, after)
	}
	if h := get("berth_container_health_status", "status", "healthy"); h != 1 {
		t.Errorf("health %v", h)
	}
	get("berth_container_blkio_read_bytes_total")
	get("berth_container_restarts_total")
	get("berth_container_oom_kills_total")
	if n, _ := sample(fams, "berth_containers", map[string]string{"state": "running"}); n != 1 {
		t.Errorf("running containers %v", n)
	}
	if n, _ := sample(fams, "berth_containers", map[string]string{"state": "created"}); n != 1 {
		t.Errorf("created containers %v", n)
	}
	if n, ok := sample(fams, "berth_api_request_duration_seconds", map[string]string{"route": "GET /containers/json", "status": "200"}); !ok || n < 1 {
		t.Errorf("API latency of ps: %v %v", n, ok)
	}
	if n, _ := sample(fams, "berth_events_total", map[string]string{"type": "container", "action": "health_status"}); n < 1 {
		t.Errorf("health_status events counted: %v", n)
	}

	// A container killed for memory: an oom event, counted per container.
	hog := uniqueName(t)
	d.rmOnCleanup(t, hog)
	if r := d.dk("run", "--name", hog, "-m", "32m", "--memory-swap", "32m", img, "sh", "-c", "dd if=/dev/zero of=/dev/shm/x bs=1M count=100"); r.Code != 137 {
		t.Fatalf("memory hog: %s", r)
	}
	if d.inspect(t, hog, "{{.State.OOMKilled}}") != "true" {
		t.Skip("the kernel did not OOM-kill the hog here; OOM accounting untested")
	}
	hogID := d.inspect(t, hog, "{{.Id}}")
	waitFor(t, 5*time.Second, "the OOM kill in the metrics", func() bool {
		v, _ := sample(scrapeMetrics(t, addr), "berth_container_oom_kills_total", map[string]string{"id": hogID})
		return v == 1
	})
}

// Without arguments the live view follows containers that start and stop.
func TestStatsLiveViewFollowsContainers(t *testing.T) {
	d := sharedDaemon(t)
	cmd := exec.Command(berthBin(), "stats", "--format", "{{.Name}}")
	cmd.Env = d.berthEnv()
	out := &syncBuffer{}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lastFrame := func() string {
		s := out.String()
		return s[strings.LastIndex(s, "\033[H")+1:]
	}
	time.Sleep(500 * time.Millisecond)
	name := uniqueName(t)
	d.runD(t, "--name", name, "busybox", "sleep", "300")
	waitFor(t, 10*time.Second, "the new container in the view", func() bool { return strings.Contains(lastFrame(), name+"\n") })
	d.must(t, "rm", "-f", name)
	waitFor(t, 10*time.Second, "the removed container to leave the view", func() bool { return !strings.Contains(lastFrame(), name+"\n") })
}

// syncBuffer is a strings.Builder safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
