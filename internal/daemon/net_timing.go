package daemon

import (
	"log/slog"
	"time"
)

// stepTimer logs how long each step of a network set-up or teardown took
// (debug level): the start path's network cost is measured, not guessed.
type stepTimer struct {
	log   *slog.Logger
	what  string
	start time.Time
	last  time.Time
	attrs []any
}

func newStepTimer(log *slog.Logger, what, id string) *stepTimer {
	now := time.Now()
	return &stepTimer{log: log, what: what, start: now, last: now, attrs: []any{"id", shortID(id)}}
}

// step records the time since the previous step under name.
func (t *stepTimer) step(name string) {
	now := time.Now()
	t.attrs = append(t.attrs, name, now.Sub(t.last).Round(time.Microsecond).String())
	t.last = now
}

// done logs every step and the total.
func (t *stepTimer) done() {
	t.attrs = append(t.attrs, "total", time.Since(t.start).Round(time.Microsecond).String())
	t.log.Debug(t.what, t.attrs...)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
