package stdframe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/moby/moby/api/pkg/stdcopy"
)

func TestWriterFramesDecodeWithStdCopy(t *testing.T) {
	var wire bytes.Buffer
	out := NewWriter(&wire, Stdout)
	errw := NewWriter(&wire, Stderr)
	writes := []struct {
		w    *Writer
		data string
	}{
		{out, "hello "},
		{errw, "oops\n"},
		{out, "world\n"},
		{out, ""}, // must not emit an empty frame
		{errw, "again"},
	}
	for _, wr := range writes {
		n, err := wr.w.Write([]byte(wr.data))
		if err != nil || n != len(wr.data) {
			t.Fatalf("Write(%q) = %d, %v", wr.data, n, err)
		}
	}
	var stdout, stderr bytes.Buffer
	n, err := stdcopy.StdCopy(&stdout, &stderr, &wire)
	if err != nil {
		t.Fatalf("StdCopy: %v", err)
	}
	if stdout.String() != "hello world\n" {
		t.Errorf("stdout = %q", stdout.String())
	}
	if stderr.String() != "oops\nagain" {
		t.Errorf("stderr = %q", stderr.String())
	}
	if n != int64(stdout.Len()+stderr.Len()) {
		t.Errorf("StdCopy copied %d bytes, want %d", n, stdout.Len()+stderr.Len())
	}
}

func TestEmptyWriteWritesNothing(t *testing.T) {
	var wire bytes.Buffer
	w := NewWriter(&wire, Stdout)
	for _, p := range [][]byte{nil, {}} {
		n, err := w.Write(p)
		if n != 0 || err != nil {
			t.Errorf("Write(%v) = %d, %v", p, n, err)
		}
	}
	if wire.Len() != 0 {
		t.Errorf("empty writes produced %d bytes", wire.Len())
	}
}

func TestAppendHeader(t *testing.T) {
	tests := []struct {
		stream byte
		p      []byte
	}{
		{Stdin, []byte("in")},
		{Stdout, []byte("x")},
		{Stderr, bytes.Repeat([]byte("e"), 70000)}, // length needs more than two bytes
		{System, []byte("daemon error")},
	}
	for _, tt := range tests {
		prefix := []byte("keep")
		got := Append(prefix, tt.stream, tt.p)
		if !bytes.HasPrefix(got, []byte("keep")) {
			t.Fatalf("Append dropped dst's content")
		}
		frame := got[4:]
		if frame[0] != tt.stream || frame[1] != 0 || frame[2] != 0 || frame[3] != 0 {
			t.Errorf("header = %v, want [%d 0 0 0 ...]", frame[:4], tt.stream)
		}
		if l := binary.BigEndian.Uint32(frame[4:8]); int(l) != len(tt.p) {
			t.Errorf("length = %d, want %d", l, len(tt.p))
		}
		if !bytes.Equal(frame[8:], tt.p) {
			t.Errorf("payload differs")
		}
	}
}

func TestSystemStreamIsAnErrorForStdCopy(t *testing.T) {
	wire := Append(Append(nil, Stdout, []byte("partial")), System, []byte("container died"))
	var stdout, stderr bytes.Buffer
	_, err := stdcopy.StdCopy(&stdout, &stderr, bytes.NewReader(wire))
	if err == nil || !strings.HasSuffix(err.Error(), "container died") {
		t.Errorf("StdCopy error = %v, want the system frame's text", err)
	}
	if stdout.String() != "partial" {
		t.Errorf("stdout = %q", stdout.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteErrorReportsZero(t *testing.T) {
	n, err := NewWriter(failWriter{}, Stdout).Write([]byte("data"))
	if err == nil || n != 0 {
		t.Errorf("Write = %d, %v, want 0 and the error", n, err)
	}
}
