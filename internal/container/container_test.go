package container

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

func TestStatus(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name    string
		state   State
		started bool
		want    container.ContainerState
	}{
		{"fresh", State{}, false, container.StateCreated},
		{"running", State{Running: true, StartedAt: now}, true, container.StateRunning},
		{"paused", State{Running: true, Paused: true}, true, container.StatePaused},
		{"paused flag without running is not paused", State{Paused: true, FinishedAt: now}, true, container.StateExited},
		{"exited after start", State{FinishedAt: now, ExitCode: 3}, true, container.StateExited},
		{"started flag but no finish time", State{}, true, container.StateExited},
		{"finish time without started flag", State{FinishedAt: now}, false, container.StateExited},
		{"restarting", State{Restarting: true, FinishedAt: now}, true, container.StateRestarting},
		{"restarting wins over running", State{Restarting: true, Running: true}, true, container.StateRestarting},
		{"dead", State{Dead: true}, true, container.StateDead},
		{"dead wins over restarting", State{Dead: true, Restarting: true}, true, container.StateDead},
		{"removing wins over all", State{Removing: true, Dead: true, Running: true, Paused: true}, true, container.StateRemoving},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Container{State: tt.state, HasBeenStarted: tt.started}
			if got := c.Status(); got != tt.want {
				t.Errorf("Status() = %q, want %q", got, tt.want)
			}
			if c.IsRunning() != tt.state.Running {
				t.Errorf("IsRunning() = %v, want %v", c.IsRunning(), tt.state.Running)
			}
		})
	}
}
