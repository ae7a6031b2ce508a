package api

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// newTestServer serves a fake backend on a unix socket in a temp dir and
// returns a negotiating moby client for it.
func newTestServer(t *testing.T) (*fakeBackend, *Server, *client.Client, string) {
	t.Helper()
	fb := newFakeBackend()
	srv := NewServer(fb, Options{Version: "0.0.1-test"})
	sock := filepath.Join(t.TempDir(), "berth.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	c, err := client.New(client.WithHost("unix://"+sock), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return fb, srv, c, sock
}

// do sends one request straight to the handler.
func do(t *testing.T, s *Server, method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func message(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var m struct{ Message string }
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("error body %q: %v", rec.Body.String(), err)
	}
	return m.Message
}

func TestMaxAPIVersionMatchesMobyClient(t *testing.T) {
	if MaxAPIVersion != client.MaxAPIVersion {
		t.Fatalf("MaxAPIVersion %s, moby client speaks %s", MaxAPIVersion, client.MaxAPIVersion)
	}
}

func TestPingAndNegotiation(t *testing.T) {
	_, _, c, _ := newTestServer(t)
	ctx := context.Background()
	p, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.APIVersion != "1.56" || p.OSType != "linux" || p.BuilderVersion != "1" || p.Experimental {
		t.Fatalf("ping = %+v", p)
	}
	if c.ClientVersion() != "1.56" {
		t.Fatalf("negotiated %s", c.ClientVersion())
	}

	s := NewServer(newFakeBackend(), Options{Version: "9.9"})
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		rec := do(t, s, m, "/_ping", "")
		h := rec.Header()
		if rec.Code != 200 || h.Get("Api-Version") != "1.56" || h.Get("Ostype") != "linux" ||
			h.Get("Builder-Version") != "1" || h.Get("Docker-Experimental") != "false" ||
			h.Get("Cache-Control") != "no-cache, no-store, must-revalidate" || h.Get("Pragma") != "no-cache" ||
			h.Get("Server") != "berth/9.9 (linux)" {
			t.Fatalf("%s /_ping: %d %v", m, rec.Code, h)
		}
		want := "OK"
		if m == http.MethodHead {
			want = ""
		}
		if rec.Body.String() != want {
			t.Fatalf("%s /_ping body %q", m, rec.Body.String())
		}
	}
}

func TestVersionedPaths(t *testing.T) {
	s := NewServer(newFakeBackend(), Options{Version: "t"})
	for _, p := range []string{"/containers/json", "/v1.24/containers/json", "/v1.45/containers/json", "/v1.56/containers/json"} {
		if rec := do(t, s, "GET", p, ""); rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "[]" {
			t.Fatalf("%s: %d %s", p, rec.Code, rec.Body)
		}
	}
	rec := do(t, s, "GET", "/v1.99/containers/json", "")
	if rec.Code != 400 || message(t, rec) != "client version 1.99 is too new. Maximum supported API version is 1.56" {
		t.Fatalf("too new: %d %s", rec.Code, rec.Body)
	}
	rec = do(t, s, "GET", "/v1.12/containers/json", "")
	want := "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"
	if rec.Code != 400 || strings.TrimSpace(rec.Body.String()) != want {
		t.Fatalf("too old: %d %s", rec.Code, rec.Body)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/nope"}, {"GET", "/v1.45/nope"}, {"PATCH", "/containers/json"}, {"GET", "/containers/x/start"},
	} {
		rec := do(t, s, c.method, c.path, "")
		if rec.Code != 404 || message(t, rec) != "page not found" || rec.Header().Get("Api-Version") != "1.56" {
			t.Fatalf("%s %s: %d %s", c.method, c.path, rec.Code, rec.Body)
		}
	}
}

func TestCreateInspectListRoundTrip(t *testing.T) {
	fb, _, c, _ := newTestServer(t)
	ctx := context.Background()
	res, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   "web",
		Config: &container.Config{Image: "bb", Cmd: []string{"sh", "-c", "echo <hi> & true"}, Labels: map[string]string{"a": "b"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ID) != 64 || len(res.Warnings) != 0 {
		t.Fatalf("create = %+v", res)
	}
	if fb.gotCreate.HostConfig == nil || fb.gotCreate.HostConfig.NetworkMode != "default" || fb.gotCreate.NetworkingConfig == nil {
		t.Fatalf("create defaults not filled: %+v", fb.gotCreate)
	}
	ins, err := c.ContainerInspect(ctx, "web", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ins.Container.ID != res.ID || ins.Container.Config.Cmd[2] != "echo <hi> & true" || ins.Container.Config.Labels["a"] != "b" {
		t.Fatalf("inspect = %+v", ins.Container)
	}
	if strings.Contains(string(ins.Raw), `\u003c`) {
		t.Fatalf("HTML-escaped JSON: %s", ins.Raw)
	}
	list, err := c.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].Names[0] != "/web" {
		t.Fatalf("list = %+v", list.Items)
	}
}

func TestErrors(t *testing.T) {
	fb, _, c, _ := newTestServer(t)
	ctx := context.Background()
	_, err := c.ContainerInspect(ctx, "ghost", client.ContainerInspectOptions{})
	if err == nil || !cerrdefs.IsNotFound(err) || !strings.HasSuffix(err.Error(), ": No such container: ghost") {
		t.Fatalf("inspect missing: %v", err)
	}

	s := NewServer(fb, Options{})
	json := []string{"Content-Type", "application/json"}
	rec := do(t, s, "POST", "/containers/create?name=web", `{"Image":"bb"}`, json...)
	if rec.Code != 201 || !strings.Contains(rec.Body.String(), `"Warnings":[]`) {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "POST", "/containers/create?name=web", `{"Image":"bb"}`, json...); rec.Code != 409 {
		t.Fatalf("duplicate create: %d", rec.Code)
	}
	rec = do(t, s, "POST", "/containers/create", `{"Image":`, json...)
	if rec.Code != 400 || !strings.HasPrefix(message(t, rec), "invalid JSON: ") {
		t.Fatalf("bad JSON: %d %s", rec.Code, rec.Body)
	}
	rec = do(t, s, "POST", "/containers/create", `{}`, json...)
	if rec.Code != 400 || message(t, rec) != "config cannot be empty in order to create a container" {
		t.Fatalf("empty config: %d %s", rec.Code, rec.Body)
	}
	rec = do(t, s, "POST", "/containers/create", ``, json...)
	if rec.Code != 400 || message(t, rec) != "invalid JSON: got EOF while reading request body" {
		t.Fatalf("empty body: %d %s", rec.Code, rec.Body)
	}
	rec = do(t, s, "POST", "/containers/create", `{"Image":"bb"}`, "Content-Type", "text/plain")
	if rec.Code != 400 {
		t.Fatalf("wrong content type: %d", rec.Code)
	}
	if rec := do(t, s, "POST", "/containers/web/start", ""); rec.Code != 204 {
		t.Fatalf("start: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "POST", "/containers/web/start", ""); rec.Code != 304 || rec.Body.Len() != 0 {
		t.Fatalf("second start: %d %q", rec.Code, rec.Body)
	}
	rec = do(t, s, "DELETE", "/containers/web", "")
	if rec.Code != 409 || !strings.Contains(message(t, rec), "container is running") {
		t.Fatalf("remove running: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "DELETE", "/containers/web?force=1", ""); rec.Code != 204 {
		t.Fatalf("force remove: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "HEAD", "/containers/ghost/archive?path=/x", ""); rec.Code != 404 || rec.Body.Len() != 0 {
		t.Fatalf("HEAD error must have no body: %d %q", rec.Code, rec.Body)
	}
	if rec := do(t, s, "GET", "/containers/json?filters=notjson", ""); rec.Code != 400 {
		t.Fatalf("bad filters: %d", rec.Code)
	}
	if rec := do(t, s, "POST", "/containers/x/resize?h=a&w=1", ""); rec.Code != 400 || message(t, rec) != `invalid resize height "a"` {
		t.Fatalf("bad resize: %d %s", rec.Code, rec.Body)
	}
	fb.panicOnTop = true
	do(t, s, "POST", "/containers/create?name=p", `{"Image":"bb"}`, json...)
	if rec := do(t, s, "GET", "/containers/p/top", ""); rec.Code != 500 {
		t.Fatalf("panic: %d", rec.Code)
	}
	if rec := do(t, s, "POST", "/build", ""); rec.Code != 501 {
		t.Fatalf("build: %d", rec.Code)
	}
	rec = do(t, s, "POST", "/images/create?fromImage=busybox&tag=latest", "")
	if rec.Code != 501 || !strings.Contains(message(t, rec), "registry access is not available") {
		t.Fatalf("pull: %d %s", rec.Code, rec.Body)
	}
}

func TestBoolValue(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "true": true, "True": true, "yes": true, "0": false, "false": false, "": false, "none": false, "NO": false} {
		r := httptest.NewRequest("GET", "/?x="+v, nil)
		if got := boolValue(r, "x"); got != want {
			t.Errorf("boolValue(%q) = %v", v, got)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	if !boolDefault(r, "pause", true) {
		t.Error("boolDefault ignored the default")
	}
}

func TestTimestampParam(t *testing.T) {
	for v, want := range map[string]time.Time{
		"1700000000":           time.Unix(1700000000, 0),
		"1700000000.5":         time.Unix(1700000000, 500000000),
		"1700000000.000000001": time.Unix(1700000000, 1),
		"2023-11-14T22:13:20Z": time.Unix(1700000000, 0),
	} {
		got, err := timestampParam(httptest.NewRequest("GET", "/?t="+v, nil), "t")
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: %v %v", v, got, err)
		}
	}
	if _, err := timestampParam(httptest.NewRequest("GET", "/?t=soon", nil), "t"); err == nil {
		t.Error("garbage accepted")
	}
}

// rawRequest sends req on a fresh connection to sock and returns the
// connection with its reader positioned after the response header.
func rawRequest(t *testing.T, sock, req string) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return conn, br, resp
}

func TestArchiveStatHeader(t *testing.T) {
	fb, _, c, _ := newTestServer(t)
	ctx := context.Background()
	fb.ContainerCreate(ctx, "web", &container.CreateRequest{Config: &container.Config{}})
	res, err := c.ContainerStatPath(ctx, "web", client.ContainerStatPathOptions{Path: "/etc/hosts"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stat.Name != "hosts" || res.Stat.Size != 42 || !res.Stat.Mtime.Equal(fakeStat.Mtime) {
		t.Fatalf("stat = %+v", res.Stat)
	}
	s := NewServer(fb, Options{})
	rec := do(t, s, "GET", "/containers/web/archive?path=/etc/hosts", "")
	raw, _ := base64.StdEncoding.DecodeString(rec.Header().Get("X-Docker-Container-Path-Stat"))
	if rec.Code != 200 || rec.Body.String() != "tarbytes" || !strings.Contains(string(raw), `"name":"hosts"`) ||
		rec.Header().Get("Content-Type") != "application/x-tar" {
		t.Fatalf("archive get: %d %v %s", rec.Code, rec.Header(), raw)
	}
	if rec := do(t, s, "PUT", "/containers/web/archive", "x"); rec.Code != 400 {
		t.Fatalf("put without path: %d", rec.Code)
	}
	if rec := do(t, s, "PUT", "/containers/web/archive?path=/tmp", "x"); rec.Code != 200 {
		t.Fatalf("put: %d %s", rec.Code, rec.Body)
	}
}
