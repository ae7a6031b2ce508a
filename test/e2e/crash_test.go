package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestKill9DuringOperations is the crash torture test: in each cycle a few
// workers drive a mix of operations (create, run -d, run --rm, start/stop,
// rm -f, rename, commit, tag/rmi, import, volume and network create/rm,
// exec) through the docker CLI while the daemon is SIGKILLed after a random
// delay; the daemon is then restarted on the same roots and the invariants
// are checked: everything listed inspects, nothing whose operation had
// answered success is lost (or back, for removals), no name is held twice,
// running containers kept running, the log reports no unreadable record. At
// the end everything is removed and the data root must be empty.
//
// BERTH_CRASH_SEED replays a run (the seed is logged); BERTH_CRASH_CYCLES
// sets the number of cycles (default 20); BERTH_CRASH_KEEPLOG=FILE keeps
// the daemon's whole log.
func TestKill9DuringOperations(t *testing.T) {
	d := startDaemon(t)
	if keep := os.Getenv("BERTH_CRASH_KEEPLOG"); keep != "" {
		// Runs before the daemon's cleanup removes its directory.
		t.Cleanup(func() {
			if b, err := os.ReadFile(d.logFile); err == nil {
				os.WriteFile(keep, b, 0o644)
			}
		})
	}
	bb := d.busybox(t)

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("BERTH_CRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("BERTH_CRASH_SEED: %v", err)
		}
		seed = v
	}
	cycles := 20
	if s := os.Getenv("BERTH_CRASH_CYCLES"); s != "" {
		cycles, _ = strconv.Atoi(s)
	}
	t.Logf("crash test: seed %d (replay with BERTH_CRASH_SEED=%d), %d cycles, runtime %s", seed, seed, cycles, runtimeBin)

	importTar := filepath.Join(d.dir, "small.tar")
	if err := os.WriteFile(importTar, makeTar(t, []tarEntry{
		{Name: "etc/", Dir: true},
		{Name: "etc/crash-test", Body: "imported\n"},
	}), 0o644); err != nil {
		t.Fatal(err)
	}

	m := newCrashModel()
	const workers = 3
	rnd := rand.New(rand.NewPCG(seed, 0))
	for cycle := range cycles {
		delay := time.Duration(10+rnd.IntN(391)) * time.Millisecond
		var killed atomic.Bool
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cw := &crashWorker{d: d, m: m, w: w, bb: bb, tar: importTar,
					rnd: rand.New(rand.NewPCG(seed, uint64(1000*(cycle+1)+w)))}
				for !killed.Load() {
					cw.step(&killed)
				}
			}()
		}
		time.Sleep(delay)
		killed.Store(true)
		d.kill9(t)
		wg.Wait()
		t.Logf("cycle %d: killed after %s; %s", cycle, delay, m.summary())
		if err := d.start(); err != nil {
			t.Fatalf("cycle %d (seed %d): daemon did not come back: %v", cycle, seed, err)
		}
		checkCrashInvariants(t, d, m, fmt.Sprintf("cycle %d (seed %d)", cycle, seed))
	}

	// The end: the daemon removes everything and leaves nothing behind.
	removeEverything(t, d)
	d.kill9(t)
	if err := d.start(); err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, d)
}

// crashState is what the test knows of a name: present, absent, or unknown
// (an operation on it was in flight when the daemon died, or failed).
type crashState int

const (
	unknown crashState = iota
	present
	absent
)

type crashCtr struct {
	st      crashState
	id      string // when known
	running crashState
	ran     bool // an `exit 3` container whose run -d answered
	hello   bool // a container whose run -d answered: it logged its hello line
	policy  string
}

type crashModel struct {
	mu   sync.Mutex
	ctrs map[string]*crashCtr
	imgs map[string]crashState // repo:tag
	vols map[string]crashState
	nets map[string]crashState
	seq  int
}

func newCrashModel() *crashModel {
	return &crashModel{ctrs: map[string]*crashCtr{}, imgs: map[string]crashState{}, vols: map[string]crashState{}, nets: map[string]crashState{}}
}

func (m *crashModel) next(prefix string, w int) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	return fmt.Sprintf("%s%d-%d", prefix, w, m.seq)
}

func (m *crashModel) summary() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	count := func(st crashState, all map[string]crashState) int {
		n := 0
		for _, s := range all {
			if s == st {
				n++
			}
		}
		return n
	}
	cs := map[string]crashState{}
	for n, c := range m.ctrs {
		cs[n] = c.st
	}
	return fmt.Sprintf("containers %d present/%d unknown, images %d/%d, volumes %d/%d, networks %d/%d",
		count(present, cs), count(unknown, cs), count(present, m.imgs), count(unknown, m.imgs),
		count(present, m.vols), count(unknown, m.vols), count(present, m.nets), count(unknown, m.nets))
}

// pick returns a random name of worker w's in the map (any state but absent), or "".
func pickName[V any](rnd *rand.Rand, prefix string, all map[string]V, ok func(V) bool) string {
	var names []string
	for n, v := range all {
		if strings.HasPrefix(n, prefix) && ok(v) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return names[rnd.IntN(len(names))]
}

type crashWorker struct {
	d   *daemon
	m   *crashModel
	w   int
	bb  string
	tar string
	rnd *rand.Rand
}

func (cw *crashWorker) ctr(st crashState) string {
	cw.m.mu.Lock()
	defer cw.m.mu.Unlock()
	return pickName(cw.rnd, fmt.Sprintf("c%d-", cw.w), cw.m.ctrs, func(c *crashCtr) bool { return c.st == st })
}

func (cw *crashWorker) runningCtr() string {
	cw.m.mu.Lock()
	defer cw.m.mu.Unlock()
	return pickName(cw.rnd, fmt.Sprintf("c%d-", cw.w), cw.m.ctrs, func(c *crashCtr) bool { return c.st == present && c.running == present })
}

func (cw *crashWorker) pick(prefix string, all map[string]crashState) string {
	cw.m.mu.Lock()
	defer cw.m.mu.Unlock()
	return pickName(cw.rnd, fmt.Sprintf("%s%d-", prefix, cw.w), all, func(s crashState) bool { return s == present })
}

func (cw *crashWorker) setCtr(name string, fn func(c *crashCtr)) {
	cw.m.mu.Lock()
	defer cw.m.mu.Unlock()
	c := cw.m.ctrs[name]
	if c == nil {
		c = &crashCtr{}
		cw.m.ctrs[name] = c
	}
	fn(c)
}

func (cw *crashWorker) set(all map[string]crashState, name string, st crashState) {
	cw.m.mu.Lock()
	defer cw.m.mu.Unlock()
	all[name] = st
}

// step runs one random operation and records its outcome in the model:
// before the call the names it touches become unknown, after a success
// their new state.
func (cw *crashWorker) step(killed *atomic.Bool) {
	d := cw.d
	ok := func(r result) bool {
		if r.Code != 0 && !killed.Load() {
			// Not an assertion (the kill may be a moment away): a clue when
			// the model and the daemon disagree later.
			d.logNote("crash worker %d: %s", cw.w, firstLine(r.Stderr))
		}
		return r.Code == 0
	}
	switch op := cw.rnd.IntN(16); op {
	case 0, 1: // create
		name := cw.m.next("c", cw.w)
		cw.setCtr(name, func(c *crashCtr) { c.st, c.running = unknown, unknown })
		if r := d.dk("create", "--name", name, cw.bb, "sleep", "300"); ok(r) {
			cw.setCtr(name, func(c *crashCtr) { c.st, c.id, c.running = present, strings.TrimSpace(r.Stdout), absent })
		}
	case 2, 3: // run -d, sometimes with a volume or on a network
		name := cw.m.next("c", cw.w)
		args := []string{"run", "-d", "--name", name}
		if v := cw.pick("v", cw.m.vols); v != "" && cw.rnd.IntN(3) == 0 {
			args = append(args, "-v", v+":/data")
		}
		if n := cw.pick("n", cw.m.nets); n != "" && cw.rnd.IntN(3) == 0 {
			args = append(args, "--network", n)
		}
		policy := "no"
		if cw.rnd.IntN(3) == 0 {
			policy = "unless-stopped"
		}
		args = append(args, "--restart", policy)
		cw.setCtr(name, func(c *crashCtr) { c.st, c.running = unknown, unknown })
		if r := d.dk(append(args, cw.bb, "sh", "-c", "echo hello-$HOSTNAME; exec sleep 300")...); ok(r) {
			cw.setCtr(name, func(c *crashCtr) {
				c.st, c.id, c.running, c.hello, c.policy = present, strings.TrimSpace(r.Stdout), present, true, policy
			})
		}
	case 4: // run --rm (its own prefix: a --rm container may go any time, no other op picks it)
		name := cw.m.next("r", cw.w)
		cw.setCtr(name, func(c *crashCtr) { c.st, c.running = unknown, unknown })
		if r := d.dk("run", "--rm", "--name", name, cw.bb, "true"); ok(r) {
			cw.setCtr(name, func(c *crashCtr) { c.st, c.running = absent, absent })
		}
	case 5: // start or stop
		name := cw.ctr(present)
		if name == "" {
			return
		}
		verb, after := "start", present
		if cw.rnd.IntN(2) == 0 {
			verb, after = "stop", absent
		}
		cw.setCtr(name, func(c *crashCtr) { c.running = unknown })
		args := []string{verb, name}
		if verb == "stop" {
			args = []string{"stop", "-t", "0", name}
		}
		if r := d.dk(args...); ok(r) {
			cw.setCtr(name, func(c *crashCtr) { c.running = after })
		}
	case 6: // rm -f
		name := cw.ctr(present)
		if name == "" {
			return
		}
		cw.setCtr(name, func(c *crashCtr) { c.st, c.running = unknown, unknown })
		if r := d.dk("rm", "-f", name); ok(r) {
			cw.setCtr(name, func(c *crashCtr) { c.st, c.running = absent, absent })
		}
	case 7: // rename
		old := cw.ctr(present)
		if old == "" {
			return
		}
		cw.m.mu.Lock()
		prev := *cw.m.ctrs[old]
		cw.m.mu.Unlock()
		name := cw.m.next("c", cw.w)
		cw.setCtr(old, func(c *crashCtr) { c.st = unknown })
		cw.setCtr(name, func(c *crashCtr) {
			c.st, c.id, c.running, c.hello, c.policy = unknown, prev.id, prev.running, prev.hello, prev.policy
		})
		if r := d.dk("rename", old, name); ok(r) {
			cw.setCtr(old, func(c *crashCtr) { c.st, c.running = absent, absent })
			cw.setCtr(name, func(c *crashCtr) { c.st = present })
		}
	case 8: // commit
		from := cw.ctr(present)
		if from == "" {
			return
		}
		img := cw.m.next("cm", cw.w) + ":v1"
		cw.set(cw.m.imgs, img, unknown)
		if r := d.dk("commit", from, img); ok(r) {
			cw.set(cw.m.imgs, img, present)
		}
	case 9: // tag
		img := cw.m.next("tg", cw.w) + ":v1"
		cw.set(cw.m.imgs, img, unknown)
		if r := d.dk("tag", cw.bb, img); ok(r) {
			cw.set(cw.m.imgs, img, present)
		}
	case 10: // rmi (tags, commits and imports of this worker)
		var img string
		for _, p := range []string{"tg", "cm", "im"} {
			if img = cw.pick(p, cw.m.imgs); img != "" && cw.rnd.IntN(2) == 0 {
				break
			}
		}
		if img == "" {
			return
		}
		cw.set(cw.m.imgs, img, unknown)
		if r := d.dk("rmi", img); ok(r) {
			cw.set(cw.m.imgs, img, absent)
		}
	case 11: // import a small tar
		img := cw.m.next("im", cw.w) + ":v1"
		cw.set(cw.m.imgs, img, unknown)
		if r := d.dk("import", cw.tar, img); ok(r) {
			cw.set(cw.m.imgs, img, present)
		}
	case 12: // volume create or rm
		if v := cw.pick("v", cw.m.vols); v != "" && cw.rnd.IntN(2) == 0 {
			cw.set(cw.m.vols, v, unknown)
			if r := d.dk("volume", "rm", v); ok(r) {
				cw.set(cw.m.vols, v, absent)
			}
			return
		}
		v := cw.m.next("v", cw.w)
		cw.set(cw.m.vols, v, unknown)
		if r := d.dk("volume", "create", v); ok(r) {
			cw.set(cw.m.vols, v, present)
		}
	case 13: // network create or rm
		if n := cw.pick("n", cw.m.nets); n != "" && cw.rnd.IntN(2) == 0 {
			cw.set(cw.m.nets, n, unknown)
			if r := d.dk("network", "rm", n); ok(r) {
				cw.set(cw.m.nets, n, absent)
			}
			return
		}
		n := cw.m.next("n", cw.w)
		cw.set(cw.m.nets, n, unknown)
		if r := d.dk("network", "create", n); ok(r) {
			cw.set(cw.m.nets, n, present)
		}
	case 15: // run -d of a container that exits 3 at once (only ever inspected)
		name := cw.m.next("x", cw.w)
		cw.setCtr(name, func(c *crashCtr) { c.st, c.running = unknown, unknown })
		if r := d.dk("run", "-d", "--name", name, cw.bb, "sh", "-c", "exit 3"); ok(r) {
			cw.setCtr(name, func(c *crashCtr) { c.st, c.id, c.ran = present, strings.TrimSpace(r.Stdout), true })
		}
	case 14: // exec
		name := cw.runningCtr()
		if name == "" {
			return
		}
		ok(d.dk("exec", name, "true"))
	default:
		panic(op)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// logNote appends a line to the daemon's log file, so the test's view of
// events lines up with the daemon's.
func (d *daemon) logNote(format string, args ...any) {
	f, err := os.OpenFile(d.logFile, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "=== e2e note: "+format+"\n", args...)
}

type crashInspect struct {
	ID    string
	Name  string
	State struct {
		Status   string
		Running  bool
		Pid      int
		ExitCode int
	}
	HostConfig struct {
		RestartPolicy struct{ Name string }
	}
}

// listed runs a listing command that must answer and returns its fields.
func listed(t *testing.T, d *daemon, what string, args ...string) []string {
	t.Helper()
	r := d.dk(args...)
	if r.Code != 0 {
		t.Fatalf("%s: docker %s: %s", what, strings.Join(args, " "), r)
	}
	return strings.Fields(r.Stdout)
}

// badLogLine matches what the daemon logs when it drops or cannot read a
// record at start-up.
var badLogLine = regexp.MustCompile(`(?i)unreadable|corrupt|skipping|level=ERROR`)

func checkCrashInvariants(t *testing.T, d *daemon, m *crashModel, when string) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s: %s", when, fmt.Sprintf(format, args...))
	}

	// A container whose process exited while the daemon was down or
	// starting shows "running" until its shim reports the exit (it is
	// still draining): a moment, not a state to assert on.
	// Likewise "restarting": a restart policy's start after an exit the
	// daemon learnt of at start-up (e.g. a stop cut off by the kill).
	waitFor(t, 20*time.Second, when+": running containers with live processes, none restarting", func() bool {
		if out, _, code := d.docker("ps", "-aq", "--filter", "status=restarting"); code != 0 || strings.TrimSpace(out) != "" {
			return false
		}
		out, _, code := d.docker("ps", "-q", "--no-trunc")
		if code != 0 || strings.TrimSpace(out) == "" {
			return code == 0
		}
		out, _, code = d.docker(append([]string{"inspect", "-f", "{{.State.Running}} {{.State.Pid}}"}, strings.Fields(out)...)...)
		if code != 0 {
			return false // one exited and was removed (--rm) meanwhile: ask again
		}
		for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) == 2 && f[0] == "true" {
				if pid, _ := strconv.Atoi(f[1]); !pidAlive(pid) {
					return false
				}
			}
		}
		return true
	})

	// Everything listed answers inspect.
	ids := listed(t, d, when, "ps", "-aq", "--no-trunc")
	ctrs := map[string]crashInspect{} // by name without "/"
	if len(ids) > 0 {
		r := d.dk(append([]string{"inspect", "--type", "container"}, ids...)...)
		if r.Code != 0 {
			fail("inspect of listed containers: %s", r)
		}
		var got []crashInspect
		if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
			fail("inspect output: %v", err)
		}
		for _, c := range got {
			name := strings.TrimPrefix(c.Name, "/")
			if prev, dup := ctrs[name]; dup {
				fail("name %q held by two containers: %s and %s", name, prev.ID, c.ID)
			}
			ctrs[name] = c
			switch c.State.Status {
			case "created", "exited":
				if c.State.Running {
					fail("%s: status %s but Running", name, c.State.Status)
				}
			case "running":
				if !pidAlive(c.State.Pid) {
					fail("%s: running with pid %d, which is not alive", name, c.State.Pid)
				}
			default:
				fail("%s: status %q after the restart", name, c.State.Status)
			}
		}
	}
	images := listed(t, d, when, "images", "-aq", "--no-trunc")
	if len(images) > 0 {
		if r := d.dk(append([]string{"image", "inspect", "-f", "{{.ID}}"}, uniq(images)...)...); r.Code != 0 {
			fail("inspect of listed images: %s", r)
		}
	}
	tags := map[string]bool{}
	for _, tg := range listed(t, d, when, "images", "--format", "{{.Repository}}:{{.Tag}}") {
		tags[tg] = true
	}
	vols := listed(t, d, when, "volume", "ls", "-q")
	if len(vols) > 0 {
		if r := d.dk(append([]string{"volume", "inspect", "-f", "{{.Name}}"}, vols...)...); r.Code != 0 {
			fail("inspect of listed volumes: %s", r)
		}
	}
	netNames := map[string]bool{}
	for _, n := range listed(t, d, when, "network", "ls", "--format", "{{.Name}}") {
		if netNames[n] {
			fail("network name %q listed twice", n)
		}
		netNames[n] = true
	}
	if nets := listed(t, d, when, "network", "ls", "-q", "--no-trunc"); len(nets) > 0 {
		if r := d.dk(append([]string{"network", "inspect", "-f", "{{.Name}}"}, nets...)...); r.Code != 0 {
			fail("inspect of listed networks: %s", r)
		}
	}
	// On disk: a directory per listed container and no other; a rootfs
	// mount only for a running one.
	byID := map[string]crashInspect{}
	for _, c := range ctrs {
		byID[c.ID] = c
	}
	ents, _ := os.ReadDir(filepath.Join(d.dataRoot, "containers"))
	for _, e := range ents {
		if _, ok := byID[e.Name()]; !ok && !strings.HasPrefix(e.Name(), ".") {
			fail("data root holds container dir %s, which is not listed", e.Name())
		}
	}
	for _, mp := range mountsUnder(filepath.Join(d.execRoot, "containers")) {
		rel, _ := filepath.Rel(filepath.Join(d.execRoot, "containers"), mp)
		id, _, _ := strings.Cut(rel, "/")
		if c, ok := byID[id]; !ok || !c.State.Running {
			fail("mount %s of a container that is not running (listed %v, %s)", mp, ok, c.State.Status)
		}
	}
	volSet := map[string]bool{}
	for _, v := range vols {
		volSet[v] = true
	}

	// What had answered success is there; what had been removed is gone.
	// Unknown states take what the daemon shows now.
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, c := range m.ctrs {
		got, exists := ctrs[name]
		switch c.st {
		case present:
			if !exists {
				fail("container %s (%s) was created but is gone", name, c.id)
			}
			if c.id != "" && got.ID != c.id {
				fail("container %s is %s, want %s", name, got.ID, c.id)
			}
			if c.running == present && !got.State.Running {
				fail("container %s was running (sleep 300) and is %s (exit %d)", name, got.State.Status, got.State.ExitCode)
			}
			if c.running == absent && got.State.Running {
				fail("container %s was stopped and is running", name)
			}
			if c.policy != "" && got.HostConfig.RestartPolicy.Name != c.policy {
				fail("container %s: restart policy %q, want %q", name, got.HostConfig.RestartPolicy.Name, c.policy)
			}
		case absent:
			if exists {
				fail("container %s was removed but is back (%s, %s)", name, got.ID, got.State.Status)
			}
		}
		if exists && strings.HasPrefix(name, "r") {
			// run --rm cut off: it goes when it exits (or was never
			// started); the test claims nothing about it.
			c.st, c.running = unknown, unknown
		} else if exists {
			c.st, c.id = present, got.ID
			c.running = absent
			if got.State.Running {
				c.running = present
			}
		} else {
			c.st, c.running = absent, absent
		}
	}
	for name, st := range m.imgs {
		switch {
		case st == present && !tags[name]:
			fail("image %s was tagged/committed/imported but is gone", name)
		case st == absent && tags[name]:
			fail("image %s was removed but is back", name)
		}
		m.imgs[name] = map[bool]crashState{true: present, false: absent}[tags[name]]
	}
	for name, st := range m.vols {
		switch {
		case st == present && !volSet[name]:
			fail("volume %s was created but is gone", name)
		case st == absent && volSet[name]:
			fail("volume %s was removed but is back", name)
		}
		m.vols[name] = map[bool]crashState{true: present, false: absent}[volSet[name]]
	}
	for name, st := range m.nets {
		switch {
		case st == present && !netNames[name]:
			fail("network %s was created but is gone", name)
		case st == absent && netNames[name]:
			fail("network %s was removed but is back", name)
		}
		m.nets[name] = map[bool]crashState{true: present, false: absent}[netNames[name]]
	}

	// A container that exited (maybe while the daemon was down) shows
	// its real exit code, once its shim has reported it.
	var exiters []string
	for name, c := range m.ctrs {
		if strings.HasPrefix(name, "x") && c.st == present && c.ran {
			exiters = append(exiters, name)
		}
	}
	if len(exiters) > 0 {
		var last string
		waitFor(t, 20*time.Second, when+": exit codes of exited containers", func() bool {
			r := d.dk(append([]string{"inspect", "-f", "{{.Name}} {{.State.Status}} {{.State.ExitCode}}"}, exiters...)...)
			last = r.Stdout + r.Stderr
			return r.Code == 0 && !strings.Contains(r.Stdout, " running ")
		})
		for line := range strings.SplitSeq(strings.TrimSpace(last), "\n") {
			if f := strings.Fields(line); len(f) != 3 || f[1] != "exited" || f[2] != "3" {
				fail("container that runs `exit 3`: %q, want exited 3", line)
			}
		}
	}
	// A running container's log kept what it wrote.
	var sleepers []string
	for name, c := range m.ctrs {
		if strings.HasPrefix(name, "c") && c.st == present && c.running == present && c.hello {
			sleepers = append(sleepers, name)
		}
	}
	if len(sleepers) > 0 {
		sort.Strings(sleepers)
		name := sleepers[len(sleepers)/2]
		var out string
		if !waitUntil(10*time.Second, func() bool {
			o, e, _ := d.docker("logs", name)
			out = o + e
			return strings.Contains(out, "hello-")
		}) {
			fail("logs of %s: %q, want its hello line", name, out)
		}
	}

	// An image made before the kill still runs.
	img := "busybox:latest"
	var runnable []string
	for name, st := range m.imgs {
		if st == present && !strings.HasPrefix(name, "im") {
			runnable = append(runnable, name)
		}
	}
	if len(runnable) > 0 {
		sort.Strings(runnable)
		img = runnable[len(runnable)/2]
	}
	if r := d.dk("run", "--rm", img, "true"); r.Code != 0 {
		fail("run --rm %s true: %s", img, r)
	}

	// The log of this start-up reports no record it could not read.
	log, err := os.ReadFile(d.logFile)
	if err != nil {
		t.Fatal(err)
	}
	s := string(log)
	if i := strings.LastIndex(s, "\n=== "+time.Now().Format("2006")); i >= 0 {
		s = s[i:]
	}
	for line := range strings.SplitSeq(s, "\n") {
		if badLogLine.MatchString(line) && !strings.HasPrefix(line, "=== e2e note") {
			fail("daemon log: %s", line)
		}
	}
}

func uniq(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || s[i-1] != v {
			out = append(out, v)
		}
	}
	return out
}

// removeEverything removes every container, image, volume and network through the API.
func removeEverything(t *testing.T, d *daemon) {
	t.Helper()
	if ids := listed(t, d, "end", "ps", "-aq"); len(ids) > 0 {
		d.must(t, append([]string{"rm", "-f"}, ids...)...)
	}
	if ids := listed(t, d, "end", "images", "-aq"); len(ids) > 0 {
		d.must(t, append([]string{"rmi", "-f"}, uniq(ids)...)...)
	}
	d.must(t, "volume", "prune", "-a", "-f")
	d.must(t, "network", "prune", "-f")
}

// assertEmpty checks that the daemon lists nothing and that its roots hold no
// container, image, snapshot or volume left behind, and no mount.
func assertEmpty(t *testing.T, d *daemon) {
	t.Helper()
	for _, args := range [][]string{{"ps", "-aq"}, {"images", "-aq"}, {"volume", "ls", "-q"}} {
		if got := listed(t, d, "end", args...); len(got) > 0 {
			t.Errorf("docker %s after removing everything: %v", strings.Join(args, " "), got)
		}
	}
	for _, n := range listed(t, d, "end", "network", "ls", "--format", "{{.Name}}") {
		if n != "bridge" && n != "host" && n != "none" {
			t.Errorf("network %s left after network prune", n)
		}
	}
	if out := d.must(t, "system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Size}}"); strings.Count(out, " 0 0B") < 3 {
		t.Logf("system df after removing everything:\n%s", out)
	}
	for _, dir := range []string{
		filepath.Join(d.dataRoot, "containers"),
		filepath.Join(d.execRoot, "containers"),
		filepath.Join(d.dataRoot, "snapshots"),
		filepath.Join(d.dataRoot, "content", "blobs", "sha256"),
		filepath.Join(d.dataRoot, "image", "records"),
		filepath.Join(d.dataRoot, "image", "tmp"),
		filepath.Join(d.dataRoot, "volumes"),
		filepath.Join(d.execRoot, "network", "netns"),
	} {
		entries, err := os.ReadDir(dir)
		if err != nil && !os.IsNotExist(err) {
			t.Errorf("%s: %v", dir, err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if len(names) > 0 {
			t.Errorf("%s still holds %v after everything was removed", dir, names)
		}
	}
	if recs, _ := filepath.Glob(filepath.Join(d.dataRoot, "networks", "*.json")); len(recs) != 3 {
		t.Errorf("network records left (want bridge, host, none): %v", recs)
	}
	if states, _ := filepath.Glob(filepath.Join(d.execRoot, "network", "*.json")); len(states) > 0 {
		t.Errorf("network states left: %v", states)
	}
	if left := mountsUnder(d.dir); len(left) > 0 {
		t.Errorf("mounts left under %s after everything was removed: %v", d.dir, left)
	}
}

// waitUntil polls cond every 50ms until it holds (true) or timeout passes (false).
func waitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}
