package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// apiCall sends one request over the unix socket and returns status and body.
func apiCall(t testing.TB, d *daemon, method, path, contentType string, body []byte) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, "http://berth"+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := d.httpClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// errorMessage decodes Docker's {"message": "..."} error body.
func errorMessage(t testing.TB, body string) string {
	t.Helper()
	var e struct{ Message string }
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body is not {\"message\":...}: %q", body)
	}
	return e.Message
}

func TestRawAPI(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	const js = "application/json"

	t.Run("ping", func(t *testing.T) {
		code, body, hdr := apiCall(t, d, "GET", "/_ping", "", nil)
		if code != 200 || body != "OK" || hdr.Get("Api-Version") == "" {
			t.Fatalf("GET /_ping: %d %q API-Version=%q", code, body, hdr.Get("Api-Version"))
		}
		if code, _, _ := apiCall(t, d, "HEAD", "/_ping", "", nil); code != 200 {
			t.Fatalf("HEAD /_ping: %d", code)
		}
	})
	t.Run("version", func(t *testing.T) {
		code, body, _ := apiCall(t, d, "GET", "/v1.45/version", "", nil)
		var v struct{ ApiVersion, MinAPIVersion, Os string }
		if code != 200 || json.Unmarshal([]byte(body), &v) != nil || v.ApiVersion == "" || v.Os != "linux" {
			t.Fatalf("GET /version: %d %s", code, body)
		}
	})
	t.Run("malformed create", func(t *testing.T) {
		code, body, _ := apiCall(t, d, "POST", "/containers/create", js, []byte(`{"Image": "busybox",`))
		if code != 400 {
			t.Fatalf("malformed JSON: %d %s, want 400", code, body)
		}
		errorMessage(t, body)
	})
	t.Run("wrong content type", func(t *testing.T) {
		code, body, _ := apiCall(t, d, "POST", "/containers/create", "text/plain", []byte(`{"Image": "busybox"}`))
		if code != 400 {
			t.Fatalf("create with text/plain: %d %s, want 400", code, body)
		}
	})
	t.Run("unknown container", func(t *testing.T) {
		for _, p := range []string{"/containers/nope/json", "/v1.45/containers/nope/json"} {
			code, body, _ := apiCall(t, d, "GET", p, "", nil)
			if code != 404 || errorMessage(t, body) != "No such container: nope" {
				t.Fatalf("GET %s: %d %s", p, code, body)
			}
		}
		code, body, _ := apiCall(t, d, "POST", "/containers/nope/start", "", nil)
		if code != 404 || errorMessage(t, body) != "No such container: nope" {
			t.Fatalf("start nope: %d %s", code, body)
		}
	})
	t.Run("unknown image", func(t *testing.T) {
		code, body, _ := apiCall(t, d, "POST", "/containers/create", js, []byte(`{"Image": "x"}`))
		if code != 404 || errorMessage(t, body) != "No such image: x:latest" {
			t.Fatalf("create with an unknown image: %d %s", code, body)
		}
		code, body, _ = apiCall(t, d, "GET", "/images/x/json", "", nil)
		if code != 404 || errorMessage(t, body) != "No such image: x:latest" {
			t.Fatalf("inspect an unknown image: %d %s", code, body)
		}
	})
	t.Run("start twice", func(t *testing.T) {
		name := uniqueName(t)
		code, body, _ := apiCall(t, d, "POST", "/containers/create?name="+name, js,
			[]byte(`{"Image": "busybox", "Cmd": ["sleep", "300"]}`))
		if code != 201 {
			t.Fatalf("create: %d %s", code, body)
		}
		d.rmOnCleanup(t, name)
		var cr struct{ Id string }
		json.Unmarshal([]byte(body), &cr)
		if len(cr.Id) != 64 {
			t.Fatalf("create answer %s", body)
		}
		if code, body, _ := apiCall(t, d, "POST", "/containers/"+name+"/start", "", nil); code != 204 {
			t.Fatalf("first start: %d %s", code, body)
		}
		if code, body, _ := apiCall(t, d, "POST", "/containers/"+cr.Id[:12]+"/start", "", nil); code != 304 {
			t.Fatalf("start of a running container: %d %s, want 304", code, body)
		}
		if code, body, _ := apiCall(t, d, "DELETE", "/containers/"+name, "", nil); code != 409 {
			t.Fatalf("DELETE a running container: %d %s, want 409", code, body)
		}
		if code, body, _ := apiCall(t, d, "POST", "/containers/"+name+"/stop?t=1", "", nil); code != 204 {
			t.Fatalf("stop: %d %s", code, body)
		}
		if code, body, _ := apiCall(t, d, "POST", "/containers/"+name+"/stop", "", nil); code != 304 {
			t.Fatalf("stop of a stopped container: %d %s, want 304", code, body)
		}
		if code, body, _ := apiCall(t, d, "DELETE", "/containers/"+name, "", nil); code != 204 {
			t.Fatalf("DELETE: %d %s", code, body)
		}
	})
	t.Run("bad name", func(t *testing.T) {
		code, body, _ := apiCall(t, d, "POST", "/containers/create?name=bad%2Fname", js, []byte(`{"Image": "busybox"}`))
		if code != 400 || !strings.Contains(errorMessage(t, body), "Invalid container name") {
			t.Fatalf("create with an invalid name: %d %s", code, body)
		}
	})
	t.Run("list", func(t *testing.T) {
		code, body, _ := apiCall(t, d, "GET", "/containers/json?all=1", "", nil)
		var list []map[string]any
		if code != 200 || json.Unmarshal([]byte(body), &list) != nil {
			t.Fatalf("GET /containers/json: %d %s", code, body)
		}
		code, body, _ = apiCall(t, d, "GET", "/containers/json?filters="+url.QueryEscape(`{"status":["bogus"]}`), "", nil)
		if code != 400 {
			t.Fatalf("list with an invalid status filter: %d %s, want 400", code, body)
		}
	})
}

func TestImportMaliciousTar(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	esc := maliciousTar(t)
	img := uniqueName(t)
	code, body, _ := apiCall(t, d, "POST", "/images/create?fromSrc=-&repo="+img+"&tag=v1", "application/x-tar", esc.tar)
	t.Logf("import of a hostile tar: %d %s", code, strings.TrimSpace(body))
	t.Cleanup(func() { d.docker("rmi", "-f", img+":v1") })
	esc.assertNoEscape(t, d)
	if code == 200 && !strings.Contains(body, "error") {
		// If it was accepted, running it must not reach the host either.
		r := d.dk("create", "--name", img, img+":v1", "/ok.txt")
		if r.Code == 0 {
			d.rmOnCleanup(t, img)
			d.dk("start", img)
			esc.assertNoEscape(t, d)
		}
	}
}
