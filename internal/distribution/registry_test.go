package distribution

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/registry"
)

// writePEM stores the test server's certificate as certs.d material.
func writeCertsDir(t *testing.T, host string, srv *httptest.Server, clientCert bool) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, host)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), ca, 0o600); err != nil {
		t.Fatal(err)
	}
	if clientCert {
		// httptest's own key pair doubles as a client certificate.
		cert := srv.TLS.Certificates[0]
		key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "client.cert"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
		os.WriteFile(filepath.Join(dir, "client.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)
	}
	return root
}

func TestCertsDirGivesCAAndClientCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	defer srv.Close()

	const host = "registry.test:443"
	dir := writeCertsDir(t, host, srv, true)
	c := New(Options{CertsDirs: []string{dir}})
	cfg, err := c.tlsConfig(host)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InsecureSkipVerify || cfg.RootCAs == nil || len(cfg.Certificates) != 1 {
		t.Fatalf("tls config: insecure=%v roots=%v certs=%d", cfg.InsecureSkipVerify, cfg.RootCAs != nil, len(cfg.Certificates))
	}
	// The CA verifies the server (httptest's certificate names example.com).
	cfg.ServerName = "example.com"
	tr := &http.Transport{TLSClientConfig: cfg}
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("client certificate not sent: %d", resp.StatusCode)
	}
	// Without the certs dir the same host is not trusted.
	plain, _ := New(Options{CertsDirs: []string{t.TempDir()}}).tlsConfig(host)
	plain.ServerName = "example.com"
	if _, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: plain}}).Get(srv.URL); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted server accepted: %v", err)
	}
}

func TestLoginBasicAuth(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "alice" || p != "pw" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	c := New(Options{})
	res, err := c.Login(context.Background(), registry.AuthConfig{Username: "alice", Password: "pw", ServerAddress: host})
	if err != nil || res.Status != "Login Succeeded" {
		t.Fatalf("login: %+v %v", res, err)
	}
	_, err = c.Login(context.Background(), registry.AuthConfig{Username: "alice", Password: "nope", ServerAddress: "http://" + host + "/"})
	if err == nil || !strings.Contains(err.Error(), "401 Unauthorized") {
		t.Fatalf("wrong password: %v", err)
	}
}

// A bearer registry (Docker Hub, ECR style): /v2/ sends the client to a
// token realm, which takes the credentials and hands out a token.
func TestLoginBearerToken(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			u, p, ok := r.BasicAuth()
			if !ok || u != "bob" || p != "tok-pw" || r.URL.Query().Get("service") != "test-registry" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"token":"t0k3n"}`))
		case "/v2/":
			if r.Header.Get("Authorization") != "Bearer t0k3n" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="`+srv.URL+`/token",service="test-registry"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	c := New(Options{})
	if res, err := c.Login(context.Background(), registry.AuthConfig{Username: "bob", Password: "tok-pw", ServerAddress: host}); err != nil || res.Status != "Login Succeeded" {
		t.Fatalf("login: %+v %v", res, err)
	}
	if _, err := c.Login(context.Background(), registry.AuthConfig{Username: "bob", Password: "bad", ServerAddress: host}); err == nil {
		t.Fatal("a wrong password got a token")
	}
}
