package logwriter

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
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
