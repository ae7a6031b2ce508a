// Package monitor is what the engine tells its observers (the Prometheus
// endpoint): a snapshot of every container with its counters read at call
// time. It has no dependencies beyond the API types, so the daemon can
// implement it without linking a metrics library.
package monitor

import (
	"time"

	"github.com/berth-dev/berth/internal/filters"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

// ComposeProjectLabel is the label docker compose puts on its containers.
const ComposeProjectLabel = "com.docker.compose.project"

// Container is one container as observed at a scrape.
type Container struct {
	ID             string
	Name           string // without the leading "/"
	Image          string // as the user named it
	ComposeProject string
	State          container.ContainerState
	Health         container.HealthStatus // "" without a healthcheck
	FailingStreak  int
	RestartCount   int
	// Stats are the cgroup and network counters; nil unless running.
	Stats *container.StatsResponse
}

// Source is the engine seen from a monitor.
type Source interface {
	// MonitorContainers reads every container's state and counters now.
	MonitorContainers() []Container
	// SubscribeEvents is the engine's event stream (see api.SystemBackend).
	SubscribeEvents(since, until time.Time, f filters.Args) ([]events.Message, <-chan events.Message, func())
}
