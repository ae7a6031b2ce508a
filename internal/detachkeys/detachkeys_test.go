package detachkeys

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for spec, want := range map[string][]byte{
		"":              {16, 17},
		"ctrl-p,ctrl-q": {16, 17},
		"a,ctrl-@":      {'a', 0},
		"ctrl-[":        {27},
	} {
		got, err := Parse(spec)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", spec, got, err, want)
		}
	}
	if _, err := Parse("ctrl-1"); err == nil || err.Error() != "Unknown character: 'ctrl-1'" {
		t.Errorf("Parse(ctrl-1) error = %v", err)
	}
}

func readAll(r io.Reader) (string, error) {
	var out bytes.Buffer
	buf := make([]byte, 3) // small reads exercise the held-back bytes
	for {
		n, err := r.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return out.String(), err
		}
	}
}

func TestReaderDetaches(t *testing.T) {
	got, err := readAll(NewReader(strings.NewReader("ls\n\x10\x11after"), []byte{16, 17}))
	if !errors.Is(err, ErrDetached) || got != "ls\n" {
		t.Fatalf("got %q, %v; want %q and ErrDetached", got, err, "ls\n")
	}
}

func TestReaderDetachesWithinOneRead(t *testing.T) {
	r := NewReader(strings.NewReader("ls\n\x10\x11after"), []byte{16, 17})
	buf := make([]byte, 64)
	n, err := r.Read(buf)
	if err != nil || string(buf[:n]) != "ls\n" {
		t.Fatalf("first read = %q, %v; want the bytes before the sequence", buf[:n], err)
	}
	if _, err := r.Read(buf); !errors.Is(err, ErrDetached) {
		t.Fatalf("second read error = %v, want ErrDetached", err)
	}
}

func TestReaderReleasesPartialSequence(t *testing.T) {
	in := "a\x10b\x10\x10c"
	got, err := readAll(NewReader(strings.NewReader(in), []byte{16, 17}))
	if err != nil || got != in {
		t.Fatalf("got %q, %v; want the input unchanged", got, err)
	}
}
