package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// TokenTTL is how long an access token lives (Docker Hub's are 300 s too).
const TokenTTL = 5 * time.Minute

// refreshTTL bounds the refresh tokens handed to `offline_token=true` logins.
const refreshTTL = 24 * time.Hour

// Token is the Authorizer for `--auth token`: requests carry a short-lived bearer token
// signed (HMAC-SHA256, JWT encoding) by this registry, which issues it at Realm in exchange
// for htpasswd credentials.
type Token struct {
	Realm   string // absolute URL of the token endpoint; empty: /token on the host the client used
	Service string
	Users   *Htpasswd
	key     []byte
	now     func() time.Time
}

// NewToken returns a token authorizer with a fresh random signing key: tokens do not
// survive a restart, clients simply ask for a new one.
func NewToken(realm, service string, users *Htpasswd) *Token {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &Token{Realm: realm, Service: service, Users: users, key: key, now: time.Now}
}

type claimAccess struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

type claims struct {
	Issuer    string        `json:"iss"`
	Subject   string        `json:"sub"`
	Audience  string        `json:"aud"`
	ExpiresAt int64         `json:"exp"`
	IssuedAt  int64         `json:"iat"`
	Refresh   bool          `json:"refresh,omitempty"`
	Access    []claimAccess `json:"access"`
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

func (t *Token) sign(c claims) string {
	body, _ := json.Marshal(c)
	msg := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(body)
	mac := hmac.New(sha256.New, t.key)
	mac.Write([]byte(msg))
	return msg + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (t *Token) verify(tok string) (claims, error) {
	var c claims
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return c, errors.New("malformed token")
	}
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		return c, errors.New("malformed token")
	}
	mac := hmac.New(sha256.New, t.key)
	mac.Write([]byte(tok[:i]))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return c, errors.New("invalid token signature")
	}
	_, payload, ok := strings.Cut(tok[:i], ".")
	if !ok {
		return c, errors.New("malformed token")
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(body, &c) != nil {
		return c, errors.New("malformed token")
	}
	if t.now().Unix() >= c.ExpiresAt {
		return c, errors.New("token expired")
	}
	return c, nil
}

// Authorize implements Authorizer.
func (t *Token) Authorize(r *http.Request, need []Access) error {
	challenge := func(msg, errCode string) error {
		h := fmt.Sprintf("Bearer realm=%q,service=%q", t.realm(r), t.Service)
		if len(need) > 0 {
			h += fmt.Sprintf(",scope=%q", Scope(need))
		}
		if errCode != "" {
			h += fmt.Sprintf(",error=%q", errCode)
		}
		return &Challenge{Header: h, Message: msg}
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return challenge("authentication required", "")
	}
	c, err := t.verify(strings.TrimSpace(tok))
	if err != nil || c.Refresh {
		return challenge("authentication required", "invalid_token")
	}
	for _, n := range need {
		if !granted(c.Access, n) {
			return challenge("insufficient scope", "insufficient_scope")
		}
	}
	return nil
}

// realm is the configured token endpoint, or this server's /token as the client reached it.
func (t *Token) realm(r *http.Request) string {
	if t.Realm != "" {
		return t.Realm
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/token"
}

func granted(have []claimAccess, n Access) bool {
	for _, a := range have {
		if a.Type == n.Type && a.Name == n.Name && (slices.Contains(a.Actions, n.Action) || slices.Contains(a.Actions, "*")) {
			return true
		}
	}
	return false
}

// tokenResponse is what Docker's token spec and the OAuth2 flow both read.
type tokenResponse struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	IssuedAt     string `json:"issued_at"`
	Scope        string `json:"scope,omitempty"`
}

// ServeHTTP is the token endpoint: GET with basic credentials (docker's token flow) or
// POST with an OAuth2 password or refresh_token grant.
func (t *Token) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var user string
	var scopes []string
	wantRefresh := false
	switch r.Method {
	case http.MethodGet:
		u, p, ok := r.BasicAuth()
		if !ok || !t.Users.Check(u, p) {
			tokenError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
			return
		}
		user = u
		scopes = r.URL.Query()["scope"]
		wantRefresh = r.URL.Query().Get("offline_token") == "true"
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			tokenError(w, http.StatusBadRequest, "UNSUPPORTED", "invalid form")
			return
		}
		switch r.PostForm.Get("grant_type") {
		case "password":
			u, p := r.PostForm.Get("username"), r.PostForm.Get("password")
			if !t.Users.Check(u, p) {
				tokenError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
				return
			}
			user = u
			wantRefresh = r.PostForm.Get("access_type") == "offline"
		case "refresh_token":
			c, err := t.verify(r.PostForm.Get("refresh_token"))
			if err != nil || !c.Refresh {
				tokenError(w, http.StatusUnauthorized, "UNAUTHORIZED", "invalid refresh token")
				return
			}
			user = c.Subject
		default:
			tokenError(w, http.StatusBadRequest, "UNSUPPORTED", "unsupported grant_type")
			return
		}
		scopes = strings.Fields(r.PostForm.Get("scope"))
	default:
		tokenError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method not allowed")
		return
	}
	var access []claimAccess
	for _, s := range scopes {
		for _, item := range strings.Fields(s) {
			acc, err := ParseScope(item)
			if err != nil || len(acc) == 0 {
				continue
			}
			ca := claimAccess{Type: acc[0].Type, Name: acc[0].Name}
			for _, a := range acc {
				ca.Actions = append(ca.Actions, a.Action) // every user has every right
			}
			access = append(access, ca)
		}
	}
	now := t.now()
	resp := tokenResponse{ExpiresIn: int(TokenTTL / time.Second), IssuedAt: now.UTC().Format(time.RFC3339)}
	resp.Token = t.sign(claims{Issuer: t.Service, Subject: user, Audience: t.Service, IssuedAt: now.Unix(),
		ExpiresAt: now.Add(TokenTTL).Unix(), Access: access})
	resp.AccessToken = resp.Token
	if wantRefresh {
		resp.RefreshToken = t.sign(claims{Issuer: t.Service, Subject: user, Audience: t.Service, IssuedAt: now.Unix(),
			ExpiresAt: now.Add(refreshTTL).Unix(), Refresh: true})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func tokenError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="berth-registry-token"`)
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}]}`+"\n", code, msg)
}
