package logs

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// Writer appends json-file entries to a log file and rotates it.
// It is safe for concurrent use (stdout and stderr are pumped separately).
type Writer struct {
	mu      sync.Mutex
	path    string
	maxSize int64
	maxFile int
	f       *os.File
	bw      *bufio.Writer
	size    int64
	scratch []byte
	closed  bool
}

// NewWriter opens (appending to) path. maxSize 0 never rotates; maxFile is
// the total number of files kept, path included (values below 1 mean 1).
func NewWriter(path string, maxSize int64, maxFile int) (*Writer, error) {
	if maxFile < 1 {
		maxFile = 1
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Writer{path: path, maxSize: maxSize, maxFile: maxFile, f: f,
		bw: bufio.NewWriterSize(f, 32<<10), size: st.Size()}, nil
}

// Write appends one entry. line is written as given: it should end in '\n'
// unless it is a partial line.
func (w *Writer) Write(stream string, line []byte, t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writeLocked(stream, line, t)
}

func (w *Writer) writeLocked(stream string, line []byte, t time.Time) error {
	if w.closed {
		return os.ErrClosed
	}
	w.scratch = appendEntry(w.scratch[:0], stream, line, t)
	if w.maxSize > 0 && w.size > 0 && w.size+int64(len(w.scratch)) > w.maxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n, err := w.bw.Write(w.scratch)
	w.size += int64(n)
	return err
}

// rotate shifts path.(n-1) → path.n … path → path.1 and starts a new file.
func (w *Writer) rotate() error {
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	if w.maxFile > 1 {
		for i := w.maxFile - 1; i > 1; i-- {
			err := os.Rename(w.path+"."+strconv.Itoa(i-1), w.path+"."+strconv.Itoa(i))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		if err := os.Rename(w.path, w.path+".1"); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	w.f = f
	w.bw.Reset(f)
	w.size = 0
	return nil
}

// Flush writes buffered entries to the file.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	return w.bw.Flush()
}

// Close flushes and closes the file. Stream writers must be closed first
// so their pending partial lines are written.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.bw.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// maxLine is where Docker cuts a long line into partial entries.
const maxLine = 16 * 1024

// StreamWriter cuts a byte stream into lines and writes one entry per line
// (16 KiB partial entries for longer lines). Each Write flushes the file so
// that followers see output promptly.
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
	t := s.now().UTC()
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	var err error
	keep := func(e error) {
		if err == nil {
			err = e
		}
	}
	for len(p) > 0 {
		i := indexNL(p)
		if i < 0 {
			room := maxLine - len(s.pending)
			if len(p) < room {
				s.pending = append(s.pending, p...)
				break
			}
			s.pending = append(s.pending, p[:room]...)
			p = p[room:]
			keep(s.w.writeLocked(s.stream, s.pending, t))
			s.pending = s.pending[:0]
			continue
		}
		line := p[:i+1]
		p = p[i+1:]
		if len(s.pending) == 0 && len(line) <= maxLine {
			keep(s.w.writeLocked(s.stream, line, t))
			continue
		}
		for len(s.pending)+len(line) > maxLine {
			room := maxLine - len(s.pending)
			s.pending = append(s.pending, line[:room]...)
			line = line[room:]
			keep(s.w.writeLocked(s.stream, s.pending, t))
			s.pending = s.pending[:0]
		}
		s.pending = append(s.pending, line...)
		keep(s.w.writeLocked(s.stream, s.pending, t))
		s.pending = s.pending[:0]
	}
	if !s.w.closed {
		keep(s.w.bw.Flush())
	}
	if cap(s.pending) > 2*maxLine && len(s.pending) == 0 {
		s.pending = nil
	}
	return n, err
}

// Close writes a pending unterminated line as a partial entry.
func (s *StreamWriter) Close() error {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	if len(s.pending) == 0 || s.w.closed {
		return nil
	}
	err := s.w.writeLocked(s.stream, s.pending, s.now().UTC())
	s.pending = nil
	if ferr := s.w.bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func indexNL(p []byte) int { return bytes.IndexByte(p, '\n') }
