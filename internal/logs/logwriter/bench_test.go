package logwriter

import (
	"bytes"
	"path/filepath"
	"testing"
)

// BenchmarkStreamWrite encodes 64 KiB reads of 100-byte lines, as the shim
// does for a chatty container, into a log file in the temp dir.
func BenchmarkStreamWrite(b *testing.B) {
	line := append(bytes.Repeat([]byte("a"), 99), '\n')
	chunk := bytes.Repeat(line, 256<<10/len(line)) // one read of the shim
	w, err := NewWriter(filepath.Join(b.TempDir(), "log"), 0, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	s := w.Stream("stdout")
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		s.Write(chunk)
	}
}

// BenchmarkAppendJSONString is the quoting of one plain 100-byte line.
func BenchmarkAppendJSONString(b *testing.B) {
	line := append(bytes.Repeat([]byte("a"), 99), '\n')
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		buf = AppendJSONString(buf[:0], line)
	}
}

// BenchmarkAppendEntries encodes a 64 KiB read of 100-byte lines without
// the file, the shim's user-space share of a chatty container.
func BenchmarkAppendEntries(b *testing.B) {
	line := append(bytes.Repeat([]byte("a"), 99), '\n')
	chunk := bytes.Repeat(line, 64<<10/len(line))
	ts := []byte("2026-11-23T22:10:00.123456789Z")
	buf := make([]byte, 0, 128<<10)
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		buf = buf[:0]
		for p := chunk; len(p) > 0; p = p[len(line):] {
			buf = appendEntryTS(buf, "stdout", p[:len(line)], ts)
		}
	}
}
