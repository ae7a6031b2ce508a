package api

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
)

// distBackend adds a scripted registry side to the fake backend.
type distBackend struct {
	*fakeBackend
	gotFrom, gotTag, gotAuth string
	pullErr                  error
	early                    bool // fail before the first progress line
}

func (d *distBackend) ImagePull(ctx context.Context, from, tag, platform, auth string, progress func(jsonstream.Message)) error {
	d.gotFrom, d.gotTag, d.gotAuth = from, tag, auth
	if d.early {
		return d.pullErr
	}
	progress(jsonstream.Message{ID: "abc", Status: "Downloading", Progress: &jsonstream.Progress{Current: 50, Total: 100}})
	return d.pullErr
}
func (d *distBackend) ImagePush(ctx context.Context, name, tag, auth string, progress func(jsonstream.Message)) error {
	return nil
}
func (d *distBackend) RegistryLogin(ctx context.Context, ac registry.AuthConfig) (registry.AuthResponse, error) {
	if ac.Password != "right" {
		return registry.AuthResponse{}, errdefs.Unauthorized("login attempt to http://r/v2/ failed with status: 401 Unauthorized")
	}
	return registry.AuthResponse{Status: "Login Succeeded"}, nil
}
func (d *distBackend) DistributionInspect(ctx context.Context, name, auth string) (*registry.DistributionInspect, error) {
	return nil, errdefs.NotFound("manifest unknown")
}
func (d *distBackend) ImageSearch(ctx context.Context, term string, limit int, auth string) ([]registry.SearchResult, error) {
	return nil, errdefs.NotFound("Unexpected status code 404")
}

func TestPullStreamsProgressThenErrorDetail(t *testing.T) {
	b := &distBackend{fakeBackend: newFakeBackend(), pullErr: errors.New("boom")}
	s := NewServer(b, Options{})
	rec := do(t, s, "POST", "/v1.45/images/create?fromImage=127.0.0.1:5000/bb&tag=v1", "", "X-Registry-Auth", "e30=")
	body := rec.Body.String()
	if rec.Code != 200 || b.gotFrom != "127.0.0.1:5000/bb" || b.gotTag != "v1" || b.gotAuth != "e30=" {
		t.Fatalf("%d %q %q %q", rec.Code, b.gotFrom, b.gotTag, b.gotAuth)
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"progressDetail":{"current":50,"total":100}`) || !strings.Contains(lines[0], `"progress":"[=========================>`) ||
		lines[1] != `{"errorDetail":{"message":"boom"},"error":"boom"}` {
		t.Fatalf("stream:\n%s", body)
	}
	// Before the first line, an error is an HTTP status.
	b.early, b.pullErr = true, errdefs.NotFound("manifest for bb:v1 not found: manifest unknown: manifest unknown")
	rec = do(t, s, "POST", "/images/create?fromImage=bb&tag=v1", "")
	if rec.Code != 404 || message(t, rec) != "manifest for bb:v1 not found: manifest unknown: manifest unknown" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestAuthRoute(t *testing.T) {
	s := NewServer(&distBackend{fakeBackend: newFakeBackend()}, Options{})
	json := []string{"Content-Type", "application/json"}
	if rec := do(t, s, "POST", "/auth", `{"username":"u","password":"right","serveraddress":"r"}`, json...); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"Status":"Login Succeeded"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "POST", "/auth", `{"username":"u","password":"wrong"}`, json...); rec.Code != 401 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "GET", "/images/search?term=x", ""); rec.Code != 404 || message(t, rec) != "Unexpected status code 404" {
		t.Fatalf("search: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "GET", "/distribution/127.0.0.1:5000/a/b:c/json", ""); rec.Code != 404 {
		t.Fatalf("distribution: %d %s", rec.Code, rec.Body)
	}
}
