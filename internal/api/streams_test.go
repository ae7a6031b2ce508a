package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
)

func createFake(t *testing.T, fb *fakeBackend, name string, tty bool) {
	t.Helper()
	if _, err := fb.ContainerCreate(context.Background(), name, &container.CreateRequest{Config: &container.Config{Tty: tty}}); err != nil {
		t.Fatal(err)
	}
}

// The moby client upgrades (101) and half-closes stdin; the fake echoes it
// upper-cased in a stdout frame.
func TestAttachUpgrade(t *testing.T) {
	fb, _, c, _ := newTestServer(t)
	createFake(t, fb, "web", false)
	res, err := c.ContainerAttach(context.Background(), "web", client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if mt, _ := res.MediaType(); mt != "application/vnd.docker.multiplexed-stream" {
		t.Fatalf("media type %q", mt)
	}
	io.WriteString(res.Conn, "hello")
	if err := res.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errOut, res.Reader); err != nil {
		t.Fatal(err)
	}
	if out.String() != "HELLO" {
		t.Fatalf("stdout %q", out.String())
	}
}

// Without Upgrade headers dockerd answers a plain 200 raw stream; bytes the
// client sent together with the request must still reach the backend.
func TestAttachPlainAndBufferedStdin(t *testing.T) {
	fb, _, _, sock := newTestServer(t)
	createFake(t, fb, "tty", true)
	conn, br, resp := rawRequest(t, sock, "POST /v1.45/containers/tty/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: x\r\n\r\nearly bytes")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.docker.raw-stream" {
		t.Fatalf("answer %d %v", resp.StatusCode, resp.Header)
	}
	conn.(interface{ CloseWrite() error }).CloseWrite()
	got, _ := io.ReadAll(br)
	if string(got) != "EARLY BYTES" {
		t.Fatalf("echo %q", got)
	}

	conn, _, resp = rawRequest(t, sock, "POST /containers/ghost/attach?stream=1 HTTP/1.1\r\nHost: x\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n")
	if resp.StatusCode != 404 {
		t.Fatalf("attach to a missing container: %d", resp.StatusCode)
	}
	_ = conn
}

func TestExecStartErrorAfterHijack(t *testing.T) {
	fb, _, c, _ := newTestServer(t)
	createFake(t, fb, "web", false)
	ctx := context.Background()
	ex, err := c.ExecCreate(ctx, "web", client.ExecCreateOptions{Cmd: []string{"true"}, AttachStdout: true})
	if err != nil || ex.ID != "exec1" {
		t.Fatalf("exec create: %v %+v", err, ex)
	}
	res, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	var out bytes.Buffer
	stdcopy.StdCopy(&out, io.Discard, res.Reader)
	if out.String() != "hi\nexec failed\r\n" {
		t.Fatalf("exec output %q", out.String())
	}
	if _, err := c.ExecStart(ctx, "nope", client.ExecStartOptions{Detach: true}); err == nil || !strings.Contains(err.Error(), "No such exec instance") {
		t.Fatalf("detached start of a missing exec: %v", err)
	}
}

func TestLogsFramingAndTimestamps(t *testing.T) {
	fb, srv, c, _ := newTestServer(t)
	createFake(t, fb, "web", false)
	ts := time.Date(2024, 1, 2, 3, 4, 5, 60000, time.UTC)
	fb.logs = []LogMessage{
		{Stream: "stdout", Line: []byte("out\n"), Time: ts},
		{Stream: "stderr", Line: []byte("err\n"), Time: ts, Attrs: map[string]string{"b": "2", "a": "x y"}},
	}
	rc, err := c.ContainerLogs(context.Background(), "web", client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Details: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out, errOut bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errOut, rc); err != nil {
		t.Fatal(err)
	}
	if out.String() != "2024-01-02T03:04:05.000060000Z  out\n" || errOut.String() != "2024-01-02T03:04:05.000060000Z a=x+y,b=2 err\n" {
		t.Fatalf("stdout %q stderr %q", out.String(), errOut.String())
	}

	createFake(t, fb, "tty", true)
	rec := do(t, srv, "GET", "/containers/tty/logs?stdout=1&stderr=1", "")
	if rec.Body.String() != "out\nerr\n" || rec.Header().Get("Content-Type") != "application/vnd.docker.raw-stream" {
		t.Fatalf("tty logs %q %v", rec.Body.String(), rec.Header())
	}
	if rec := do(t, srv, "GET", "/containers/web/logs", ""); rec.Code != 400 || message(t, rec) != "Bad parameters: you must choose at least one stream" {
		t.Fatalf("no stream chosen: %d %s", rec.Code, rec.Body)
	}
}

// The 200 and headers go out before the container exits; the body when it does.
func TestWaitStreaming(t *testing.T) {
	fb, _, c, sock := newTestServer(t)
	createFake(t, fb, "web", false)
	_, br, resp := rawRequest(t, sock, "POST /v1.56/containers/web/wait?condition=next-exit HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Fatalf("wait: %d", resp.StatusCode)
	}
	wr := c.ContainerWait(context.Background(), "web", client.ContainerWaitOptions{})
	close(fb.waitDone)
	var got container.WaitResponse
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || got.StatusCode != 3 {
		t.Fatalf("wait body %+v %v", got, err)
	}
	_ = br
	select {
	case r := <-wr.Result:
		if r.StatusCode != 3 {
			t.Fatalf("client wait %+v", r)
		}
	case err := <-wr.Error:
		t.Fatal(err)
	case <-time.After(5 * time.Second):
		t.Fatal("client wait hung")
	}
	if rec := do(t, NewServer(fb, Options{}), "POST", "/containers/web/wait?condition=bogus", ""); rec.Code != 400 {
		t.Fatalf("bad condition: %d", rec.Code)
	}
}

func TestImagesWithSlashes(t *testing.T) {
	fb, srv, c, _ := newTestServer(t)
	ctx := context.Background()
	name := "localhost:5000/a/b:tag"
	res, err := c.ImageInspect(ctx, name)
	if err != nil || fb.gotName != name || res.ID != "sha256:abc" {
		t.Fatalf("inspect: %v %q %+v", err, fb.gotName, res)
	}
	if _, err := c.ImageHistory(ctx, name); err != nil || fb.gotName != name {
		t.Fatalf("history: %v %q", err, fb.gotName)
	}
	if _, err := c.ImageTag(ctx, client.ImageTagOptions{Source: name, Target: "localhost:5000/c/d:v2"}); err != nil || fb.gotName != name+" -> localhost:5000/c/d:v2" {
		t.Fatalf("tag: %v %q", err, fb.gotName)
	}
	rm, err := c.ImageRemove(ctx, name, client.ImageRemoveOptions{})
	if err != nil || fb.gotName != name || len(rm.Items) != 1 {
		t.Fatalf("remove: %v %q %+v", err, fb.gotName, rm)
	}
	if _, err := c.ImageInspect(ctx, "missing"); err == nil || !strings.Contains(err.Error(), "No such image: missing") {
		t.Fatalf("missing image: %v", err)
	}
	rec := do(t, srv, "GET", "/v1.50/images/"+name+"/get", "")
	if rec.Body.String() != "saved" || fb.gotName != name || rec.Header().Get("Content-Type") != "application/x-tar" {
		t.Fatalf("save one: %q %q", rec.Body.String(), fb.gotName)
	}
	do(t, srv, "GET", "/images/get?names=a&names=b/c:d", "")
	if fb.gotName != "a,b/c:d" {
		t.Fatalf("save many: %q", fb.gotName)
	}
}

func TestLoadAndImportStreams(t *testing.T) {
	fb, srv, c, _ := newTestServer(t)
	ctx := context.Background()
	rc, err := c.ImageLoad(ctx, strings.NewReader("tar"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	if string(body) != `{"stream":"Loaded image: bb:latest\n"}`+"\n" {
		t.Fatalf("load stream %q", body)
	}
	rec := do(t, srv, "POST", "/images/load", "bad")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"errorDetail":{"message":"unexpected EOF"}`) || !strings.Contains(rec.Body.String(), `"error":"unexpected EOF"`) {
		t.Fatalf("load error: %d %s", rec.Code, rec.Body)
	}

	ir, err := c.ImageImport(ctx, client.ImageImportSource{Source: strings.NewReader("rootfs"), SourceName: "-"}, "localhost:5000/x/y:1", client.ImageImportOptions{Changes: []string{"CMD sh", "ENV A=1"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(ir)
	ir.Close()
	if string(body) != `{"status":"sha256:1mp0rt"}`+"\n" {
		t.Fatalf("import stream %q", body)
	}
	if fb.gotImport != "rootfs|localhost:5000/x/y:1|Imported from -|[CMD sh ENV A=1]" {
		t.Fatalf("import got %q", fb.gotImport)
	}
}

func TestEventsStreaming(t *testing.T) {
	fb, _, c, _ := newTestServer(t)
	fb.past = []events.Message{{Type: events.ContainerEventType, Action: events.ActionCreate, Actor: events.Actor{ID: "old"}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := c.Events(ctx, client.EventsListOptions{Since: "10m"})
	next := func() events.Message {
		select {
		case m := <-res.Messages:
			return m
		case err := <-res.Err:
			t.Fatal(err)
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
		return events.Message{}
	}
	if m := next(); m.Actor.ID != "old" {
		t.Fatalf("past event %+v", m)
	}
	fb.live <- events.Message{Type: events.ContainerEventType, Action: events.ActionStart, Actor: events.Actor{ID: "new"}}
	if m := next(); m.Actor.ID != "new" || m.Action != events.ActionStart {
		t.Fatalf("live event %+v", m)
	}
}

// Events with until in the past end after the buffered ones.
func TestEventsUntilEnds(t *testing.T) {
	fb := newFakeBackend()
	fb.past = []events.Message{{Type: events.ImageEventType, Action: events.ActionCreate}, {Type: events.ImageEventType, Action: events.ActionTag}}
	s := NewServer(fb, Options{})
	rec := do(t, s, "GET", "/v1.45/events?since=1&until=2", "")
	if rec.Code != 200 || strings.Count(rec.Body.String(), "\n") != 1 || !strings.Contains(rec.Body.String(), `"Action":"tag"`) {
		t.Fatalf("events: %d %q (image create is hidden before 1.46)", rec.Code, rec.Body)
	}
	if rec := do(t, s, "GET", "/events?since=5&until=2", ""); rec.Code != 400 {
		t.Fatalf("until before since: %d", rec.Code)
	}
}

func TestStatsAndDiskUsage(t *testing.T) {
	fb := newFakeBackend()
	s := NewServer(fb, Options{})
	rec := do(t, s, "GET", "/containers/web/stats?stream=0", "")
	if strings.Count(rec.Body.String(), "\n") != 1 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("one stat: %q", rec.Body)
	}
	rec = do(t, s, "GET", "/containers/web/stats", "")
	if strings.Count(rec.Body.String(), "\n") != 2 {
		t.Fatalf("streamed stats: %q", rec.Body)
	}
	rec = do(t, s, "GET", "/system/df", "")
	if !strings.Contains(rec.Body.String(), `"ImageUsage":{"TotalCount":1,"TotalSize":10}`) || strings.Contains(rec.Body.String(), "LayersSize") {
		t.Fatalf("df 1.56: %s", rec.Body)
	}
	rec = do(t, s, "GET", "/v1.50/system/df", "")
	if !strings.Contains(rec.Body.String(), `"LayersSize":10`) || !strings.Contains(rec.Body.String(), `"Images":[{`) {
		t.Fatalf("df 1.50: %s", rec.Body)
	}
	_ = http.StatusOK
}

// Shutdown ends open event streams and hijacked connections instead of
// waiting for them.
func TestShutdownEndsStreams(t *testing.T) {
	fb, srv, _, sock := newTestServer(t)
	createFake(t, fb, "web", false)
	_, evBody, resp := rawRequest(t, sock, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Fatalf("events: %d", resp.StatusCode)
	}
	_, attached, resp := rawRequest(t, sock, "POST /containers/web/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: x\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n")
	if resp.StatusCode != 101 {
		t.Fatalf("attach: %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v after %v", err, time.Since(start))
	}
	io.ReadAll(evBody)
	io.ReadAll(attached)
}
