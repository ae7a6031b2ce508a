package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/logs/logwriter"
	"github.com/berth-dev/berth/internal/shimproto"
)

// trickyLines are inputs whose escaping has to match encoding/json's (as
// Docker writes it) byte for byte.
func trickyLines() [][]byte {
	lines := [][]byte{
		[]byte("plain line\n"),
		[]byte(`quote " backslash \ slash /` + "\n"),
		[]byte("ctl \x00\x01\x07\b\t\n\v\f\r\x1b\x1f\x7f end"),
		[]byte("<html> & </html> <<>>&&\n"),
		[]byte("invalid \xff \xfe\xfd \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82 trunc\xe2"),
		[]byte("seps \u2028 \u2029 \u2027 \u202a\n"),
		[]byte("utf-8 é ü ñ 日本語 😀 \U0010FFFF \uFFFD\n"),
		bytes.Repeat([]byte("0123456789abcdef"), 4),
		[]byte("x"),
		{},
	}
	// Every special byte at every offset within and across 16-byte blocks.
	for _, special := range []string{"\"", "\\", "<", ">", "&", "\n", "\x01", "é", "\xff", "\u2028", "\xe2\x80"} {
		for off := 0; off < 40; off++ {
			l := bytes.Repeat([]byte{'a'}, 48)
			l = append(l[:off], append([]byte(special), l[off:]...)...)
			lines = append(lines, l)
		}
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	lines = append(lines, all, bytes.Repeat(all, 70)) // 17920 bytes
	return lines
}

func TestCJSONEntryMatchesLogwriter(t *testing.T) {
	times := []time.Time{
		time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 120000000, time.UTC),
		time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2038, 1, 19, 3, 14, 8, 1, time.FixedZone("x", 3600)),
		time.Date(2100, 3, 1, 12, 0, 0, 100, time.UTC),
		time.Now(),
	}
	for i, line := range trickyLines() {
		for _, stream := range []string{"stdout", "stderr", ""} {
			tm := times[i%len(times)]
			want := logwriter.AppendEntry(nil, stream, line, tm)
			got := cAppendEntry(stream, line, tm)
			if !bytes.Equal(got, want) {
				t.Fatalf("line %d %q:\n got %s\nwant %s", i, line, got, want)
			}
		}
	}
	for _, tm := range times {
		want := tm.UTC().Format(time.RFC3339Nano)
		if got := cAppendEntry("s", nil, tm); !bytes.Contains(got, []byte(`"time":"`+want+`"`)) {
			t.Fatalf("time %s: %s", want, got)
		}
	}
}

func TestCExitJSONEscaping(t *testing.T) {
	for _, s := range []string{"runc: \"bad\"\n\t<x> & \x01 \b \f é \u2028 \xff", "2024-01-02T03:04:05.123456789Z"} {
		want := shimproto.AppendExitJSON(nil, shimproto.Exit{Error: s})
		want = want[bytes.Index(want, []byte(`"error":"`))+9 : len(want)-2]
		if got := cExitJSON(s); !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	}
}

var timeField = regexp.MustCompile(`"time":"[^"]*"`)

// logChunks are reads of a container's output: lines split across reads,
// lines longer than 16 KiB (one and several pieces), both streams, and a
// partial last line on each stream.
func logChunks() []logWrite {
	long := bytes.Repeat([]byte("L<&>"), 10000) // 40000 bytes
	var w []logWrite
	w = append(w, logWrite{stream: 1, data: []byte("one\ntwo\nthr")}, logWrite{stream: 1, data: []byte("ee\n")})
	w = append(w, logWrite{stream: 2, data: []byte("err \xff\n")})
	w = append(w, logWrite{stream: 1, data: append(append([]byte("a"), long...), '\n')})
	w = append(w, logWrite{stream: 1, data: long[:16383]}, logWrite{stream: 1, data: long[:1]}, logWrite{stream: 1, data: []byte("tail\n")})
	w = append(w, logWrite{stream: 1, data: long[:20000]}, logWrite{stream: 1, data: long[:20000]}, logWrite{stream: 1, data: []byte("\n")})
	w = append(w, logWrite{stream: 2, data: bytes.Repeat([]byte("e\n"), 100)})
	// Lines whose newline is the 16384th byte (one entry) and the 16385th.
	for _, n := range []int{16383, 16384} {
		l := append(bytes.Clone(long[:n]), '\n')
		w = append(w, logWrite{stream: 1, data: append(l, "next\n"...)})
	}
	for _, l := range trickyLines() {
		w = append(w, logWrite{stream: 1 + len(l)%2, data: l})
	}
	w = append(w, logWrite{stream: 1, data: []byte("partial out")}, logWrite{stream: 2, data: []byte("partial err")})
	return w
}

// The C stream writer cuts and writes the same entries as logwriter's
// (timestamps aside: Go's StreamWriter reads the clock itself).
func TestCLogStreamMatchesLogwriter(t *testing.T) {
	dir := t.TempDir()
	chunks := logChunks()
	goPath := filepath.Join(dir, "go.log")
	w, err := logwriter.NewWriter(goPath, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	out, errs := w.Stream("stdout"), w.Stream("stderr")
	for _, c := range chunks {
		if c.stream == 1 {
			out.Write(c.data)
		} else {
			errs.Write(c.data)
		}
	}
	out.Close()
	errs.Close()
	w.Close()
	cPath := filepath.Join(dir, "c.log")
	if err := cLogStreams(cPath, 0, 1, chunks, time.Now()); err != nil {
		t.Fatal(err)
	}
	want := timeField.ReplaceAll(mustRead(t, goPath), []byte(`"time":"T"`))
	got := timeField.ReplaceAll(mustRead(t, cPath), []byte(`"time":"T"`))
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("entry %d differs:\n got %.300s\nwant %.300s", i, gl[i], wl[i])
			}
		}
		t.Fatalf("%d entries, want %d", len(gl), len(wl))
	}
	if n := bytes.Count(want, []byte("\n")); n < 100 {
		t.Fatalf("only %d entries", n)
	}
}

// Rotation (max-size, max-file) cuts the files where logwriter does: the
// entries the C writer produced are replayed through logwriter.Writer with
// the same time.
func TestCLogRotationMatchesLogwriter(t *testing.T) {
	tm := time.Date(2024, 5, 6, 7, 8, 9, 987654321, time.UTC)
	var chunks []logWrite
	for i := 0; i < 400; i++ {
		chunks = append(chunks, logWrite{stream: 1 + i%2, data: []byte(strings.Repeat("r", i%50) + strconv.Itoa(i) + "\n")})
	}
	chunks = append(chunks, logWrite{stream: 1, data: bytes.Repeat([]byte("big"), 7000)}, logWrite{stream: 1, data: []byte("\nend")})
	for _, maxFile := range []int{1, 3} {
		dir := t.TempDir()
		flat := filepath.Join(dir, "flat.log")
		if err := cLogStreams(flat, 0, 1, chunks, tm); err != nil {
			t.Fatal(err)
		}
		cPath, goPath := filepath.Join(dir, "c.log"), filepath.Join(dir, "go.log")
		if err := cLogStreams(cPath, 3000, maxFile, chunks, tm); err != nil {
			t.Fatal(err)
		}
		w, err := logwriter.NewWriter(goPath, 3000, maxFile)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range bytes.Split(bytes.TrimSuffix(mustRead(t, flat), []byte("\n")), []byte("\n")) {
			var e struct{ Log, Stream string }
			if err := json.Unmarshal(l, &e); err != nil {
				t.Fatal(err)
			}
			if err := w.Write(e.Stream, []byte(e.Log), tm); err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		for i := 0; i < maxFile+1; i++ {
			suffix := ""
			if i > 0 {
				suffix = "." + strconv.Itoa(i)
			}
			got, gerr := os.ReadFile(cPath + suffix)
			want, werr := os.ReadFile(goPath + suffix)
			if (gerr == nil) != (werr == nil) || !bytes.Equal(got, want) {
				t.Fatalf("max-file %d, file %q: got %d bytes (%v), want %d (%v)", maxFile, suffix, len(got), gerr, len(want), werr)
			}
		}
		// Rotated-out files are unlinked at once and let go of by the
		// helper thread (retire.c): none may stay open, deleted, for long.
		deadline := time.Now().Add(10 * time.Second)
		for held := deletedFilesHeld(t, dir); held > 0; held = deletedFilesHeld(t, dir) {
			if time.Now().After(deadline) {
				t.Fatalf("max-file %d: %d deleted log files still held open", maxFile, held)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// deletedFilesHeld counts this process's descriptors on deleted files in dir.
func deletedFilesHeld(t *testing.T, dir string) int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink("/proc/self/fd/" + fd.Name())
		if err == nil && strings.HasPrefix(target, dir+"/") && strings.HasSuffix(target, " (deleted)") {
			n++
		}
	}
	return n
}

// benchChunks is 32 MiB of 100-byte lines in 256 KiB reads, as a chatty
// container's output reaches the log writer.
func benchChunks() []logWrite {
	line := append(bytes.Repeat([]byte("a"), 99), '\n')
	chunk := bytes.Repeat(line, (256<<10)/len(line))
	w := make([]logWrite, 128)
	for i := range w {
		w[i] = logWrite{stream: 1, data: chunk}
	}
	return w
}

func BenchmarkCLogStream(b *testing.B) {
	chunks := benchChunks()
	b.SetBytes(int64(len(chunks) * len(chunks[0].data)))
	for b.Loop() {
		if err := cLogStreams(os.DevNull, 0, 1, chunks, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCLogRotation writes the same output to a real file with berth's
// default rotation scaled down (3 MiB × 3, so a run rotates ~15 times): the
// page-cache writes, the blocks reserved ahead (reserve in jsonlog.c) and the
// deletion of rotated-out files, as a chatty container's log costs them.
func BenchmarkCLogRotation(b *testing.B) {
	chunks := benchChunks()
	b.SetBytes(int64(len(chunks) * len(chunks[0].data)))
	path := filepath.Join(b.TempDir(), "c.log")
	for b.Loop() {
		if err := cLogStreams(path, 3<<20, 3, chunks, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoLogStream(b *testing.B) {
	chunks := benchChunks()
	b.SetBytes(int64(len(chunks) * len(chunks[0].data)))
	for b.Loop() {
		w, err := logwriter.NewWriter(os.DevNull, 0, 1)
		if err != nil {
			b.Fatal(err)
		}
		s := w.Stream("stdout")
		for _, c := range chunks {
			s.Write(c.data)
		}
		s.Close()
		w.Close()
	}
}

// logwriterFiles writes n copies of line with logwriter (3 MB × 3 files)
// and returns its log's path, to compare the C writer's files with.
func logwriterFiles(t *testing.T, dir string, line []byte, n int, tm time.Time) string {
	t.Helper()
	goPath := filepath.Join(dir, "go.log")
	w, err := logwriter.NewWriter(goPath, 3_000_000, 3)
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := w.Write("stdout", line, tm); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return goPath
}

// A rotation links the file the helper thread made ahead (retire.c) instead
// of creating one; the files are the same as logwriter's, with the same
// mode, and no spare outlives the log.
func TestLogRotationLinksFilesMadeAhead(t *testing.T) {
	tm := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	dir := t.TempDir()
	path := filepath.Join(dir, "c.log")
	line := []byte(strings.Repeat("x", 99) + "\n")
	chunk := bytes.Repeat(line, 2500) // ~370 KB of entries
	var chunks []logWrite
	for range 20 { // ~7.4 MB of entries: two rotations at 3 MB
		chunks = append(chunks, logWrite{stream: 1, data: chunk})
		chunks = append(chunks, logWrite{probe: func() { time.Sleep(20 * time.Millisecond) }}) // time for the thread
	}
	before := cSparesLinked()
	if err := cLogStreams(path, 3_000_000, 3, chunks, tm); err != nil {
		t.Fatal(err)
	}
	if linked := cSparesLinked() - before; linked != 2 {
		t.Fatalf("%d of 2 rotations linked a file made ahead", linked)
	}
	goPath := logwriterFiles(t, dir, line, 20*2500, tm)
	for _, suffix := range []string{"", ".1", ".2"} {
		if got, want := mustRead(t, path+suffix), mustRead(t, goPath+suffix); !bytes.Equal(got, want) {
			t.Fatalf("file %q: %d bytes, want %d", suffix, len(got), len(want))
		}
		st, err := os.Stat(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		gst, _ := os.Stat(goPath + suffix)
		if st.Mode() != gst.Mode() {
			t.Fatalf("file %q: mode %v, logwriter's %v", suffix, st.Mode(), gst.Mode())
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for held := deletedFilesHeld(t, dir); held > 0; held = deletedFilesHeld(t, dir) {
		if time.Now().After(deadline) {
			t.Fatalf("%d deleted or unnamed files still held open after close", held)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A chatty container's log file gets its blocks reserved ahead (reserve in
// jsonlog.c) and given back when the file is rotated or closed; what is
// written is the same as without.
func TestLogReservesBlocksAheadAndGivesThemBack(t *testing.T) {
	tm := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	dir := t.TempDir()
	if f, err := os.Create(filepath.Join(dir, "probe")); err != nil {
		t.Fatal(err)
	} else if err := syscall.Fallocate(int(f.Fd()), 1 /* FALLOC_FL_KEEP_SIZE */, 0, 1<<20); err != nil {
		f.Close()
		t.Skipf("this filesystem cannot reserve blocks: %v", err)
	} else {
		f.Close()
	}
	path := filepath.Join(dir, "c.log")
	line := []byte(strings.Repeat("x", 99) + "\n")
	chunk := bytes.Repeat(line, 2500) // 250 KB of output, ~370 KB of entries
	allocatedPastEnd := func(p string) int64 {
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			t.Fatal(err)
		}
		return st.Blocks*512 - st.Size
	}
	var chunks []logWrite
	var midway int64 = -1
	for i := 0; i < 20; i++ { // ~7.4 MB of entries: two rotations at 3 MB
		chunks = append(chunks, logWrite{stream: 1, data: chunk})
		if i == 5 {
			chunks = append(chunks, logWrite{probe: func() { midway = allocatedPastEnd(path) }})
		}
	}
	if err := cLogStreams(path, 3_000_000, 3, chunks, tm); err != nil {
		t.Fatal(err)
	}
	if midway < 256<<10 {
		t.Fatalf("%d bytes reserved past the end of a 2 MB log file, want up to the 3 MB rotation size", midway)
	}
	goPath := logwriterFiles(t, dir, line, 20*2500, tm)
	for _, suffix := range []string{"", ".1", ".2"} {
		if got, want := mustRead(t, path+suffix), mustRead(t, goPath+suffix); !bytes.Equal(got, want) {
			t.Fatalf("file %q: %d bytes, want %d", suffix, len(got), len(want))
		}
		if past := allocatedPastEnd(path + suffix); past >= 64<<10 {
			t.Fatalf("file %q keeps %d bytes of blocks past its end after close", suffix, past)
		}
	}
}

// Log files deleted under a running container: the next rotation starts a
// new file and logging goes on (Docker reopens too), in the C writer and in
// logwriter alike.
func TestLogGoesOnAfterItsFilesAreDeleted(t *testing.T) {
	tm := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	var writes []logWrite
	for i := range 100 {
		writes = append(writes, logWrite{stream: 1, data: []byte("before " + strconv.Itoa(i) + "\n")})
	}
	writes = append(writes, logWrite{stream: 0, data: nil})
	for i := range 100 {
		writes = append(writes, logWrite{stream: 1, data: []byte("after " + strconv.Itoa(i) + "\n")})
	}
	check := func(t *testing.T, path string) {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("no log file after the deletion: %v", err)
		}
		if !bytes.Contains(data, []byte(`"log":"after 99\n"`)) {
			t.Fatalf("the last entry is missing after the files were deleted:\n%s", data)
		}
	}
	for _, maxFile := range []int{1, 3} {
		dir := t.TempDir()
		c := filepath.Join(dir, "c.log")
		if err := cLogStreams(c, 1000, maxFile, writes, tm); err != nil {
			t.Fatal(err)
		}
		check(t, c)

		g := filepath.Join(dir, "go.log")
		w, err := logwriter.NewWriter(g, 1000, maxFile)
		if err != nil {
			t.Fatal(err)
		}
		for _, wr := range writes {
			if wr.stream == 0 {
				matches, _ := filepath.Glob(g + "*")
				for _, m := range matches {
					os.Remove(m)
				}
				continue
			}
			w.Write("stdout", wr.data, tm)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		check(t, g)
	}
}
