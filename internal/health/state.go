package health

import (
	"time"

	"github.com/moby/moby/api/types/container"
)

// Record applies one probe result to h the way Docker does and reports
// whether the status changed. startedAt is when the container started: a
// failure inside the start period does not count against the streak while
// the container has never been healthy.
func Record(h *container.Health, s Settings, startedAt time.Time, r container.HealthcheckResult) bool {
	old := h.Status
	h.Log = append(h.Log, &r)
	if len(h.Log) > MaxLogEntries {
		h.Log = append([]*container.HealthcheckResult(nil), h.Log[len(h.Log)-MaxLogEntries:]...)
	}
	if r.ExitCode == 0 {
		h.FailingStreak = 0
		h.Status = container.Healthy
		return old != h.Status
	}
	if h.Status == container.Starting && r.Start.Sub(startedAt) < s.StartPeriod {
		return false
	}
	retries := s.Retries
	if retries <= 0 {
		retries = DefaultRetries
	}
	h.FailingStreak++
	if h.FailingStreak >= retries {
		h.Status = container.Unhealthy
	}
	return old != h.Status
}

// NextInterval is the wait before the next probe: the start interval while
// the container is still starting inside its start period, else the interval.
func NextInterval(s Settings, status container.HealthStatus, startedAt, now time.Time) time.Duration {
	if now.Sub(startedAt) >= s.StartPeriod || status != container.Starting {
		return s.Interval
	}
	return s.StartInterval
}

// Truncate keeps the first MaxOutputLen bytes of a probe's output and marks
// a cut with "...", as Docker's limitedBuffer does.
func Truncate(out []byte) string {
	if len(out) <= MaxOutputLen {
		return string(out)
	}
	return string(out[:MaxOutputLen]) + "..."
}
