package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testRegistry is Debian's reference registry (distribution 2.8) on a free
// loopback port with its own temp storage; t.Cleanup stops it by pid.
type testRegistry struct {
	Addr string // 127.0.0.1:PORT
	cmd  *exec.Cmd
}

// startRegistry starts docker-registry; htpasswd, if set, turns on basic auth.
func startRegistry(t testing.TB, htpasswd string) *testRegistry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("docker-registry not installed (apt-get install docker-registry)")
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	auth := ""
	if htpasswd != "" {
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: berth-e2e\n    path: %s\n", htpasswd)
	}
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n%s",
		filepath.Join(dir, "data"), addr, auth)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &testRegistry{Addr: addr, cmd: cmd}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
	waitFor(t, 10*time.Second, "registry to answer", func() bool {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
	return r
}

// htpasswdFile writes a bcrypt htpasswd file for user:password.
func htpasswdFile(t testing.TB, user, password string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "htpasswd")
	out, err := exec.Command("htpasswd", "-Bbn", user, password).Output()
	if err != nil {
		t.Skip("htpasswd not available (apache2-utils): ", err)
	}
	if err := os.WriteFile(p, []byte(strings.TrimSpace(string(out))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
