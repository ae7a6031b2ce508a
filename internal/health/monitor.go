package health

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
)

// ProbeFunc runs cmd once inside the container and returns its exit code
// and (untruncated) output. It must stop the process when ctx is done.
type ProbeFunc func(ctx context.Context, cmd []string) (exitCode int, output []byte, err error)

// Update is called after every probe with the new state (a copy the
// callee may keep) and whether the status changed.
type Update func(h *container.Health, changed bool)

// Monitor probes one running container until Stop.
type Monitor struct {
	settings  Settings
	startedAt time.Time
	probe     ProbeFunc
	update    Update

	mu     sync.Mutex
	health container.Health

	cancel context.CancelFunc
	done   chan struct{}
}

// Start begins probing. prev is the state to continue from (an adopted
// container after a daemon restart) or nil for a fresh start.
func Start(s Settings, startedAt time.Time, prev *container.Health, probe ProbeFunc, update Update) *Monitor {
	m := &Monitor{settings: s, startedAt: startedAt, probe: probe, update: update, done: make(chan struct{})}
	if prev != nil {
		m.health = *Copy(prev)
	} else {
		m.health.Status = container.Starting
	}
	var ctx context.Context
	ctx, m.cancel = context.WithCancel(context.Background())
	go m.loop(ctx)
	return m
}

// Stop ends the loop; a running probe is killed. It does not wait, so a
// caller may hold locks the update callback takes.
func (m *Monitor) Stop() { m.cancel() }

// Wait blocks until the loop has ended after Stop.
func (m *Monitor) Wait() { <-m.done }

// Health is a copy of the current state.
func (m *Monitor) Health() *container.Health {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Copy(&m.health)
}

func (m *Monitor) loop(ctx context.Context) {
	defer close(m.done)
	timer := time.NewTimer(m.next())
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		r := m.runOnce(ctx)
		if ctx.Err() != nil {
			return // stopped mid-probe: the container is going away
		}
		m.mu.Lock()
		changed := Record(&m.health, m.settings, m.startedAt, r)
		h := Copy(&m.health)
		m.mu.Unlock()
		if m.update != nil {
			m.update(h, changed)
		}
		timer.Reset(m.next())
	}
}

func (m *Monitor) next() time.Duration {
	m.mu.Lock()
	status := m.health.Status
	m.mu.Unlock()
	return NextInterval(m.settings, status, m.startedAt, time.Now())
}

// runOnce runs one probe under the timeout. A probe that overruns is
// killed and recorded with exit code -1, Docker's wording in Output.
func (m *Monitor) runOnce(ctx context.Context) container.HealthcheckResult {
	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, m.settings.Timeout)
	defer cancel()
	code, out, err := m.probe(pctx, m.settings.Cmd)
	r := container.HealthcheckResult{Start: start, End: time.Now(), ExitCode: code, Output: Truncate(out)}
	switch {
	case pctx.Err() == context.DeadlineExceeded && ctx.Err() == nil:
		r.ExitCode = -1
		r.Output = fmt.Sprintf("Health check exceeded timeout (%v)", m.settings.Timeout)
	case err != nil:
		r.ExitCode = -1
		r.Output = err.Error()
	}
	return r
}

// Copy deep-copies a Health so callers never share the log slice.
func Copy(h *container.Health) *container.Health {
	if h == nil {
		return nil
	}
	c := &container.Health{Status: h.Status, FailingStreak: h.FailingStreak}
	for _, r := range h.Log {
		rc := *r
		c.Log = append(c.Log, &rc)
	}
	return c
}
