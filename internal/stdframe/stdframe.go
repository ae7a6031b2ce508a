// Package stdframe writes Docker's multiplexed stream frames: an 8-byte
// header (stream byte, three zero bytes, big-endian uint32 length) and the
// payload. The reader side is moby's api/pkg/stdcopy.
package stdframe

import (
	"encoding/binary"
	"io"
)

// Stream identifiers, as stdcopy reads them.
const (
	Stdin  byte = 0
	Stdout byte = 1
	Stderr byte = 2
	System byte = 3 // errors from the daemon itself
)

// Append appends one frame of p on stream to dst.
func Append(dst []byte, stream byte, p []byte) []byte {
	var hdr [8]byte
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(p)))
	dst = append(dst, hdr[:]...)
	return append(dst, p...)
}

// Writer frames every Write as one frame on its stream.
type Writer struct {
	w      io.Writer
	stream byte
	buf    []byte
}

func NewWriter(w io.Writer, stream byte) *Writer { return &Writer{w: w, stream: stream} }

func (f *Writer) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	f.buf = Append(f.buf[:0], f.stream, p)
	if _, err := f.w.Write(f.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}
