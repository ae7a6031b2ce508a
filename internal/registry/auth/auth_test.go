package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func users(t *testing.T) *Htpasswd {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(p, []byte("# users\nalice:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := LoadHtpasswd(p)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var pushFoo = []Access{{"repository", "foo/bar", "pull"}, {"repository", "foo/bar", "push"}}

func TestHtpasswdRefusesNonBcrypt(t *testing.T) {
	p := filepath.Join(t.TempDir(), "htpasswd")
	os.WriteFile(p, []byte("bob:{SHA}abc\n"), 0o600)
	if _, err := LoadHtpasswd(p); err == nil {
		t.Fatal("a SHA1 entry was accepted")
	}
}

func TestBasicChallenge(t *testing.T) {
	b := &Basic{Realm: "berth-registry", Users: users(t)}
	r := httptest.NewRequest("GET", "/v2/", nil)
	err := b.Authorize(r, nil)
	c, ok := err.(*Challenge)
	if !ok || c.Header != `Basic realm="berth-registry"` {
		t.Fatalf("challenge = %#v", err)
	}
	r.SetBasicAuth("alice", "wrong")
	if b.Authorize(r, nil) == nil {
		t.Fatal("a wrong password was accepted")
	}
	r.SetBasicAuth("alice", "s3cret")
	if err := b.Authorize(r, nil); err != nil {
		t.Fatal(err)
	}
}

func TestTokenFlow(t *testing.T) {
	tok := NewToken("", "berth-registry", users(t))
	r := httptest.NewRequest("POST", "http://reg.example:5000/v2/foo/bar/blobs/uploads/", nil)
	err := tok.Authorize(r, pushFoo)
	c, ok := err.(*Challenge)
	want := `Bearer realm="http://reg.example:5000/token",service="berth-registry",scope="repository:foo/bar:pull,push"`
	if !ok || c.Header != want {
		t.Fatalf("challenge = %#v, want %s", err, want)
	}

	// Wrong credentials get no token.
	req := httptest.NewRequest("GET", "/token?service=berth-registry&scope=repository:foo/bar:pull,push", nil)
	req.SetBasicAuth("alice", "nope")
	rec := httptest.NewRecorder()
	tok.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("token with a wrong password: %d", rec.Code)
	}

	req.SetBasicAuth("alice", "s3cret")
	rec = httptest.NewRecorder()
	tok.ServeHTTP(rec, req)
	var resp tokenResponse
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &resp) != nil || resp.Token == "" || resp.ExpiresIn != 300 {
		t.Fatalf("token response %d %s", rec.Code, rec.Body)
	}
	r.Header.Set("Authorization", "Bearer "+resp.Token)
	if err := tok.Authorize(r, pushFoo); err != nil {
		t.Fatalf("granted token refused: %v", err)
	}
	// The token covers foo/bar only.
	other := []Access{{"repository", "other", "pull"}}
	if c, ok := tok.Authorize(r, other).(*Challenge); !ok || !strings.Contains(c.Header, `error="insufficient_scope"`) {
		t.Fatalf("token for foo/bar used on other: %#v", c)
	}
	// A tampered token is refused.
	r.Header.Set("Authorization", "Bearer "+resp.Token[:len(resp.Token)-2]+"AA")
	if tok.Authorize(r, pushFoo) == nil {
		t.Fatal("a tampered token was accepted")
	}
	// An expired one too.
	r.Header.Set("Authorization", "Bearer "+resp.Token)
	tok.now = func() time.Time { return time.Now().Add(TokenTTL + time.Second) }
	if tok.Authorize(r, pushFoo) == nil {
		t.Fatal("an expired token was accepted")
	}
}

func TestTokenOAuthPasswordAndRefresh(t *testing.T) {
	tok := NewToken("https://reg/token", "berth-registry", users(t))
	form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"s3cret"},
		"scope": {"repository:foo/bar:pull"}, "access_type": {"offline"}, "service": {"berth-registry"}}
	req := httptest.NewRequest("POST", "/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	tok.ServeHTTP(rec, req)
	var resp tokenResponse
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &resp) != nil || resp.RefreshToken == "" {
		t.Fatalf("password grant: %d %s", rec.Code, rec.Body)
	}
	// A refresh token is not an access token.
	r := httptest.NewRequest("GET", "/v2/foo/bar/tags/list", nil)
	r.Header.Set("Authorization", "Bearer "+resp.RefreshToken)
	if tok.Authorize(r, pushFoo[:1]) == nil {
		t.Fatal("a refresh token was accepted as an access token")
	}
	form = url.Values{"grant_type": {"refresh_token"}, "refresh_token": {resp.RefreshToken}, "scope": {"repository:foo/bar:pull"}}
	req = httptest.NewRequest("POST", "/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	tok.ServeHTTP(rec, req)
	var resp2 tokenResponse
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &resp2) != nil {
		t.Fatalf("refresh grant: %d %s", rec.Code, rec.Body)
	}
	r.Header.Set("Authorization", "Bearer "+resp2.AccessToken)
	if err := tok.Authorize(r, pushFoo[:1]); err != nil {
		t.Fatal(err)
	}
}

func TestParseScopeWithPort(t *testing.T) {
	acc, err := ParseScope("repository:localhost:5000/foo:pull,push")
	if err != nil || len(acc) != 2 || acc[0].Name != "localhost:5000/foo" || acc[1].Action != "push" {
		t.Fatalf("%+v %v", acc, err)
	}
}
