package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

func TestMobyClientLifecycle(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	c := d.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := uniqueName(t)

	created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   name,
		Config: &container.Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo to-out; echo to-err >&2; exit 6"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d.rmOnCleanup(t, created.ID)
	waitRes := c.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-waitRes.Result:
		if res.StatusCode != 6 {
			t.Fatalf("wait status = %d, want 6", res.StatusCode)
		}
	case err := <-waitRes.Error:
		t.Fatal(err)
	}

	logs, err := c.ContainerLogs(ctx, created.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, logs); err != nil {
		t.Fatal(err)
	}
	logs.Close()
	if stdout.String() != "to-out\n" || stderr.String() != "to-err\n" {
		t.Fatalf("logs: stdout %q stderr %q", stdout.String(), stderr.String())
	}

	insp, err := c.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if insp.Container.State == nil || insp.Container.State.ExitCode != 6 || insp.Container.ID != created.ID {
		t.Fatalf("inspect: %+v", insp.Container.State)
	}

	list, err := c.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range list.Items {
		found = found || s.ID == created.ID
	}
	if !found {
		t.Fatalf("ContainerList(all) lacks %s", created.ID)
	}

	if _, err := c.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{})
	if !cerrdefs.IsNotFound(err) {
		t.Fatalf("inspect after remove: %v, want not found", err)
	}
}

func TestMobyClientExecAttach(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	c := d.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := uniqueName(t)
	id := d.runD(t, "--name", name, "busybox", "sleep", "300")

	ex, err := c.ExecCreate(ctx, id, client.ExecCreateOptions{
		Cmd:          []string{"sh", "-c", "read line; echo got:$line; echo oops >&2; exit 4"},
		AttachStdin:  true,
		AttachStdout: true,
		AttachStderr: true,
		Env:          []string{"E2E=1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	att, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	// The hijacked connection ignores ctx: bound it so a stuck stream fails, not hangs.
	att.Conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(att.Conn, "hello\n"); err != nil {
		t.Fatal(err)
	}
	if err := att.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, att.Reader); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if stdout.String() != "got:hello\n" || stderr.String() != "oops\n" {
		t.Fatalf("exec attach: stdout %q stderr %q", stdout.String(), stderr.String())
	}
	var insp client.ExecInspectResult
	waitFor(t, 10*time.Second, "the exec to finish", func() bool {
		insp, err = c.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
		return err == nil && !insp.Running
	})
	if insp.ExitCode != 4 || insp.ContainerID != id {
		t.Fatalf("exec inspect: %+v", insp)
	}

	// A TTY exec: raw stream, no multiplexing.
	ex2, err := c.ExecCreate(ctx, id, client.ExecCreateOptions{Cmd: []string{"tty"}, TTY: true, AttachStdout: true})
	if err != nil {
		t.Fatal(err)
	}
	att2, err := c.ExecAttach(ctx, ex2.ID, client.ExecAttachOptions{TTY: true})
	if err != nil {
		t.Fatal(err)
	}
	defer att2.Close()
	att2.Conn.SetDeadline(time.Now().Add(30 * time.Second))
	raw, _ := io.ReadAll(att2.Reader)
	if !strings.HasPrefix(string(raw), "/dev/pts/") {
		t.Fatalf("tty exec output = %q, want /dev/pts/N", raw)
	}
}

// attach with logs=1 replays the log before the live stream (framed, or
// raw for a TTY); with stream=0 the replay is all, and the stream ends.
func TestMobyClientAttachLogsReplay(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	c := d.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := uniqueName(t)
	id := d.runD(t, "--name", name, "busybox", "sh", "-c", "echo one; echo two >&2; sleep 300")
	waitFor(t, 10*time.Second, "the container's output in its log", func() bool {
		r := d.dk("logs", name)
		return r.Stdout == "one\n" && r.Stderr == "two\n"
	})
	replay := func(stream bool) (string, string, error) {
		att, err := c.ContainerAttach(ctx, id, client.ContainerAttachOptions{Logs: true, Stream: stream, Stdout: true, Stderr: true})
		if err != nil {
			t.Fatal(err)
		}
		defer att.Close()
		att.Conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		var stdout, stderr bytes.Buffer
		_, err = stdcopy.StdCopy(&stdout, &stderr, att.Reader)
		return stdout.String(), stderr.String(), err
	}
	if out, errOut, err := replay(false); err != nil || out != "one\n" || errOut != "two\n" {
		t.Fatalf("attach logs=1 stream=0: stdout %q stderr %q, err %v (want the replay, then the end)", out, errOut, err)
	}
	if out, errOut, err := replay(true); !errors.Is(err, os.ErrDeadlineExceeded) || out != "one\n" || errOut != "two\n" {
		t.Fatalf("attach logs=1 stream=1: stdout %q stderr %q, err %v (want the replay, then a live stream)", out, errOut, err)
	}

	tty := uniqueName(t)
	ttyID := d.runD(t, "--name", tty, "-t", "busybox", "sh", "-c", "echo on-tty; sleep 300")
	waitFor(t, 10*time.Second, "the TTY container's output in its log", func() bool {
		return strings.Contains(d.dk("logs", tty).Stdout, "on-tty")
	})
	att, err := c.ContainerAttach(ctx, ttyID, client.ContainerAttachOptions{Logs: true, Stdout: true})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	att.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if raw, err := io.ReadAll(att.Reader); err != nil || string(raw) != "on-tty\r\n" {
		t.Fatalf("attach logs=1 of a TTY container: %q, %v", raw, err)
	}
}

// attach logs=1&stream=1 to a stopped container, then start: the replay of
// a log bigger than the socket's buffer goes at the client's pace; the
// start does not wait for it, and what the container writes later still
// comes by the live stream.
func TestMobyClientAttachLogsThenStart(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	c := d.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := uniqueName(t)
	// The first run logs 2 MB; the second prints "late" a while after it starts.
	d.must(t, "run", "--name", name, "busybox", "sh", "-c",
		"if [ -f /ran ]; then sleep 2; echo late; else touch /ran; head -c 2000000 /dev/zero | tr '\\0' x; echo; echo marker; fi")
	defer d.dk("rm", "-f", name)
	att, err := c.ContainerAttach(ctx, name, client.ContainerAttachOptions{Logs: true, Stream: true, Stdout: true})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	if _, err := c.ContainerStart(ctx, name, client.ContainerStartOptions{}); err != nil { // before reading a byte
		t.Fatal(err)
	}
	att.Conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, io.Discard, att.Reader); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if n, x, late := strings.Count(got, "marker\n"), strings.Count(got, "x"), strings.Count(got, "late\n"); n != 1 || x != 2000000 || late != 1 {
		t.Fatalf("replay then live stream: %d markers, %d x, %d late; want 1, 2000000, 1", n, x, late)
	}
}
