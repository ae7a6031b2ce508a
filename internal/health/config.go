// Package health runs a container's HEALTHCHECK: Docker's defaults, its
// state machine (starting → healthy/unhealthy, start period, failing
// streak, the last five results) and the probe loop. The probe itself (one
// exec in the container) is supplied by the daemon.
package health

import (
	"time"

	"github.com/moby/moby/api/types/container"
)

// Docker's defaults (moby daemon/health.go).
const (
	DefaultInterval      = 30 * time.Second
	DefaultTimeout       = 30 * time.Second
	DefaultStartInterval = 5 * time.Second
	DefaultRetries       = 3
	// MaxLogEntries is how many probe results State.Health.Log keeps.
	MaxLogEntries = 5
	// MaxOutputLen is how much of a probe's output is kept.
	MaxOutputLen = 4096
)

// Settings is a HealthConfig with Docker's defaults filled in.
type Settings struct {
	Cmd           []string // the argv to exec
	Interval      time.Duration
	Timeout       time.Duration
	StartPeriod   time.Duration
	StartInterval time.Duration
	Retries       int
}

// Resolve turns a container's healthcheck into what to run, or ok false
// when there is none (no HEALTHCHECK, `NONE`, --no-healthcheck). shell is
// the container's SHELL for CMD-SHELL (default /bin/sh -c).
func Resolve(hc *container.HealthConfig, shell []string) (Settings, bool) {
	if hc == nil || len(hc.Test) == 0 {
		return Settings{}, false
	}
	var cmd []string
	switch hc.Test[0] {
	case "NONE":
		return Settings{}, false
	case "CMD":
		cmd = append(cmd, hc.Test[1:]...)
	case "CMD-SHELL":
		if len(shell) == 0 {
			shell = []string{"/bin/sh", "-c"}
		}
		cmd = append(append(cmd, shell...), joinArgs(hc.Test[1:]))
	default:
		// Docker treats an unknown first word as an error at probe time;
		// a bare command list is what old API clients sent for CMD.
		cmd = append(cmd, hc.Test...)
	}
	if len(cmd) == 0 {
		return Settings{}, false
	}
	return Settings{
		Cmd:           cmd,
		Interval:      orDefault(hc.Interval, DefaultInterval),
		Timeout:       orDefault(hc.Timeout, DefaultTimeout),
		StartPeriod:   hc.StartPeriod,
		StartInterval: orDefault(hc.StartInterval, DefaultStartInterval),
		Retries:       max(hc.Retries, 0),
	}, true
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func joinArgs(args []string) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}
