package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
)

// buildingBackend is the fake backend plus a builder that records what it
// was asked and answers as told.
type buildingBackend struct {
	*fakeBackend
	got     BuildOptions
	body    string
	failure error
}

func (b *buildingBackend) Build(ctx context.Context, body io.Reader, opts BuildOptions, out io.Writer) (string, error) {
	data, _ := io.ReadAll(body)
	b.got, b.body = opts, string(data)
	fmt.Fprint(out, "Step 1/1 : FROM busybox\n")
	if b.failure != nil {
		return "", b.failure
	}
	return "sha256:" + strings.Repeat("ab", 32), nil
}

func (b *buildingBackend) BuildCachePrune(ctx context.Context, all bool) (*build.CachePruneReport, error) {
	return &build.CachePruneReport{CachesDeleted: []string{"k1"}, SpaceReclaimed: 42}, nil
}

func decodeStream(t *testing.T, body string) []jsonstream.Message {
	t.Helper()
	var out []jsonstream.Message
	dec := json.NewDecoder(strings.NewReader(body))
	for dec.More() {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("stream %q: %v", body, err)
		}
		out = append(out, m)
	}
	return out
}

func TestBuildQueryAndStream(t *testing.T) {
	bb := &buildingBackend{fakeBackend: newFakeBackend()}
	s := NewServer(bb, Options{Version: "test"})
	q := `/v1.47/build?t=a:1&t=b&dockerfile=sub%2FDockerfile&target=final&nocache=1&q=1&networkmode=none` +
		`&buildargs=%7B%22X%22%3A%221%22%2C%22Y%22%3Anull%7D&labels=%7B%22l%22%3A%22v%22%7D&cachefrom=%5B%22img%22%5D&version=1`
	rec := do(t, s, "POST", q, "TARBYTES")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	g := bb.got
	if strings.Join(g.Tags, ",") != "a:1,b" || g.Dockerfile != "sub/Dockerfile" || g.Target != "final" || !g.NoCache || !g.Quiet ||
		g.NetworkMode != "none" || *g.BuildArgs["X"] != "1" || g.BuildArgs["Y"] != nil || g.Labels["l"] != "v" || g.CacheFrom[0] != "img" {
		t.Fatalf("options = %+v", g)
	}
	if bb.body != "TARBYTES" {
		t.Fatalf("context body = %q", bb.body)
	}
	msgs := decodeStream(t, rec.Body.String())
	if len(msgs) != 3 || msgs[0].Stream != "Step 1/1 : FROM busybox\n" || msgs[1].Aux == nil ||
		!strings.Contains(string(*msgs[1].Aux), `"ID":"sha256:abab`) || !strings.HasPrefix(msgs[2].Stream, "sha256:abab") {
		t.Fatalf("stream = %s", rec.Body)
	}
}

func TestBuildFailureIsAnErrorDetailLine(t *testing.T) {
	bb := &buildingBackend{fakeBackend: newFakeBackend(), failure: errors.New("Dockerfile:2: RUN false: The command '/bin/sh -c false' returned a non-zero code: 1")}
	s := NewServer(bb, Options{Version: "test"})
	rec := do(t, s, "POST", "/build", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: a build failure is reported in the stream", rec.Code)
	}
	msgs := decodeStream(t, rec.Body.String())
	last := msgs[len(msgs)-1]
	if last.Error == nil || last.Error.Message != bb.failure.Error() || !strings.Contains(rec.Body.String(), `"error":"Dockerfile:2`) {
		t.Fatalf("stream = %s", rec.Body)
	}
}

func TestBuildRefusals(t *testing.T) {
	bb := &buildingBackend{fakeBackend: newFakeBackend()}
	s := NewServer(bb, Options{Version: "test"})
	for _, tc := range []struct {
		query string
		code  int
	}{
		{"/build?version=2", http.StatusNotImplemented},
		{"/build?remote=https://example.com/ctx.tar", http.StatusNotImplemented},
		{"/build?buildargs=notjson", http.StatusBadRequest},
		{"/build?networkmode=container:x", http.StatusBadRequest},
	} {
		if rec := do(t, s, "POST", tc.query, ""); rec.Code != tc.code {
			t.Errorf("%s: status %d, want %d (%s)", tc.query, rec.Code, tc.code, rec.Body)
		}
	}
	// A backend without a builder answers 501; prune reports nothing to free.
	plain := NewServer(newFakeBackend(), Options{Version: "test"})
	if rec := do(t, plain, "POST", "/build", ""); rec.Code != http.StatusNotImplemented {
		t.Errorf("no builder: status %d", rec.Code)
	}
	rec := do(t, s, "POST", "/build/prune?all=1", "")
	var rep build.CachePruneReport
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &rep) != nil || rep.SpaceReclaimed != 42 {
		t.Fatalf("prune: %d %s", rec.Code, rec.Body)
	}
}
