package logwriter

import (
	"bytes"
	"io"
	"time"
)

// MaxLine is where Docker cuts a long line into partial entries.
const MaxLine = 16 * 1024

// StreamWriter cuts a byte stream into lines and writes one entry per line
// (16 KiB partial entries for longer lines). Each Write ends with its
// entries in the file so that followers see output promptly.
type StreamWriter struct {
	w       *Writer
	stream  string
	pending []byte
	now     func() time.Time
}

// Stream returns an io.Writer for one stream ("stdout" or "stderr").
func (w *Writer) Stream(name string) *StreamWriter {
	return &StreamWriter{w: w, stream: name, now: time.Now}
}

var _ io.WriteCloser = (*StreamWriter)(nil)

// Write never fails on a short write: a log error must not stop the
// container's output, so it is returned but p counts as consumed.
func (s *StreamWriter) Write(p []byte) (int, error) {
	n := len(p)
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ts = s.now().UTC().AppendFormat(w.ts[:0], time.RFC3339Nano)
	ts := w.ts
	var err error
	keep := func(e error) {
		if err == nil {
			err = e
		}
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			room := MaxLine - len(s.pending)
			if len(p) < room {
				s.pending = append(s.pending, p...)
				break
			}
			s.pending = append(s.pending, p[:room]...)
			p = p[room:]
			keep(w.writeLocked(s.stream, s.pending, ts))
			s.pending = s.pending[:0]
			continue
		}
		line := p[:i+1]
		p = p[i+1:]
		if len(s.pending) == 0 && len(line) <= MaxLine {
			keep(w.writeLocked(s.stream, line, ts))
			continue
		}
		for len(s.pending)+len(line) > MaxLine {
			room := MaxLine - len(s.pending)
			s.pending = append(s.pending, line[:room]...)
			line = line[room:]
			keep(w.writeLocked(s.stream, s.pending, ts))
			s.pending = s.pending[:0]
		}
		s.pending = append(s.pending, line...)
		keep(w.writeLocked(s.stream, s.pending, ts))
		s.pending = s.pending[:0]
	}
	if !w.closed {
		keep(w.flushLocked())
	}
	if cap(s.pending) > 2*MaxLine && len(s.pending) == 0 {
		s.pending = nil
	}
	return n, err
}

// Close writes a pending unterminated line as a partial entry.
func (s *StreamWriter) Close() error {
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(s.pending) == 0 || w.closed {
		return nil
	}
	w.ts = s.now().UTC().AppendFormat(w.ts[:0], time.RFC3339Nano)
	err := w.writeLocked(s.stream, s.pending, w.ts)
	s.pending = nil
	if ferr := w.flushLocked(); err == nil {
		err = ferr
	}
	return err
}
