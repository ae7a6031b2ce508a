package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/registry/auth"
	"github.com/berth-dev/berth/internal/registry/storage"
	"github.com/opencontainers/go-digest"
	"golang.org/x/crypto/bcrypt"
)

func newServer(t *testing.T, opts Options) (*httptest.Server, *storage.Store) {
	t.Helper()
	st, err := storage.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(st, opts))
	t.Cleanup(srv.Close)
	return srv, st
}

func do(t *testing.T, method, url string, body []byte, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func errorCode(t *testing.T, resp *http.Response) string {
	t.Helper()
	var body errorBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Errors) == 0 {
		t.Fatalf("no error body: %v", err)
	}
	return body.Errors[0].Code
}

func TestParseRoute(t *testing.T) {
	for path, want := range map[string]route{
		"/v2/":                               {kind: "base"},
		"/v2/a/b/c/blobs/sha256:x":           {kind: "blob", name: "a/b/c", ref: "sha256:x"},
		"/v2/blobs/blobs/sha256:x":           {kind: "blob", name: "blobs", ref: "sha256:x"},
		"/v2/a/blobs/uploads/":               {kind: "uploads", name: "a"},
		"/v2/a/blobs/uploads/abc":            {kind: "upload", name: "a", ref: "abc"},
		"/v2/x/manifests/y/manifests/latest": {kind: "manifest", name: "x/manifests/y", ref: "latest"},
		"/v2/x/tags/list":                    {kind: "tags", name: "x"},
		"/v2/x/referrers/sha256:abc":         {kind: "referrers", name: "x", ref: "sha256:abc"},
		"/v2/_catalog":                       {kind: "catalog"},
	} {
		got, ok := parseRoute(path)
		if !ok || got != want {
			t.Errorf("%s: %+v %v, want %+v", path, got, ok, want)
		}
	}
	if _, ok := parseRoute("/v2/nothing"); ok {
		t.Error("/v2/nothing parsed")
	}
}

func TestWrongDigestIsDigestInvalid(t *testing.T) {
	srv, st := newServer(t, Options{})
	data := []byte("some layer")
	wrong := digest.FromBytes([]byte("other"))
	resp := do(t, "POST", srv.URL+"/v2/r/blobs/uploads/?digest="+wrong.String(), data)
	if resp.StatusCode != 400 || errorCode(t, resp) != "DIGEST_INVALID" {
		t.Fatalf("monolithic: %d", resp.StatusCode)
	}
	// Session then PUT with the wrong digest.
	resp = do(t, "POST", srv.URL+"/v2/r/blobs/uploads/", nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 202 || loc == "" || resp.Header.Get("Docker-Upload-UUID") == "" {
		t.Fatalf("post: %d %q", resp.StatusCode, loc)
	}
	resp = do(t, "PUT", srv.URL+loc+"?digest="+wrong.String(), data)
	if resp.StatusCode != 400 || errorCode(t, resp) != "DIGEST_INVALID" {
		t.Fatalf("put: %d", resp.StatusCode)
	}
	if st.HasBlob(wrong) || st.HasBlob(digest.FromBytes(data)) {
		t.Fatal("content stored despite the wrong digest")
	}
	ents, _ := os.ReadDir(filepath.Join(st.Root(), "uploads"))
	if len(ents) != 0 {
		t.Fatalf("leftover uploads: %d", len(ents))
	}
	resp = do(t, "HEAD", srv.URL+"/v2/r/blobs/"+wrong.String(), nil)
	if resp.StatusCode != 404 {
		t.Fatalf("head: %d", resp.StatusCode)
	}
}

func TestChunkedUploadAndRangeGet(t *testing.T) {
	srv, _ := newServer(t, Options{})
	data := bytes.Repeat([]byte("0123456789"), 1000)
	d := digest.FromBytes(data)
	loc := do(t, "POST", srv.URL+"/v2/r/blobs/uploads/", nil).Header.Get("Location")
	resp := do(t, "PATCH", srv.URL+loc, data[:4000], "Content-Range", "0-3999")
	if resp.StatusCode != 202 || resp.Header.Get("Range") != "0-3999" {
		t.Fatalf("patch: %d %q", resp.StatusCode, resp.Header.Get("Range"))
	}
	resp = do(t, "PATCH", srv.URL+loc, data[5000:6000], "Content-Range", "5000-5999")
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable || resp.Header.Get("Range") != "0-3999" {
		t.Fatalf("out of order patch: %d %q", resp.StatusCode, resp.Header.Get("Range"))
	}
	resp = do(t, "PUT", srv.URL+loc+"?digest="+d.String(), data[4000:], "Content-Range", "4000-9999")
	if resp.StatusCode != 201 || resp.Header.Get("Docker-Content-Digest") != d.String() {
		t.Fatalf("put: %d", resp.StatusCode)
	}
	resp = do(t, "GET", srv.URL+"/v2/r/blobs/"+d.String(), nil, "Range", "bytes=10-19")
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 206 || string(got) != "0123456789" || resp.Header.Get("Content-Range") != "bytes 10-19/10000" {
		t.Fatalf("range get: %d %q %q", resp.StatusCode, got, resp.Header.Get("Content-Range"))
	}
}

func TestTagPagination(t *testing.T) {
	srv, _ := newServer(t, Options{})
	man := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}`)
	for _, tag := range []string{"c", "a", "b", "d"} {
		resp := do(t, "PUT", srv.URL+"/v2/r/manifests/"+tag, man, "Content-Type", "application/vnd.oci.image.manifest.v1+json")
		if resp.StatusCode != 201 {
			t.Fatalf("put %s: %d", tag, resp.StatusCode)
		}
	}
	resp := do(t, "GET", srv.URL+"/v2/r/tags/list?n=2&last=a", nil)
	var tl tagList
	json.NewDecoder(resp.Body).Decode(&tl)
	if strings.Join(tl.Tags, ",") != "b,c" || !strings.Contains(resp.Header.Get("Link"), "last=c") {
		t.Fatalf("page = %v, link %q", tl.Tags, resp.Header.Get("Link"))
	}
	resp = do(t, "GET", srv.URL+"/v2/nope/tags/list", nil)
	if resp.StatusCode != 404 || errorCode(t, resp) != "NAME_UNKNOWN" {
		t.Fatalf("unknown repo: %d", resp.StatusCode)
	}
}

func TestAuthChallengesAndReadOnly(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	p := filepath.Join(t.TempDir(), "htpasswd")
	os.WriteFile(p, []byte("u:"+string(hash)+"\n"), 0o600)
	users, err := auth.LoadHtpasswd(p)
	if err != nil {
		t.Fatal(err)
	}
	tok := auth.NewToken("", "berth-registry", users)
	srv, _ := newServer(t, Options{Auth: tok, Token: tok, ReadOnly: true})
	resp := do(t, "GET", srv.URL+"/v2/", nil)
	ch := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != 401 || !strings.HasPrefix(ch, `Bearer realm="`+srv.URL+`/token",service="berth-registry"`) || errorCode(t, resp) != "UNAUTHORIZED" {
		t.Fatalf("/v2/: %d %q", resp.StatusCode, ch)
	}
	resp = do(t, "GET", srv.URL+"/v2/r/tags/list", nil)
	if ch := resp.Header.Get("WWW-Authenticate"); !strings.Contains(ch, `scope="repository:r:pull"`) {
		t.Fatalf("tags challenge %q", ch)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/token?service=berth-registry&scope=repository:r:pull,push", nil)
	req.SetBasicAuth("u", "pw")
	tr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Token string }
	json.NewDecoder(tr.Body).Decode(&body)
	tr.Body.Close()
	resp = do(t, "GET", srv.URL+"/v2/", nil, "Authorization", "Bearer "+body.Token)
	if resp.StatusCode != 200 {
		t.Fatalf("/v2/ with token: %d", resp.StatusCode)
	}
	resp = do(t, "POST", srv.URL+"/v2/r/blobs/uploads/", nil, "Authorization", "Bearer "+body.Token)
	if resp.StatusCode != 405 || errorCode(t, resp) != "UNSUPPORTED" {
		t.Fatalf("push to a read-only registry: %d", resp.StatusCode)
	}
}
