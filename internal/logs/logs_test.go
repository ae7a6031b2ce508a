package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readAll(t *testing.T, path string, cfg ReadConfig) []Message {
	t.Helper()
	var out []Message
	err := Read(context.Background(), path, cfg, func(m Message) error {
		m.Line = bytes.Clone(m.Line) // only valid during the call
		out = append(out, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEntryFormatMatchesDocker(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 123456700, time.FixedZone("x", 3600))
	got := string(appendEntry(nil, "stdout", []byte("a<b>&\"\\\t\x01é\xff\u2028\n"), ts))
	want := `{"log":"a\u003cb\u003e\u0026\"\\\t\u0001é\ufffd\u2028\n","stream":"stdout","time":"2026-01-02T02:04:05.1234567Z"}` + "\n"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// encoding/json must agree on the string encoding.
	s := "x<y>&z\u2029\x7f\x1f"
	ref, _ := json.Marshal(s)
	if mine := appendJSONString(nil, []byte(s)); !bytes.Equal(mine, ref) {
		t.Fatalf("mine %s ref %s", mine, ref)
	}
}

func TestRoundTripAndPartials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(path, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	out, errs := w.Stream("stdout"), w.Stream("stderr")
	long := strings.Repeat("x", maxLine+10)
	out.Write([]byte("hello\nwor"))
	errs.Write([]byte("oops\n"))
	out.Write([]byte("ld\n" + long + "\n" + "tail"))
	out.Close()
	errs.Close()
	w.Close()
	msgs := readAll(t, path, ReadConfig{Tail: -1})
	var got []string
	for _, m := range msgs {
		got = append(got, m.Stream+":"+string(m.Line))
	}
	want := []string{"stdout:hello\n", "stderr:oops\n", "stdout:world\n",
		"stdout:" + long[:maxLine], "stdout:" + long[maxLine:] + "\n", "stdout:tail"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	for _, m := range msgs {
		if m.Time.IsZero() || time.Since(m.Time) > time.Minute {
			t.Fatalf("bad time %v", m.Time)
		}
	}
}

func TestDecodeFallback(t *testing.T) {
	var m Message
	in := `{"log":"a\ud83d\ude00\n","stream":"stdout","attrs":{"k":"v"},"time":"2026-01-02T03:04:05Z"}`
	if err := decodeEntry([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	if string(m.Line) != "a😀\n" || m.Attrs["k"] != "v" || m.Time.Year() != 2026 {
		t.Fatalf("%+v", m)
	}
	if err := decodeFast([]byte(`{"log":"a\ud83d\ude00\u003c\n","stream":"stderr","time":"2026-01-02T03:04:05Z"}`), &m); err != nil || string(m.Line) != "a😀<\n" || m.Stream != "stderr" {
		t.Fatalf("%v %+v", err, m)
	}
}

func writeN(t *testing.T, w *Writer, from, n int, base time.Time) {
	for i := from; i < from+n; i++ {
		if err := w.Write("stdout", []byte(fmt.Sprintf("line %04d\n", i)), base.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(path, 1000, 3)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	writeN(t, w, 0, 100, base)
	w.Close()
	for _, p := range []string{path, path + ".1", path + ".2"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > 1000 || st.Size() == 0 {
			t.Fatalf("%s size %d", p, st.Size())
		}
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Fatalf("path.3 exists: %v", err)
	}
	all := readAll(t, path, ReadConfig{Tail: -1})
	last := all[len(all)-1]
	if string(last.Line) != "line 0099\n" {
		t.Fatalf("last %q", last.Line)
	}
	for i := 1; i < len(all); i++ {
		if !all[i].Time.After(all[i-1].Time) {
			t.Fatalf("out of order at %d", i)
		}
	}
	// Tail across files: ask for more than the newest file holds.
	st, _ := os.Stat(path)
	perFile := int(st.Size()) / len(appendEntry(nil, "stdout", []byte("line 0000\n"), base))
	n := perFile + 3
	tail := readAll(t, path, ReadConfig{Tail: n})
	if len(tail) != n || string(tail[0].Line) != fmt.Sprintf("line %04d\n", 100-n) {
		t.Fatalf("tail %d: got %d entries, first %q", n, len(tail), tail[0].Line)
	}
	if got := readAll(t, path, ReadConfig{Tail: 1000}); len(got) != len(all) {
		t.Fatalf("tail 1000 = %d, all = %d", len(got), len(all))
	}
	if got := readAll(t, path, ReadConfig{Tail: 0}); len(got) != 0 {
		t.Fatalf("tail 0 = %d", len(got))
	}

	// maxFile 1 truncates instead of keeping old files.
	p1 := filepath.Join(t.TempDir(), "one.log")
	w1, _ := NewWriter(p1, 500, 1)
	writeN(t, w1, 0, 50, base)
	w1.Close()
	if _, err := os.Stat(p1 + ".1"); !os.IsNotExist(err) {
		t.Fatal("maxFile 1 kept a rotated file")
	}
}

func TestSinceUntil(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, _ := NewWriter(path, 0, 1)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	writeN(t, w, 0, 10, base)
	w.Close()
	got := readAll(t, path, ReadConfig{Tail: -1, Since: base.Add(3 * time.Second), Until: base.Add(5 * time.Second)})
	if len(got) != 3 || string(got[0].Line) != "line 0003\n" || string(got[2].Line) != "line 0005\n" {
		t.Fatalf("got %d entries", len(got))
	}
}

func TestFollowAcrossRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, _ := NewWriter(path, 400, 5)
	base := time.Now().UTC()
	writeN(t, w, 0, 2, base)
	w.Flush()
	done := make(chan struct{})
	got := make(chan string, 100)
	errc := make(chan error, 1)
	go func() {
		errc <- Read(context.Background(), path, ReadConfig{Tail: 1, Follow: true, Done: done}, func(m Message) error {
			got <- string(m.Line)
			return nil
		})
	}()
	expect := func(s string) {
		t.Helper()
		select {
		case l := <-got:
			if l != s {
				t.Fatalf("got %q want %q", l, s)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("timeout waiting for %q", s)
		}
	}
	expect("line 0001\n")
	for i := 2; i < 12; i++ {
		writeN(t, w, i, 1, base)
		w.Flush()
		expect(fmt.Sprintf("line %04d\n", i))
	}
	if _, err := os.Stat(path + ".1"); err != nil {
		t.Fatal("expected rotation to have happened")
	}
	writeN(t, w, 12, 1, base)
	w.Close()
	close(done)
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Read did not end after Done")
	}
	expect("line 0012\n")
}

func BenchmarkRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "c-json.log")
	w, _ := NewWriter(path, 0, 1)
	s := w.Stream("stdout")
	line := []byte(strings.Repeat("some log text <x> ", 5) + "\n")
	for i := 0; i < 100000; i++ {
		s.Write(line)
	}
	s.Close()
	w.Close()
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Read(context.Background(), path, ReadConfig{Tail: -1}, func(Message) error { return nil })
	}
}

func BenchmarkWrite(b *testing.B) {
	path := filepath.Join(b.TempDir(), "c-json.log")
	w, _ := NewWriter(path, 10<<20, 3)
	s := w.Stream("stdout")
	chunk := bytes.Repeat([]byte(strings.Repeat("some log text <x> ", 5)+"\n"), 300)
	b.SetBytes(int64(len(chunk)))
	for i := 0; i < b.N; i++ {
		s.Write(chunk)
	}
	w.Close()
}

func TestParseUTCTimeMatchesTimeParse(t *testing.T) {
	for _, s := range []string{
		"2026-11-23T19:56:01.123456789Z",
		"2026-11-23T19:56:01.1Z",
		"2026-11-23T19:56:01Z",
		"2024-02-29T00:00:00.000001Z",
	} {
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := parseUTCTime([]byte(s))
		if !ok || !got.Equal(want) {
			t.Errorf("parseUTCTime(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"2026-11-23T19:56:01+01:00", "2026-13-23T19:56:01Z", "garbage-that-is-long-enough", "2026-11-23T19:56:01.Z"} {
		if _, ok := parseUTCTime([]byte(s)); ok {
			t.Errorf("parseUTCTime(%q) accepted it; the reader must fall back to time.Parse", s)
		}
	}
}
