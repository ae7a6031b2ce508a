package logs

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"
)

// The writer-shape fast path agrees with the general decoder on entries the
// writer produces (quotes, escapes, partial lines, both streams), and leaves
// every other shape to it.
func TestWriterShapeMatchesGeneralDecoder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("ab \t\n\"\\<>&\x01\xc3\xa9\xff:,{}")
	ts := time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC)
	d := &decoder{}
	for i := range 20000 {
		line := make([]byte, r.IntN(60))
		for j := range line {
			line[j] = alphabet[r.IntN(len(alphabet))]
		}
		stream := []string{"stdout", "stderr"}[i%2]
		entry := bytes.TrimSuffix(appendEntry(nil, stream, line, ts.Add(time.Duration(r.IntN(3))*time.Nanosecond*137)), []byte("\n"))
		var want, got Message
		if err := decodeFast(entry, &want); err != nil {
			t.Fatalf("general decoder refused %s: %v", entry, err)
		}
		if !d.decodeWriterShape(entry, &got) {
			if len(line) > 0 && bytes.IndexByte(line, '"') < 0 {
				t.Fatalf("fast path refused %s", entry)
			}
			continue
		}
		if got.Stream != want.Stream || !bytes.Equal(got.Line, want.Line) || !got.Time.Equal(want.Time) {
			t.Fatalf("%s: fast %q %q %v, general %q %q %v", entry, got.Stream, got.Line, got.Time, want.Stream, want.Line, want.Time)
		}
	}
	for _, other := range []string{
		`{"log":"x\n","stream":"stdout","time":"2026-11-23T22:00:00Z","attrs":{"a":"b"}}`,
		`{"stream":"stdout","time":"2026-11-23T22:00:00Z"}`,
		`{"log":"x\n","stream":"other","time":"2026-11-23T22:00:00Z"}`,
		`{"log":"x\n","time":"2026-11-23T22:00:00Z","stream":"stdout"}`,
		`{"log":"a"b","stream":"stdout","time":"2026-11-23T22:00:00Z"}`,
		`{"log":"x","stream":"stdout","time":"not a time"}`,
	} {
		var m Message
		if d.decodeWriterShape([]byte(other), &m) {
			t.Errorf("fast path took %s", other)
		}
	}
}
