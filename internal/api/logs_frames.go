package api

import (
	"encoding/binary"
	"io"

	"github.com/moby/moby/api/pkg/stdcopy"
)

// logFlushSize is how many bytes of log output go to the connection in one
// write.
const logFlushSize = 128 << 10

// logFramer writes log lines as Docker's multiplexed frames (or raw for a
// TTY). Consecutive lines of one stream share a frame, as the payload of a
// frame is a byte stream to stdcopy: a 100 MB log of short lines is then a
// few hundred frames and writes, not a million of each, for the daemon and
// for the client that demultiplexes them.
type logFramer struct {
	w          io.Writer
	mux        bool
	opts       LogsOptions
	buf        []byte
	frameStart int // offset in buf of the open frame's header, -1 if none
	stream     stdcopy.StdType
}

func newLogFramer(w io.Writer, mux bool, opts LogsOptions) *logFramer {
	return &logFramer{w: w, mux: mux, opts: opts, frameStart: -1}
}

// add appends one log line; it is written once enough has gathered.
func (f *logFramer) add(m *LogMessage) error {
	if f.mux {
		stream := stdcopy.Stdout
		if m.Stream == "stderr" {
			stream = stdcopy.Stderr
		}
		if f.frameStart < 0 || stream != f.stream {
			f.closeFrame()
			f.frameStart, f.stream = len(f.buf), stream
			f.buf = append(f.buf, byte(stream), 0, 0, 0, 0, 0, 0, 0)
		}
	}
	f.buf = appendLogLine(f.buf, m, &f.opts)
	if len(f.buf) >= logFlushSize {
		return f.flush()
	}
	return nil
}

// closeFrame fills in the open frame's length.
func (f *logFramer) closeFrame() {
	if f.frameStart >= 0 {
		binary.BigEndian.PutUint32(f.buf[f.frameStart+4:], uint32(len(f.buf)-f.frameStart-8))
		f.frameStart = -1
	}
}

// flush writes what has gathered.
func (f *logFramer) flush() error {
	f.closeFrame()
	if len(f.buf) == 0 {
		return nil
	}
	_, err := f.w.Write(f.buf)
	if cap(f.buf) > 2*logFlushSize {
		f.buf = nil // one huge line grew it
	} else {
		f.buf = f.buf[:0]
	}
	return err
}
