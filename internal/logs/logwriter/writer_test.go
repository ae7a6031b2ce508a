package logwriter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStreamBuffersAndRotates writes more than one flush worth of lines
// through a rotating writer and checks that no entry is lost, split across
// files or left in the buffer.
func TestStreamBuffersAndRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(path, 100<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	s := w.Stream("stdout")
	ts := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	s.now = func() time.Time { return ts }
	line := strings.Repeat("x", 99) + "\n"
	chunk := strings.Repeat(line, 700) // 70 KB: more than flushAt per Write
	for i := 0; i < 3; i++ {
		if _, err := s.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	s.Write([]byte("partial"))
	s.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	entry := string(AppendEntry(nil, "stdout", []byte(line), ts))
	total := 0
	for _, name := range []string{path + ".2", path + ".1", path} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 100<<10 {
			t.Fatalf("%s is %d bytes, over max size", name, len(data))
		}
		for _, e := range strings.SplitAfter(string(data), "\n") {
			switch e {
			case "":
			case entry:
				total++
			case string(AppendEntry(nil, "stdout", []byte("partial"), ts)):
				if name != path {
					t.Fatal("partial entry not last")
				}
			default:
				t.Fatalf("bad entry %q in %s", e, name)
			}
		}
	}
	// 210 KB of entries over three 100 KB files: the oldest were rotated away.
	if total == 0 || total > 3*700 {
		t.Fatalf("%d entries", total)
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Fatal("more files than maxFile")
	}
}
