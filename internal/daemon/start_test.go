package daemon

import (
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/container"
	apicontainer "github.com/moby/moby/api/types/container"
)

func restartContainer(id string, policy apicontainer.RestartPolicyMode, maxRetry, exitCode, restarts int, stopped bool) *container.Container {
	return &container.Container{
		ID:              id,
		HostConfig:      &apicontainer.HostConfig{RestartPolicy: apicontainer.RestartPolicy{Name: policy, MaximumRetryCount: maxRetry}},
		State:           container.State{ExitCode: exitCode},
		RestartCount:    restarts,
		ManuallyStopped: stopped,
	}
}

func TestRestartDecisionPolicy(t *testing.T) {
	tests := []struct {
		name     string
		policy   apicontainer.RestartPolicyMode
		maxRetry int
		exitCode int
		restarts int
		stopped  bool
		removing bool
		want     bool
	}{
		{name: "no policy", policy: "", exitCode: 1},
		{name: "no", policy: "no", exitCode: 1},
		{name: "always after success", policy: "always", want: true},
		{name: "always after failure", policy: "always", exitCode: 137, want: true},
		{name: "always, manually stopped", policy: "always", exitCode: 143, stopped: true},
		{name: "unless-stopped", policy: "unless-stopped", want: true},
		{name: "unless-stopped, manually stopped", policy: "unless-stopped", stopped: true},
		{name: "on-failure after success", policy: "on-failure"},
		{name: "on-failure after failure, unlimited", policy: "on-failure", exitCode: 1, restarts: 100, want: true},
		{name: "on-failure below max", policy: "on-failure", maxRetry: 3, exitCode: 1, restarts: 2, want: true},
		{name: "on-failure at max", policy: "on-failure", maxRetry: 3, exitCode: 1, restarts: 3},
		{name: "on-failure, manually stopped", policy: "on-failure", exitCode: 143, stopped: true},
		{name: "always while being removed", policy: "always", removing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Daemon{}
			c := restartContainer("c1", tt.policy, tt.maxRetry, tt.exitCode, tt.restarts, tt.stopped)
			c.State.Removing = tt.removing
			delay, restart := d.restartDecision(c, time.Second)
			if restart != tt.want {
				t.Fatalf("restart = %v, want %v", restart, tt.want)
			}
			if restart && delay != 100*time.Millisecond {
				t.Errorf("first delay = %v, want 100ms", delay)
			}
			if !restart && delay != 0 {
				t.Errorf("delay = %v without a restart", delay)
			}
		})
	}
}

func TestRestartDecisionBackoff(t *testing.T) {
	d := &Daemon{}
	c := restartContainer("c1", "always", 0, 1, 0, false)
	other := restartContainer("c2", "always", 0, 1, 0, false)
	steps := []struct {
		c    *container.Container
		ran  time.Duration
		want time.Duration
	}{
		{c, time.Second, 100 * time.Millisecond},
		{c, time.Second, 200 * time.Millisecond},
		{c, 0, 400 * time.Millisecond},
		{other, time.Second, 100 * time.Millisecond}, // back-off is per container
		{c, 9 * time.Second, 800 * time.Millisecond},
		{c, 10 * time.Second, 100 * time.Millisecond}, // ran long enough: reset
		{c, time.Second, 200 * time.Millisecond},
		{other, time.Second, 200 * time.Millisecond},
	}
	for i, s := range steps {
		delay, restart := d.restartDecision(s.c, s.ran)
		if !restart || delay != s.want {
			t.Fatalf("step %d (%s, ran %v): delay %v restart %v, want %v", i, s.c.ID, s.ran, delay, restart, s.want)
		}
	}
}

func TestRestartDecisionBackoffCap(t *testing.T) {
	d := &Daemon{}
	c := restartContainer("c1", "on-failure", 0, 1, 0, false)
	var delay time.Duration
	for i := 0; i < 20; i++ {
		var restart bool
		delay, restart = d.restartDecision(c, 0)
		if !restart {
			t.Fatalf("step %d: no restart", i)
		}
		if delay > time.Minute {
			t.Fatalf("step %d: delay %v over the one-minute cap", i, delay)
		}
	}
	if delay != time.Minute {
		t.Errorf("delay after 20 quick failures = %v, want 1m", delay)
	}
	if delay, _ := d.restartDecision(c, time.Minute); delay != 100*time.Millisecond {
		t.Errorf("after a long run: %v, want 100ms", delay)
	}
}
