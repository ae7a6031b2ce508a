package logwriter

import (
	"os"
	"strconv"
	"sync"
	"time"
)

// flushAt is how much buffered output makes Write go to the file before
// the end of the current Write: one syscall per ~256 KiB of entries (large
// writes let the page cache use large folios: ~20% less kernel time per byte).
const flushAt = 256 << 10

// Writer appends json-file entries to a log file and rotates it. It is safe
// for concurrent use; every StreamWriter.Write ends with the entries on disk.
type Writer struct {
	mu      sync.Mutex
	path    string
	maxSize int64
	maxFile int
	f       *os.File
	buf     []byte // entries not yet written to f
	size    int64  // bytes in f plus buf
	ts      []byte // scratch for the formatted time
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
	return &Writer{path: path, maxSize: maxSize, maxFile: maxFile, f: f, size: st.Size()}, nil
}

// Write appends one entry. line is written as given: it should end in '\n'
// unless it is a partial line.
func (w *Writer) Write(stream string, line []byte, t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ts = t.UTC().AppendFormat(w.ts[:0], time.RFC3339Nano)
	if err := w.writeLocked(stream, line, w.ts); err != nil {
		return err
	}
	return w.flushLocked()
}

func (w *Writer) writeLocked(stream string, line, ts []byte) error {
	if w.closed {
		return os.ErrClosed
	}
	start := len(w.buf)
	w.buf = appendEntryTS(w.buf, stream, line, ts)
	n := int64(len(w.buf) - start)
	if w.maxSize > 0 && w.size > 0 && w.size+n > w.maxSize {
		// The entry does not fit: what precedes it goes to the old file.
		if err := w.writeOut(w.buf[:start]); err != nil {
			w.buf = w.buf[:start]
			return err
		}
		if err := w.rotate(); err != nil {
			w.buf = w.buf[:0]
			return err
		}
		w.buf = append(w.buf[:0], w.buf[start:]...)
	}
	w.size += n
	if len(w.buf) >= flushAt {
		return w.flushLocked()
	}
	return nil
}

func (w *Writer) writeOut(p []byte) error {
	for len(p) > 0 {
		n, err := w.f.Write(p)
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

func (w *Writer) flushLocked() error {
	if len(w.buf) == 0 {
		return nil
	}
	err := w.writeOut(w.buf)
	w.buf = w.buf[:0]
	if cap(w.buf) > 4*flushAt {
		w.buf = nil // a huge line grew it: do not keep it
	}
	return err
}

// rotate deletes path.(n-1), shifts path.(n-2) → path.(n-1) … path →
// path.1 and starts a new file (as the shim's C writer, jsonlog.c).
// As in Docker, a failed rename (the files were deleted or moved under us)
// costs the old entries at most: the new file is opened all the same, so
// logging goes on. With maxFile 1 the file is truncated in place.
func (w *Writer) rotate() error {
	if err := w.f.Close(); err != nil {
		return err
	}
	if w.maxFile > 1 {
		// Deleted, not renamed over: ext4 writes a file renamed over
		// another to disk at once (auto_da_alloc).
		os.Remove(w.path + "." + strconv.Itoa(w.maxFile-1))
		for i := w.maxFile - 1; i > 1; i-- {
			os.Rename(w.path+"."+strconv.Itoa(i-1), w.path+"."+strconv.Itoa(i))
		}
		os.Rename(w.path, w.path+".1")
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	w.f = f
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
	return w.flushLocked()
}

// Close flushes and closes the file. Stream writers must be closed first
// so their pending partial lines are written.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	err := w.flushLocked()
	w.closed = true
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}
