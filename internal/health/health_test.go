package health

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

func TestResolveForms(t *testing.T) {
	s, ok := Resolve(&container.HealthConfig{Test: []string{"CMD-SHELL", "test -f /ok"}}, nil)
	if !ok || strings.Join(s.Cmd, "|") != "/bin/sh|-c|test -f /ok" {
		t.Fatalf("CMD-SHELL: %v %v", s.Cmd, ok)
	}
	if s.Interval != DefaultInterval || s.Timeout != DefaultTimeout || s.StartInterval != DefaultStartInterval {
		t.Fatalf("defaults not applied: %+v", s)
	}
	s, _ = Resolve(&container.HealthConfig{Test: []string{"CMD-SHELL", "x"}}, []string{"/bin/ash", "-eo"})
	if strings.Join(s.Cmd, "|") != "/bin/ash|-eo|x" {
		t.Fatalf("SHELL ignored: %v", s.Cmd)
	}
	s, _ = Resolve(&container.HealthConfig{Test: []string{"CMD", "cat", "/ok"}, Interval: time.Second}, nil)
	if strings.Join(s.Cmd, "|") != "cat|/ok" || s.Interval != time.Second {
		t.Fatalf("CMD: %+v", s)
	}
	for _, hc := range []*container.HealthConfig{nil, {Test: []string{"NONE"}}, {Test: []string{"CMD"}}} {
		if _, ok := Resolve(hc, nil); ok {
			t.Fatalf("%v must mean no healthcheck", hc)
		}
	}
}

func TestRecordStateMachine(t *testing.T) {
	start := time.Now()
	s := Settings{Retries: 2, StartPeriod: 10 * time.Second}
	h := &container.Health{Status: container.Starting}
	fail := func(at time.Duration) container.HealthcheckResult {
		return container.HealthcheckResult{Start: start.Add(at), ExitCode: 1}
	}
	// Failures inside the start period do not count while starting.
	if Record(h, s, start, fail(time.Second)); h.FailingStreak != 0 || h.Status != container.Starting {
		t.Fatalf("start period failure counted: %+v", h)
	}
	if changed := Record(h, s, start, container.HealthcheckResult{Start: start.Add(2 * time.Second)}); !changed || h.Status != container.Healthy {
		t.Fatalf("success must make it healthy: %+v", h)
	}
	// Once healthy, failures count even inside the start period.
	if changed := Record(h, s, start, fail(3*time.Second)); changed || h.FailingStreak != 1 {
		t.Fatalf("first failure: %+v", h)
	}
	if changed := Record(h, s, start, fail(4*time.Second)); !changed || h.Status != container.Unhealthy || h.FailingStreak != 2 {
		t.Fatalf("retries reached must be unhealthy: %+v", h)
	}
	for i := 0; i < 5; i++ {
		Record(h, s, start, fail(time.Duration(20+i)*time.Second))
	}
	if len(h.Log) != MaxLogEntries || !h.Log[4].Start.Equal(start.Add(24*time.Second)) {
		t.Fatalf("log must keep the last %d: %d entries", MaxLogEntries, len(h.Log))
	}
	if changed := Record(h, s, start, container.HealthcheckResult{Start: start.Add(time.Minute)}); !changed || h.FailingStreak != 0 || h.Status != container.Healthy {
		t.Fatalf("recovery: %+v", h)
	}
}

func TestDefaultRetriesAfterStartPeriod(t *testing.T) {
	start := time.Now()
	h := &container.Health{Status: container.Starting}
	for i := 1; i <= 3; i++ {
		Record(h, Settings{}, start, container.HealthcheckResult{Start: start.Add(time.Duration(i) * time.Second), ExitCode: 2})
	}
	if h.Status != container.Unhealthy || h.FailingStreak != 3 {
		t.Fatalf("three failures with default retries: %+v", h)
	}
}

func TestNextInterval(t *testing.T) {
	s := Settings{Interval: 30 * time.Second, StartInterval: time.Second, StartPeriod: time.Minute}
	now := time.Now()
	if d := NextInterval(s, container.Starting, now, now.Add(time.Second)); d != time.Second {
		t.Fatalf("inside start period while starting: %v", d)
	}
	if d := NextInterval(s, container.Healthy, now, now.Add(time.Second)); d != 30*time.Second {
		t.Fatalf("healthy: %v", d)
	}
	if d := NextInterval(s, container.Starting, now, now.Add(2*time.Minute)); d != 30*time.Second {
		t.Fatalf("after start period: %v", d)
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("a", MaxOutputLen+10)
	if got := Truncate([]byte(long)); len(got) != MaxOutputLen+3 || !strings.HasSuffix(got, "...") {
		t.Fatalf("truncated to %d", len(got))
	}
	if Truncate([]byte("ok\n")) != "ok\n" {
		t.Fatal("short output changed")
	}
}

func TestMonitorTimeoutAndTransitions(t *testing.T) {
	var mu sync.Mutex
	healthy := true
	probe := func(ctx context.Context, cmd []string) (int, []byte, error) {
		mu.Lock()
		ok := healthy
		mu.Unlock()
		if !ok {
			<-ctx.Done() // hang until the timeout kills us
			return 137, nil, nil
		}
		return 0, []byte("fine"), nil
	}
	updates := make(chan *container.Health, 100)
	s := Settings{Cmd: []string{"x"}, Interval: 10 * time.Millisecond, StartInterval: 10 * time.Millisecond, Timeout: 20 * time.Millisecond, Retries: 1}
	m := Start(s, time.Now(), nil, probe, func(h *container.Health, changed bool) { updates <- h })
	defer func() { m.Stop(); m.Wait() }()
	waitFor := func(want container.HealthStatus) *container.Health {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case h := <-updates:
				if h.Status == want {
					return h
				}
			case <-deadline:
				t.Fatalf("never became %s", want)
			}
		}
	}
	h := waitFor(container.Healthy)
	if last := h.Log[len(h.Log)-1]; last.Output != "fine" || last.ExitCode != 0 {
		t.Fatalf("log entry: %+v", last)
	}
	mu.Lock()
	healthy = false
	mu.Unlock()
	h = waitFor(container.Unhealthy)
	if last := h.Log[len(h.Log)-1]; last.ExitCode != -1 || last.Output != "Health check exceeded timeout (20ms)" {
		t.Fatalf("timeout entry: %+v", last)
	}
}

func TestMonitorResumesFromPreviousState(t *testing.T) {
	prev := &container.Health{Status: container.Unhealthy, FailingStreak: 4}
	m := Start(Settings{Cmd: []string{"x"}, Interval: time.Hour, StartInterval: time.Hour, Timeout: time.Second}, time.Now(), prev, nil, nil)
	defer m.Stop()
	if h := m.Health(); h.Status != container.Unhealthy || h.FailingStreak != 4 {
		t.Fatalf("adopted state lost: %+v", h)
	}
}
