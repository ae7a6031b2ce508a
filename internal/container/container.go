// Package container holds container records: what was asked for at create
// time, and the state the engine keeps while it runs. One JSON file per
// container, written atomically; the in-memory Store is the index.
package container

import (
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/volume"
	"github.com/moby/moby/api/types/container"
)

// State is the persisted lifecycle state. It mirrors the API's State but
// keeps times as time.Time so status strings can be computed.
type State struct {
	Running    bool      `json:"running"`
	Paused     bool      `json:"paused"`
	Restarting bool      `json:"restarting"`
	Removing   bool      `json:"removing,omitempty"`
	Dead       bool      `json:"dead,omitempty"`
	OOMKilled  bool      `json:"oom_killed"`
	Pid        int       `json:"pid"`
	ExitCode   int       `json:"exit_code"`
	Error      string    `json:"error,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Health is the HEALTHCHECK state (nil without one); kept across a
	// daemon restart so an adopted container's probe log survives.
	Health *container.Health `json:"health,omitempty"`
}

// Container is one container's record. Fields are guarded by Mu once the
// container is in the Store.
type Container struct {
	Mu sync.Mutex `json:"-"`

	ID         string                `json:"id"`
	Name       string                `json:"name"` // with the leading "/", as Docker
	Created    time.Time             `json:"created"`
	Path       string                `json:"path"`
	Args       []string              `json:"args"`
	Config     *container.Config     `json:"config"`
	HostConfig *container.HostConfig `json:"host_config"`
	ImageID    string                `json:"image_id"` // sha256:...
	State      State                 `json:"state"`

	RestartCount int `json:"restart_count"`
	// HasBeenStarted and ManuallyStopped drive restart policies the way
	// Docker does: unless-stopped/always do not resurrect a container the
	// user stopped.
	HasBeenStarted  bool `json:"has_been_started"`
	ManuallyStopped bool `json:"manually_stopped"`

	LogPath        string `json:"log_path"`
	HostnamePath   string `json:"hostname_path"`
	HostsPath      string `json:"hosts_path"`
	ResolvConfPath string `json:"resolv_conf_path"`

	// MountPoints are the container's mounts resolved at create time
	// (volumes by name, --volumes-from copied in); inspect shows them.
	MountPoints []volume.MountPoint `json:"mount_points,omitempty"`

	// Done is closed when the current run ends (exit handled). It is
	// volatile: the daemon makes a new one at each start and on adoption.
	Done chan struct{} `json:"-"`
	// ExecIDs lists the container's exec sessions still known to the daemon.
	ExecIDs []string `json:"-"`
	// RestartingByHand is set while `restart` stops the container: a --rm container is
	// kept through that exit, as Docker keeps it.
	RestartingByHand bool `json:"-"`
}

// Status is the API's one-word state.
func (c *Container) Status() container.ContainerState {
	s := c.State
	switch {
	case s.Removing:
		return container.StateRemoving
	case s.Dead:
		return container.StateDead
	case s.Restarting:
		return container.StateRestarting
	case s.Paused && s.Running:
		return container.StatePaused
	case s.Running:
		return container.StateRunning
	case !c.HasBeenStarted && s.FinishedAt.IsZero():
		return container.StateCreated
	}
	return container.StateExited
}

// IsRunning reports a running (or paused) container.
func (c *Container) IsRunning() bool { return c.State.Running }
