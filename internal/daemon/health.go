package daemon

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/filters"
	"github.com/berth-dev/berth/internal/health"
	"github.com/berth-dev/berth/internal/runtime"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// healthMonitors holds the probe loop of each running container with a
// HEALTHCHECK.
type healthMonitors struct {
	mu sync.Mutex
	m  map[string]*health.Monitor
}

func (h *healthMonitors) swap(id string, m *health.Monitor) *health.Monitor {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]*health.Monitor{}
	}
	old := h.m[id]
	if m == nil {
		delete(h.m, id)
	} else {
		h.m[id] = m
	}
	return old
}

func (h *healthMonitors) current(id string) *health.Monitor {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.m[id]
}

// startHealth begins probing a container that just started (or was adopted
// after a daemon restart). As Docker, the status starts over at "starting"
// with no failing streak; the log of earlier probes is kept. c.Mu is held.
func (d *Daemon) startHealth(c *container.Container) {
	settings, ok := health.Resolve(c.Config.Healthcheck, c.Config.Shell)
	if !ok {
		c.State.Health = nil
		return
	}
	if c.State.Health == nil {
		c.State.Health = &apicontainer.Health{}
	}
	c.State.Health.Status = apicontainer.Starting
	c.State.Health.FailingStreak = 0
	ready := make(chan struct{})
	var m *health.Monitor
	m = health.Start(settings, c.State.StartedAt, c.State.Health, d.probe(c), func(h *apicontainer.Health, changed bool) {
		<-ready
		d.applyHealth(c, m, h, changed)
	})
	if old := d.healthMonitors.swap(c.ID, m); old != nil {
		old.Stop()
	}
	close(ready)
}

// stopHealth ends c's probe loop (the container stopped or is going away).
func (d *Daemon) stopHealth(id string) {
	if m := d.healthMonitors.swap(id, nil); m != nil {
		m.Stop()
	}
}

// stopAllHealth runs at shutdown; the next daemon starts them again.
func (d *Daemon) stopAllHealth() {
	d.healthMonitors.mu.Lock()
	defer d.healthMonitors.mu.Unlock()
	for id, m := range d.healthMonitors.m {
		m.Stop()
		delete(d.healthMonitors.m, id)
	}
}

// applyHealth stores a probe's outcome; Docker checkpoints every result and
// emits health_status only when the status changes.
func (d *Daemon) applyHealth(c *container.Container, m *health.Monitor, h *apicontainer.Health, changed bool) {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	if d.healthMonitors.current(c.ID) != m || !c.State.Running {
		return
	}
	c.State.Health = h
	if err := d.containers.Save(c); err != nil {
		d.log.Warn("saving health state", "id", c.ID, "err", err)
	}
	if changed {
		d.containerEvent(c, events.Action(string(events.ActionHealthStatus)+": "+string(h.Status)), nil)
	}
}

// probe runs one health check through the exec path: one `RUNTIME exec`
// in the foreground, stdout and stderr into one pipe (the output Docker
// keeps), killed when ctx ends. It emits the exec events Docker emits for
// probes.
func (d *Daemon) probe(c *container.Container) health.ProbeFunc {
	// The process spec is the same for every probe of this run: build it
	// once instead of re-reading the bundle's config.json each time.
	var proc *specs.Process
	return func(ctx context.Context, cmd []string) (int, []byte, error) {
		c.Mu.Lock()
		running, paused, groups := c.State.Running, c.State.Paused, c.HostConfig.GroupAdd
		c.Mu.Unlock()
		if !running {
			return -1, nil, errdefs.Conflict("container %s is not running", c.ID)
		}
		if paused {
			return -1, nil, errdefs.Conflict("container %s is paused, unpause the container before exec", c.ID)
		}
		if proc == nil {
			spec, err := d.loadSpec(c.ID)
			if err != nil {
				return -1, nil, err
			}
			if proc, err = runtime.ExecProcessSpec(spec, spec.Root.Path, &apicontainer.ExecCreateRequest{Cmd: cmd}, groups...); err != nil {
				return -1, nil, err
			}
		}
		// The output comes through a pipe of which only the first
		// MaxOutputLen+1 bytes are kept (Docker keeps 4 KiB too): a chatty
		// probe costs no memory or disk, and a daemon killed mid-probe
		// leaves no file behind.
		pr, pw, err := os.Pipe()
		if err != nil {
			return -1, nil, err
		}
		defer pr.Close()
		defer pw.Close()
		captured := make(chan []byte, 1)
		go func() { captured <- keepHead(pr, health.MaxOutputLen+1) }()
		execID := newID()
		action := strings.Join(cmd, " ")
		attrs := map[string]string{"execID": execID}
		d.containerEvent(c, events.Action("exec_create: "+action), attrs)
		d.containerEvent(c, events.Action("exec_start: "+action), attrs)
		// Detached: the runtime returns once the probe runs, and the probe,
		// reparented to the daemon (a subreaper), is waited for here. In
		// the foreground runc copies the output itself and would wait for
		// every holder of it, a probe's background child included.
		p, err := d.runtimeFor(c).Exec(ctx, c.ID, proc, runtime.ExecOptions{Stdout: pw, Stderr: pw, Detach: true, TempDir: d.execScratch()})
		pw.Close() // the probe has its copy: EOF once it and its children are done
		if err != nil {
			return -1, nil, err
		}
		var code int
		if _, err = p.Wait(); err == nil {
			code, err = waitOrKill(ctx, p.Pid())
		}
		if err != nil {
			go reapOrphansSoon() // the runtime's child for this probe, as for a failed exec (orphans.go)
			code = runtime.StartFailureExitCode(err.Error())
			err = errdefs.Invalid("OCI runtime exec failed: %s: unknown", err.Error())
		}
		d.containerEvent(c, events.Action("exec_die"), map[string]string{"execID": execID, "exitCode": itoa(code)})
		var output []byte
		select {
		case output = <-captured:
		case <-time.After(probeOutputGrace):
			// A background child of the probe still holds the pipe.
			pr.Close()
			output = <-captured
		}
		return code, output, err
	}
}

// waitOrKill waits for a probe the daemon has inherited (see waitReparented);
// when ctx ends first (the probe's timeout) the probe is killed.
func waitOrKill(ctx context.Context, pid int) (int, error) {
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := waitReparented(pid)
		done <- result{code, err}
	}()
	select {
	case r := <-done:
		return r.code, r.err
	case <-ctx.Done():
		syscall.Kill(pid, syscall.SIGKILL)
		r := <-done
		return r.code, r.err
	}
}

// probeOutputGrace is how long a probe's output may trail its exit.
const probeOutputGrace = 100 * time.Millisecond

// keepHead reads r to its end (or until it is closed) and returns the
// first n bytes.
func keepHead(r io.Reader, n int) []byte {
	head := make([]byte, 0, n)
	buf := make([]byte, 4096)
	for {
		k, err := r.Read(buf)
		if room := n - len(head); room > 0 {
			head = append(head, buf[:min(k, room)]...)
		}
		if err != nil {
			return head
		}
	}
}

// healthSuffix is what `ps` appends to "Up 5 seconds".
func healthSuffix(h *apicontainer.Health) string {
	switch {
	case h == nil:
		return ""
	case h.Status == apicontainer.Starting:
		return " (health: starting)"
	}
	return " (" + string(h.Status) + ")"
}

// healthStatus is the value the `health` ps filter matches.
func healthStatus(c *container.Container) apicontainer.HealthStatus {
	if c.State.Health == nil {
		return apicontainer.NoHealthcheck
	}
	return c.State.Health.Status
}

func validateHealthFilter(f filters.Args) error {
	for _, v := range f.Get("health") {
		if apicontainer.ValidateHealthStatus(apicontainer.HealthStatus(v)) != nil {
			return errdefs.Invalid("Unrecognised filter value for health: %s", v)
		}
	}
	return nil
}
