package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

// health reads State.Health through docker inspect.
func (d *daemon) health(t testing.TB, ctr string) *container.Health {
	t.Helper()
	out := d.inspect(t, ctr, "{{json .State.Health}}")
	var h *container.Health
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatalf("State.Health %q: %v", out, err)
	}
	return h
}

func (d *daemon) waitHealth(t testing.TB, ctr string, want container.HealthStatus) *container.Health {
	t.Helper()
	var h *container.Health
	waitFor(t, 20*time.Second, ctr+" to be "+string(want), func() bool {
		h = d.health(t, ctr)
		return h != nil && h.Status == want
	})
	return h
}

func TestHealthTransitionsBothWays(t *testing.T) {
	d := sharedDaemon(t)
	name := uniqueName(t)
	since := time.Now().Add(-time.Second).Format(time.RFC3339Nano)
	d.runD(t, "--name", name,
		"--health-cmd", "test -f /tmp/ok && echo ok || { echo missing >&2; exit 1; }",
		"--health-interval", "200ms", "--health-retries", "2", "--health-timeout", "5s",
		"--health-start-period", "60s", "--health-start-interval", "200ms",
		"busybox", "sleep", "300")

	// Inside the start period failures do not count: still starting.
	waitFor(t, 10*time.Second, "a first probe", func() bool { h := d.health(t, name); return h != nil && len(h.Log) > 0 })
	h := d.health(t, name)
	if h.Status != container.Starting || h.FailingStreak != 0 {
		t.Fatalf("inside the start period: %+v", h)
	}
	if last := h.Log[len(h.Log)-1]; last.ExitCode != 1 || last.Output != "missing\n" || last.End.Before(last.Start) {
		t.Fatalf("probe result: %+v", last)
	}
	if ps := d.must(t, "ps", "--filter", "name="+name, "--format", "{{.Status}}"); !strings.Contains(ps, "(health: starting)") {
		t.Fatalf("ps status while starting: %q", ps)
	}

	d.must(t, "exec", name, "touch", "/tmp/ok")
	h = d.waitHealth(t, name, container.Healthy)
	if last := h.Log[len(h.Log)-1]; last.ExitCode != 0 || last.Output != "ok\n" {
		t.Fatalf("healthy probe: %+v", last)
	}
	if ps := d.must(t, "ps", "--filter", "health=healthy", "--format", "{{.Names}} {{.Status}}"); !strings.Contains(ps, name+" Up") || !strings.Contains(ps, "(healthy)") {
		t.Fatalf("ps --filter health=healthy: %q", ps)
	}

	// Once healthy, the start period no longer shields failures.
	d.must(t, "exec", name, "rm", "/tmp/ok")
	h = d.waitHealth(t, name, container.Unhealthy)
	if h.FailingStreak < 2 || len(h.Log) > 5 {
		t.Fatalf("unhealthy state: streak %d, %d log entries", h.FailingStreak, len(h.Log))
	}
	if ps := d.must(t, "ps", "--filter", "health=unhealthy", "--format", "{{.Names}} {{.Status}}"); !strings.Contains(ps, name) || !strings.Contains(ps, "(unhealthy)") {
		t.Fatalf("ps --filter health=unhealthy: %q", ps)
	}
	if ps := d.must(t, "ps", "-q", "--filter", "name="+name, "--filter", "health=healthy"); strings.TrimSpace(ps) != "" {
		t.Fatalf("an unhealthy container matched health=healthy: %q", ps)
	}
	d.must(t, "exec", name, "touch", "/tmp/ok")
	d.waitHealth(t, name, container.Healthy)

	until := time.Now().Add(time.Second).Format(time.RFC3339Nano)
	got := d.must(t, "events", "--since", since, "--until", until,
		"--filter", "container="+name, "--filter", "event=health_status", "--format", "{{.Action}}")
	want := "health_status: healthy\nhealth_status: unhealthy\nhealth_status: healthy\n"
	if got != want {
		t.Fatalf("health_status events:\n%s\nwant:\n%s", got, want)
	}
	// Probes are execs, with Docker's exec events.
	execs := d.must(t, "events", "--since", since, "--until", until, "--filter", "container="+name, "--filter", "event=exec_die", "--format", "{{.Action}} {{index .Actor.Attributes \"exitCode\"}}")
	if !strings.Contains(execs, "exec_die 1") || !strings.Contains(execs, "exec_die 0") {
		t.Fatalf("probe exec_die events: %q", execs)
	}
	if out := d.must(t, "ps", "--filter", "health=none", "-q", "--filter", "name="+name); strings.TrimSpace(out) != "" {
		t.Fatalf("health=none matched a container with a healthcheck: %q", out)
	}
	if r := d.dk("ps", "--filter", "health=sick"); r.Code == 0 || !strings.Contains(r.Stderr, "Unrecognised filter value for health: sick") {
		t.Fatalf("bad health filter: %s", r)
	}
}

func TestHealthTimeoutKillsProbe(t *testing.T) {
	d := sharedDaemon(t)
	name := uniqueName(t)
	d.runD(t, "--name", name, "--health-cmd", "sleep 30", "--health-timeout", "300ms",
		"--health-interval", "300ms", "--health-retries", "1", "busybox", "sleep", "300")
	h := d.waitHealth(t, name, container.Unhealthy)
	last := h.Log[len(h.Log)-1]
	if last.ExitCode != -1 || last.Output != "Health check exceeded timeout (300ms)" {
		t.Fatalf("timed-out probe: %+v", last)
	}
	// Killed probes leave nothing behind: at most the one in flight runs.
	time.Sleep(time.Second)
	if top := d.must(t, "top", name); strings.Count(top+"\n", " sleep 30\n") > 1 {
		t.Fatalf("timed-out probes still run:\n%s", top)
	}
}

// A probe's output is kept up to 4 KiB, as in Docker, however much it
// writes, and goes through no file (a daemon killed mid-probe would leave
// it behind). A background child that keeps the output open does not hold
// the probe up.
func TestHealthProbeOutput(t *testing.T) {
	d := sharedDaemon(t)
	chatty, bg := uniqueName(t), uniqueName(t)
	d.runD(t, "--name", chatty, "--health-cmd", "head -c 3000000 /dev/zero | tr '\\0' x; exit 1",
		"--health-interval", "300ms", "--health-retries", "1", "busybox", "sleep", "300")
	d.runD(t, "--name", bg, "--health-cmd", "echo started; sleep 60 &",
		"--health-interval", "300ms", "--health-timeout", "30s", "busybox", "sleep", "300")
	if files, _ := filepath.Glob(filepath.Join(d.execRoot, "exec", "probe-*")); len(files) > 0 {
		t.Fatalf("probe output files: %v", files)
	}
	h := d.waitHealth(t, chatty, container.Unhealthy)
	if out := h.Log[len(h.Log)-1].Output; out != strings.Repeat("x", 4096)+"..." {
		t.Fatalf("a chatty probe's output: %d bytes (%.20q...), want 4096 x and ...", len(out), out)
	}
	// Waiting for the child would end the probe at its 30 s timeout, unhealthy.
	h = d.waitHealth(t, bg, container.Healthy)
	if last := h.Log[len(h.Log)-1]; last.Output != "started\n" || last.ExitCode != 0 {
		t.Fatalf("a probe that leaves a child holding its output: %+v", last)
	}
}

func TestHealthcheckFromImageAndNoHealthcheck(t *testing.T) {
	d := sharedDaemon(t)
	base := uniqueName(t)
	img := base + "-img"
	// docker commit keeps the container's healthcheck in the image config:
	// the image then has a HEALTHCHECK, as if built from a Dockerfile.
	d.must(t, "create", "--name", base, "--health-cmd", "cat /etc/hostname", "--health-interval", "200ms", "--health-retries", "1", "busybox", "true")
	d.rmOnCleanup(t, base)
	d.must(t, "commit", base, img)
	if hc := d.must(t, "image", "inspect", "-f", "{{json .Config.Healthcheck.Test}}", img); strings.TrimSpace(hc) != `["CMD-SHELL","cat /etc/hostname"]` {
		t.Fatalf("image healthcheck: %s", hc)
	}
	t.Cleanup(func() { d.docker("rmi", "-f", img) })

	name := uniqueName(t)
	d.runD(t, "--name", name, img, "sleep", "300")
	h := d.waitHealth(t, name, container.Healthy)
	if h.Log[len(h.Log)-1].ExitCode != 0 {
		t.Fatalf("image healthcheck: %+v", h.Log)
	}
	none := uniqueName(t)
	d.runD(t, "--name", none, "--no-healthcheck", img, "sleep", "300")
	time.Sleep(600 * time.Millisecond)
	if got := d.inspect(t, none, "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}"); got != "none" {
		t.Fatalf("--no-healthcheck still probes: %s", got)
	}
	if ps := d.must(t, "ps", "-q", "--filter", "health=none", "--filter", "name="+none); strings.TrimSpace(ps) == "" {
		t.Fatal("health=none does not list the container without a healthcheck")
	}

	// berth's own CLI takes docker's --health-* flags.
	own := uniqueName(t)
	if _, errOut, code := d.berth("run", "-d", "--name", own, "--health-cmd", "exit 1", "--health-interval", "150ms",
		"--health-timeout", "2s", "--health-retries", "2", "--health-start-period", "1m", "--health-start-interval", "100ms",
		"busybox", "sleep", "300"); code != 0 {
		t.Fatalf("berth run --health-*: %s", errOut)
	}
	d.rmOnCleanup(t, own)
	got := d.inspect(t, own, "{{json .Config.Healthcheck}}")
	want := `{"Test":["CMD-SHELL","exit 1"],"Interval":150000000,"Timeout":2000000000,"StartPeriod":60000000000,"StartInterval":100000000,"Retries":2}`
	if got != want {
		t.Fatalf("healthcheck from berth's flags:\n%s\nwant\n%s", got, want)
	}
	if out, _, _ := d.berth("ps", "--filter", "name="+own, "--format", "{{.Status}}"); !strings.Contains(out, "(health: starting)") {
		t.Fatalf("berth ps: %q", out)
	}
}

// The runner stops with the container, restarts with it, and an adopted
// container gets its runner back after a kill -9 of the daemon.
func TestHealthSurvivesRestartAndDaemonKill(t *testing.T) {
	d := startDaemon(t)
	img := d.busybox(t)
	name := uniqueName(t)
	d.runD(t, "--name", name, "--health-cmd", "test -f /tmp/ok", "--health-interval", "200ms", "--health-retries", "1", img, "sleep", "300")
	d.must(t, "exec", name, "touch", "/tmp/ok")
	d.waitHealth(t, name, container.Healthy)

	d.must(t, "stop", "-t", "1", name)
	n := len(d.health(t, name).Log)
	time.Sleep(500 * time.Millisecond)
	if h := d.health(t, name); len(h.Log) != n {
		t.Fatalf("probes ran on a stopped container: %d -> %d", n, len(h.Log))
	}
	d.must(t, "start", name)
	// As Docker: a start begins at "starting" and keeps the earlier probes' log.
	if h := d.health(t, name); (h.Status != container.Starting && h.Status != container.Healthy) || len(h.Log) < n {
		t.Fatalf("after start: %s with %d log entries (had %d)", h.Status, len(h.Log), n)
	}
	d.waitHealth(t, name, container.Healthy)

	d.kill9(t)
	d.restart(t)
	d.must(t, "exec", name, "rm", "/tmp/ok")
	d.waitHealth(t, name, container.Unhealthy)
	d.must(t, "exec", name, "touch", "/tmp/ok")
	d.waitHealth(t, name, container.Healthy)
}
