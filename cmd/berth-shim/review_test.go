package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/shimclient"
	"github.com/berth-dev/berth/internal/shimproto"
	"golang.org/x/sys/unix"
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

// Out of descriptors, connections stay queued and the listener stays
// readable: the shim must not spin on accept. Its CPU time (not wall time)
// while ten connections wait is the measure: a spinning loop uses a whole
// CPU, a paused listener almost nothing.
func TestShimOutOfDescriptorsDoesNotSpin(t *testing.T) {
	e := newEnv(t)
	ctx := ctx(t)
	dir, cfg := e.container(false, "sleep", "30")
	if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := shimclient.StartContainer(ctx, dir); err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(mustRead(t, filepath.Join(dir, shimproto.ShimPid))))
	if err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/" + itoa(pid) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	// Room for exactly one more descriptor.
	lim := &unix.Rlimit{Cur: uint64(len(fds) + 1), Max: uint64(len(fds) + 1)}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, lim, nil); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		c, err := net.Dial("unix", filepath.Join(dir, shimproto.SocketFile))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	cpu := func() int {
		stat := string(mustRead(t, "/proc/"+itoa(pid)+"/stat"))
		f := strings.Fields(stat[strings.LastIndexByte(stat, ')')+2:]) // fields from 3 on
		u, _ := strconv.Atoi(f[11])
		s, _ := strconv.Atoi(f[12])
		return u + s // clock ticks (100 per second)
	}
	before := cpu()
	time.Sleep(time.Second)
	if used := cpu() - before; used > 30 {
		t.Fatalf("the shim used %d ticks of CPU in 1 s with connections it cannot accept: it spins", used)
	}
	if err := unix.Kill(pid, 0); err != nil {
		t.Fatalf("shim gone: %v", err)
	}
}

// A wait request whose client goes away (a daemon killed and restarted
// asks again) must not leave its descriptor in the shim until the exit.
func TestShimForgetsAGoneWaiter(t *testing.T) {
	e := newEnv(t)
	ctx := ctx(t)
	dir, cfg := e.container(false, "sleep", "30")
	if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := shimclient.StartContainer(ctx, dir); err != nil {
		t.Fatal(err)
	}
	pid := string(mustRead(t, filepath.Join(dir, shimproto.ShimPid)))
	openFds := func() int {
		fds, err := os.ReadDir("/proc/" + pid + "/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(fds)
	}
	// The start request's connection and crun's pipes close a moment
	// after StartContainer returns: count once the number holds still.
	before := openFds()
	for steady, settle := 0, time.Now().Add(5*time.Second); steady < 5 && time.Now().Before(settle); {
		time.Sleep(20 * time.Millisecond)
		if n := openFds(); n == before {
			steady++
		} else {
			before, steady = n, 0
		}
	}
	var conns []net.Conn
	for range 5 {
		c, err := net.Dial("unix", filepath.Join(dir, shimproto.SocketFile))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("wait\n")); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	deadline := time.Now().Add(10 * time.Second)
	for openFds() < before+5 {
		if time.Now().After(deadline) {
			t.Fatalf("the shim holds %d descriptors, want %d with five waiters", openFds(), before+5)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range conns {
		c.Close()
	}
	for openFds() > before {
		if time.Now().After(deadline) {
			t.Fatalf("the shim still holds %d descriptors after its waiters went away, want %d", openFds(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A waiter that stays gets the exit record.
	done := make(chan shimproto.Exit, 1)
	go func() {
		ex, err := shimclient.Wait(ctx, dir)
		if err != nil {
			t.Errorf("wait: %v", err)
		}
		done <- ex
	}()
	for openFds() < before+1 {
		if time.Now().After(deadline) {
			t.Fatal("the last waiter never reached the shim")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out, err := exec.Command(runcPath, "--root", e.root, "kill", cfg.ID, "KILL").CombinedOutput(); err != nil {
		t.Fatalf("runc kill: %v %s", err, out)
	}
	if ex := <-done; ex.ExitCode != 137 {
		t.Fatalf("exit record %+v, want code 137", ex)
	}
	waitGone(t, e, dir, cfg)
}
