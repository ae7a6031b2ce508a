package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/shimclient"
)

// Two clients attached with stdin while the container does not read it
// yet: the second one's input must not replace the first one's pending
// input, nor leave the first connection paused for ever.
func TestShimTwoStdinClients(t *testing.T) {
	e := newEnv(t)
	ctx := ctx(t)
	const na, nb = 200 << 10, 100 << 10
	dir, cfg := e.container(false, "sh", "-c", "sleep 1; busybox head -c "+itoa(na+nb)+" | busybox wc -c")
	cfg.OpenStdin = true
	if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
		t.Fatal(err)
	}
	out, err := shimclient.Attach(ctx, dir, false, true, false)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	a, err := shimclient.Attach(ctx, dir, true, false, false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := shimclient.Attach(ctx, dir, true, false, false)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := shimclient.StartContainer(ctx, dir); err != nil {
		t.Fatal(err)
	}
	go a.Write(bytes.Repeat([]byte("a"), na))
	time.Sleep(200 * time.Millisecond) // a fills the stdin pipe and waits
	go b.Write(bytes.Repeat([]byte("b"), nb))
	out.SetReadDeadline(time.Now().Add(10 * time.Second))
	stdout, _ := demux(t, out)
	if strings.TrimSpace(stdout) != itoa(na+nb) {
		t.Fatalf("the container read %q bytes of stdin, want %d", stdout, na+nb)
	}
	if ex, err := shimclient.Wait(ctx, dir); err != nil || ex.ExitCode != 0 {
		t.Fatalf("wait: %+v %v", ex, err)
	}
	waitGone(t, e, dir, cfg)
}

func itoa(n int) string { return strconv.Itoa(n) }

// A stdin client that writes more than the container takes yet and hangs
// up: its connection is paused (the rest of its input waits in the socket)
// and must not be read out of turn when the hang-up is reported.
func TestShimStdinClientHangsUpWhilePaused(t *testing.T) {
	e := newEnv(t)
	ctx := ctx(t)
	const n = 200 << 10
	dir, cfg := e.container(false, "sh", "-c", "sleep 1; busybox head -c "+itoa(n)+" | busybox md5sum")
	cfg.OpenStdin = true
	if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
		t.Fatal(err)
	}
	out, err := shimclient.Attach(ctx, dir, false, true, false)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	in, err := shimclient.Attach(ctx, dir, true, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shimclient.StartContainer(ctx, dir); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, n)
	for i := range data {
		data[i] = byte('a' + i*7%26)
	}
	go func() {
		in.Write(data)
		in.Close()
	}()
	out.SetReadDeadline(time.Now().Add(10 * time.Second))
	stdout, _ := demux(t, out)
	sum := md5.Sum(data)
	if want := hex.EncodeToString(sum[:]); !strings.HasPrefix(stdout, want) {
		t.Fatalf("the container read stdin with md5 %q, want %s", stdout, want)
	}
	waitGone(t, e, dir, cfg)
}
