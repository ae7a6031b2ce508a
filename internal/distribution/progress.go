package distribution

import (
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
)

// Progress receives dockerd's JSON progress messages (status, id,
// progressDetail). Calls may come from several goroutines; the sender
// serialises them.
type Progress func(jsonstream.Message)

// reporter serialises messages and throttles byte counts per layer.
type reporter struct {
	mu   sync.Mutex
	send Progress
}

func newReporter(p Progress) *reporter {
	if p == nil {
		p = func(jsonstream.Message) {}
	}
	return &reporter{send: p}
}

func (r *reporter) status(id, status string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.send(jsonstream.Message{ID: id, Status: status})
}

func (r *reporter) progress(id, status string, current, total int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.send(jsonstream.Message{ID: id, Status: status, Progress: &jsonstream.Progress{Current: current, Total: total}})
}

func (r *reporter) aux(m jsonstream.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.send(m)
}

// shortID is the 12-hex layer ID docker shows.
func shortID(d string) string {
	d = d[strings.IndexByte(d, ':')+1:]
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

// counter reports bytes read through it at most every 100 ms.
type counter struct {
	r      interface{ Read([]byte) (int, error) }
	rep    *reporter
	id     string
	status string
	total  int64
	n      int64
	last   time.Time
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if now := time.Now(); now.Sub(c.last) >= 100*time.Millisecond {
		c.last = now
		c.rep.progress(c.id, c.status, c.n, c.total)
	}
	return n, err
}
