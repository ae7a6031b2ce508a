package builder

import (
	"fmt"
	"io"
	"sync"

	"github.com/opencontainers/go-digest"
)

// lineWriter is the build's output, shared by the stages that run in
// parallel. quiet drops step output (-q) but not warnings' absence of value.
type lineWriter struct {
	mu    sync.Mutex
	w     io.Writer
	quiet bool
}

func (l *lineWriter) printf(format string, a ...any) {
	if l.quiet {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, a...)
}

// Write passes a RUN step's output through.
func (l *lineWriter) Write(p []byte) (int, error) {
	if l.quiet {
		return len(p), nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func short(d digest.Digest) string {
	e := d.Encoded()
	if len(e) > 12 {
		return e[:12]
	}
	return e
}
