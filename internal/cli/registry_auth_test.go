package cli

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/moby/api/types/registry"
)

func decodeAuth(t *testing.T, s string) registry.AuthConfig {
	t.Helper()
	data, err := base64.URLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	var ac registry.AuthConfig
	if err := json.Unmarshal(data, &ac); err != nil {
		t.Fatal(err)
	}
	return ac
}

// Credentials come from config.json's auths, and from a credential helper
// (credHelpers / credsStore) run as docker-credential-<name> get.
func TestEncodedAuthReadsConfigAndHelpers(t *testing.T) {
	dir := t.TempDir()
	bin := t.TempDir()
	helper := "#!/bin/sh\nread server\necho '{\"ServerURL\":\"'$server'\",\"Username\":\"helper-user\",\"Secret\":\"helper-secret\"}'\n"
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-berthtest"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	t.Setenv("DOCKER_CONFIG", dir)
	cfg := `{"auths":{"127.0.0.1:5000":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("alice:pw")) + `"}},
		"credHelpers":{"reg.example:443":"berthtest"}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Cli{err: io.Discard}
	if ac := decodeAuth(t, encodedAuth(c, "127.0.0.1:5000/a/b:c")); ac.Username != "alice" || ac.Password != "pw" {
		t.Fatalf("auths entry: %+v", ac)
	}
	if ac := decodeAuth(t, encodedAuth(c, "reg.example:443/x")); ac.Username != "helper-user" || ac.Password != "helper-secret" {
		t.Fatalf("credential helper: %+v", ac)
	}
	if got := encodedAuth(c, "busybox"); got != "" {
		t.Fatalf("Docker Hub without a login: %q", got)
	}
}

func TestServerKey(t *testing.T) {
	for in, want := range map[string]string{
		"": dockerHubAuthKey, "docker.io": dockerHubAuthKey, "https://index.docker.io/v1/": dockerHubAuthKey,
		"127.0.0.1:5000": "127.0.0.1:5000", "http://127.0.0.1:5000/": "127.0.0.1:5000",
	} {
		if got := serverKey(in); got != want {
			t.Errorf("serverKey(%q) = %q, want %q", in, got, want)
		}
	}
}
