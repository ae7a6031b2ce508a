package logwriter

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"testing"
)

// TestAppendJSONStringMatchesEncodingJSON checks the 8-byte fast path
// against encoding/json (Docker's encoder) with every byte value at every
// position of a word, and with random strings of escapable and plain bytes.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	check := func(s []byte) {
		t.Helper()
		want, _ := json.Marshal(string(s))
		if got := AppendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("AppendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
	for b := 0; b < 256; b++ {
		for pos := 0; pos < 16; pos++ {
			s := bytes.Repeat([]byte("x"), 17)
			s[pos] = byte(b)
			check(s)
		}
	}
	alphabet := []byte("ab \t\n\"\\<>&\x00\x1f\x7f\xc3\xa9\xe2\x80\xa8\xff")
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		s := make([]byte, r.IntN(40))
		for i := range s {
			if r.IntN(3) == 0 {
				s[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				s[i] = byte(' ' + r.IntN(95))
			}
		}
		check(s)
	}
}

// With UseBuffer the writer gathers entries in the caller's memory, also
// after a line too long for it forced a bigger buffer once.
func TestUseBufferKeepsTheCallersMemory(t *testing.T) {
	path := t.TempDir() + "/log"
	w, err := NewWriter(path, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	own := make([]byte, BufferSize)
	w.UseBuffer(own)
	s := w.Stream("stdout")
	huge := bytes.Repeat([]byte("\x01"), 4*BufferSize) // escapes to 6x: outgrows own
	for _, p := range [][]byte{[]byte("a\n"), append(huge, '\n'), []byte("b\n")} {
		if _, err := s.Write(p); err != nil {
			t.Fatal(err)
		}
		if &w.buf[:1][0] != &own[0] {
			t.Fatalf("after a write of %d bytes the buffer is not the caller's", len(p))
		}
	}
	w.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// a, the 16 KiB pieces of the huge line, its "\n", b
	if n := bytes.Count(data, []byte("\n")); n != 3+len(huge)/MaxLine {
		t.Fatalf("%d entries", n)
	}
	if !bytes.Contains(data, []byte(`{"log":"a\n"`)) || !bytes.Contains(data, []byte(`{"log":"b\n"`)) {
		t.Fatalf("entries missing: %.200s", data)
	}
}
