package main

import (
	"io"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/logs"
	"github.com/berth-dev/berth/internal/shimclient"
)

// TestShimThroughput pushes 100 MB of 100-byte lines through an attached,
// logged container and logs the rate; it asserts only that every byte was
// delivered and every line logged (no timing assertions).
func TestShimThroughput(t *testing.T) {
	e := newEnv(t)
	ctx := ctx(t)
	const lines, lineLen = 1 << 20, 100 // "y...y\n"
	dir, cfg := e.container(false, "sh", "-c", "yes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy | head -n 1048576")
	if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
		t.Fatal(err)
	}
	conn, err := shimclient.Attach(ctx, dir, false, true, true)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := shimclient.StartContainer(ctx, dir); err != nil {
		t.Fatal(err)
	}
	// Count payload bytes of the multiplexed frames.
	var total int64
	hdr := make([]byte, 8)
	for {
		if _, err := io.ReadFull(conn, hdr); err != nil {
			break
		}
		n := int64(hdr[4])<<24 | int64(hdr[5])<<16 | int64(hdr[6])<<8 | int64(hdr[7])
		if _, err := io.CopyN(io.Discard, conn, n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	elapsed := time.Since(start)
	if ex, err := shimclient.Wait(ctx, dir); err != nil || ex.ExitCode != 0 {
		t.Fatalf("wait: %+v %v", ex, err)
	}
	if total != lines*lineLen {
		t.Fatalf("attach got %d bytes, want %d", total, lines*lineLen)
	}
	n := 0
	if err := logs.Read(ctx, cfg.LogPath, logs.ReadConfig{Tail: -1}, func(m logs.Message) error {
		if len(m.Line) != lineLen {
			t.Fatalf("log line %d is %d bytes", n, len(m.Line))
		}
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != lines {
		t.Fatalf("log has %d lines, want %d", n, lines)
	}
	t.Logf("%d MB through the shim (attached + json-file log) in %v: %.0f MB/s",
		total>>20, elapsed.Round(time.Millisecond), float64(total)/(1<<20)/elapsed.Seconds())
}
