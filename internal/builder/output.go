package builder

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/opencontainers/go-digest"
)

// output is the build's output. Stages run in parallel but their output
// reads like the classic builder's: one stage after the other in
// Dockerfile order. The first unfinished stage writes through; later ones
// are buffered until every stage before them is done.
type output struct {
	mu    sync.Mutex
	w     io.Writer
	quiet bool
	order []int // the stages being built, in Dockerfile order
	live  int   // index into order of the stage that writes through
	bufs  map[int]*bytes.Buffer
	done  map[int]bool
}

func newOutput(w io.Writer, quiet bool) *output {
	return &output{w: w, quiet: quiet, bufs: map[int]*bytes.Buffer{}, done: map[int]bool{}}
}

// stageWriter is one stage's view of the output.
type stageWriter struct {
	o     *output
	stage int // -1: the build itself (written through)
}

func (o *output) stage(i int) *stageWriter { return &stageWriter{o: o, stage: i} }

func (o *output) printf(format string, a ...any) {
	(&stageWriter{o: o, stage: -1}).printf(format, a...)
}

func (s *stageWriter) printf(format string, a ...any) {
	fmt.Fprintf(s, format, a...)
}

// Write passes a RUN step's output (or a step line) through or buffers it.
func (s *stageWriter) Write(p []byte) (int, error) {
	o := s.o
	if o.quiet {
		return len(p), nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if s.stage < 0 || o.live >= len(o.order) || o.order[o.live] == s.stage {
		return o.w.Write(p)
	}
	b := o.bufs[s.stage]
	if b == nil {
		b = &bytes.Buffer{}
		o.bufs[s.stage] = b
	}
	return b.Write(p)
}

// finish marks stage i done and hands the output to the next stage,
// flushing what it buffered.
func (o *output) finish(i int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.done[i] = true
	for o.live < len(o.order) {
		s := o.order[o.live]
		if b := o.bufs[s]; b != nil {
			if !o.quiet {
				o.w.Write(b.Bytes())
			}
			delete(o.bufs, s)
		}
		if !o.done[s] {
			break
		}
		o.live++
	}
}

func short(d digest.Digest) string {
	e := d.Encoded()
	if len(e) > 12 {
		return e[:12]
	}
	return e
}
