package logs

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"
)

// ReadConfig selects what Read returns.
type ReadConfig struct {
	Tail   int // number of entries from the end; -1 means all
	Since  time.Time
	Until  time.Time
	Follow bool
	// Done is closed when the container has stopped: Read then returns
	// after reading what remains.
	Done <-chan struct{}
}

// readBuffer is how much of the log one read takes.
const readBuffer = 256 << 10

// pollInterval is how often a follower checks for new data and rotation.
const pollInterval = 50 * time.Millisecond

// errStop ends reading once an entry is past Until.
var errStop = errors.New("past until")

// Read emits the entries of the log at path (and its rotated files, oldest
// first) that cfg selects. A missing log is an empty log.
func Read(ctx context.Context, path string, cfg ReadConfig, emit func(Message) error) error {
	files := openAll(path)
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	start, offset := 0, int64(0)
	if cfg.Tail >= 0 {
		var err error
		start, offset, err = tailStart(files, cfg.Tail)
		if err != nil {
			return err
		}
	}
	r := &entryReader{cfg: cfg, emit: emit, br: bufio.NewReaderSize(nil, readBuffer)}
	for i := start; i < len(files); i++ {
		off := int64(0)
		if i == start {
			off = offset
		}
		if err := r.reset(files[i], off); err != nil {
			return err
		}
		if err := r.drain(); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
	if !cfg.Follow {
		return nil
	}
	var cur *os.File
	if n := len(files); n > 0 && files[n-1].Name() == path {
		cur = files[n-1]
	} else {
		// No current file yet: start following it once it appears.
		cur = nil
	}
	err := follow(ctx, path, cur, r)
	if err == errStop {
		return nil
	}
	return err
}

// openAll opens path.N … path.1, path (those that exist), oldest first.
func openAll(path string) []*os.File {
	var rotated []*os.File
	for i := 1; ; i++ {
		f, err := os.Open(path + "." + strconv.Itoa(i))
		if err != nil {
			break
		}
		rotated = append(rotated, f)
	}
	files := make([]*os.File, 0, len(rotated)+1)
	for i := len(rotated) - 1; i >= 0; i-- {
		files = append(files, rotated[i])
	}
	if f, err := os.Open(path); err == nil {
		files = append(files, f)
	}
	return files
}

// tailStart finds the file index and offset where the last n entries begin,
// scanning backwards so that only the tail of the log is read.
func tailStart(files []*os.File, n int) (int, int64, error) {
	if n == 0 {
		// Nothing from the past: start at the end of the newest file.
		if len(files) == 0 {
			return 0, 0, nil
		}
		st, err := files[len(files)-1].Stat()
		if err != nil {
			return 0, 0, err
		}
		return len(files) - 1, st.Size(), nil
	}
	need := n + 1 // the (n+1)-th newline from the end precedes the first wanted entry
	buf := make([]byte, 64<<10)
	for i := len(files) - 1; i >= 0; i-- {
		st, err := files[i].Stat()
		if err != nil {
			return 0, 0, err
		}
		// Every file's last newline ends its last entry, so the count
		// carries over unchanged from a newer file to an older one.
		end := st.Size()
		for end > 0 {
			sz := int64(len(buf))
			if sz > end {
				sz = end
			}
			chunk := buf[:sz]
			if _, err := files[i].ReadAt(chunk, end-sz); err != nil && err != io.EOF {
				return 0, 0, err
			}
			for j := len(chunk) - 1; j >= 0; j-- {
				if chunk[j] == '\n' {
					need--
					if need == 0 {
						return i, end - sz + int64(j) + 1, nil
					}
				}
			}
			end -= sz
		}
	}
	return 0, 0, nil
}

// entryReader decodes entries from one file at a time.
type entryReader struct {
	cfg     ReadConfig
	emit    func(Message) error
	br      *bufio.Reader
	f       *os.File
	off     int64  // offset of the first byte not yet consumed into a complete entry
	partial []byte // bytes of an entry not yet terminated by '\n'
	dec     decoder
	msg     Message
}

func (r *entryReader) reset(f *os.File, off int64) error {
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	r.f, r.off = f, off
	r.br.Reset(f)
	r.partial = r.partial[:0]
	return nil
}

// drain emits complete entries up to the current end of the file.
func (r *entryReader) drain() error {
	for {
		line, err := r.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			r.partial = append(r.partial, line...)
			continue
		}
		if err == io.EOF {
			r.partial = append(r.partial, line...)
			return nil
		}
		if err != nil {
			return err
		}
		entry := line
		if len(r.partial) > 0 {
			r.partial = append(r.partial, line...)
			entry = r.partial
		}
		r.off += int64(len(entry))
		if err := r.handle(entry); err != nil {
			return err
		}
		r.partial = r.partial[:0]
	}
}

func (r *entryReader) handle(entry []byte) error {
	for n := len(entry); n > 0 && (entry[n-1] == '\n' || entry[n-1] == '\r'); n-- {
		entry = entry[:n-1]
	}
	if len(entry) == 0 {
		return nil
	}
	m := &r.msg // reused: no allocation per entry
	if err := r.dec.decode(entry, m); err != nil {
		return nil // a torn or foreign line: skip it as Docker does
	}
	if !r.cfg.Since.IsZero() && m.Time.Before(r.cfg.Since) {
		return nil
	}
	if !r.cfg.Until.IsZero() && m.Time.After(r.cfg.Until) {
		return errStop
	}
	return r.emit(*m)
}

// follow keeps reading path as it grows, across rotation, until ctx ends
// or Done is closed.
func follow(ctx context.Context, path string, cur *os.File, r *entryReader) error {
	if cur == nil {
		cur = openWhenPresent(path)
		if cur != nil {
			if err := r.reset(cur, 0); err != nil {
				return err
			}
		}
	}
	defer func() {
		if cur != nil {
			cur.Close()
		}
	}()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	finished := false
	for {
		if cur != nil {
			if err := r.drain(); err != nil {
				return err
			}
			if next := rotatedTo(path, cur); next != nil {
				// Everything was written to the old file before the rename.
				if err := r.drain(); err != nil {
					next.Close()
					return err
				}
				cur.Close()
				cur = next
				if err := r.reset(cur, 0); err != nil {
					return err
				}
				continue
			}
			if truncated(cur, r.off+int64(len(r.partial))) {
				if err := r.reset(cur, 0); err != nil {
					return err
				}
				continue
			}
		} else if cur = openWhenPresent(path); cur != nil {
			if err := r.reset(cur, 0); err != nil {
				return err
			}
			continue
		}
		if finished {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.cfg.Done:
			finished = true // one more pass reads what remains
		case <-t.C:
		}
	}
}

func openWhenPresent(path string) *os.File {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	return f
}

// rotatedTo returns the new file at path when it is no longer cur's inode.
func rotatedTo(path string, cur *os.File) *os.File {
	var a, b syscall.Stat_t
	if err := syscall.Fstat(int(cur.Fd()), &a); err != nil {
		return nil
	}
	if err := syscall.Stat(path, &b); err != nil {
		return nil
	}
	if a.Ino == b.Ino && a.Dev == b.Dev {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	return f
}

// truncated reports whether the file shrank below what was read (maxFile 1).
func truncated(f *os.File, read int64) bool {
	st, err := f.Stat()
	return err == nil && st.Size() < read
}
