package api

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
)

// Lines of one stream share a frame, a change of stream starts a new one,
// and stdcopy gets back every line in order on the right stream.
func TestLogFramerMergesLinesOfAStream(t *testing.T) {
	var wire bytes.Buffer
	f := newLogFramer(&wire, true, LogsOptions{})
	lines := []LogMessage{
		{Stream: "stdout", Line: []byte("a\n")},
		{Stream: "stdout", Line: []byte("b\n")},
		{Stream: "stderr", Line: []byte("oops\n")},
		{Stream: "stdout", Line: []byte("c")},
	}
	for _, m := range lines {
		if err := f.add(&m); err != nil {
			t.Fatal(err)
		}
	}
	if wire.Len() != 0 {
		t.Fatalf("wrote %d bytes before the flush", wire.Len())
	}
	if err := f.flush(); err != nil {
		t.Fatal(err)
	}
	frames := 0
	for b := wire.Bytes(); len(b) > 0; frames++ {
		b = b[8+binary.BigEndian.Uint32(b[4:8]):]
	}
	if frames != 3 {
		t.Errorf("%d frames, want 3", frames)
	}
	var out, errOut bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errOut, &wire); err != nil {
		t.Fatal(err)
	}
	if out.String() != "a\nb\nc" || errOut.String() != "oops\n" {
		t.Fatalf("stdout %q stderr %q", out.String(), errOut.String())
	}
}

// A big log goes out in writes of about logFlushSize, timestamps included;
// a TTY log is raw bytes.
func TestLogFramerFlushesBigLogsAndRawTTY(t *testing.T) {
	counter := &countingWriter{}
	f := newLogFramer(counter, true, LogsOptions{Timestamps: true})
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	line := []byte(strings.Repeat("x", 99) + "\n")
	for range 10000 {
		f.add(&LogMessage{Stream: "stdout", Line: line, Time: ts})
	}
	f.flush()
	if counter.writes > 10000*131/logFlushSize+1 {
		t.Errorf("%d writes for %d bytes", counter.writes, counter.n)
	}
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, bytes.NewReader(counter.buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	want := "2026-01-02T03:04:05.000000006Z " + string(line)
	if out.Len() != 10000*len(want) || !strings.HasPrefix(out.String(), want) {
		t.Fatalf("got %d bytes starting %q", out.Len(), out.String()[:40])
	}

	var raw bytes.Buffer
	f = newLogFramer(&raw, false, LogsOptions{})
	f.add(&LogMessage{Stream: "stdout", Line: []byte("tty\r\n")})
	f.flush()
	if raw.String() != "tty\r\n" {
		t.Fatalf("tty log %q", raw.String())
	}
}

type countingWriter struct {
	buf    bytes.Buffer
	writes int
	n      int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	c.n += len(p)
	return c.buf.Write(p)
}
