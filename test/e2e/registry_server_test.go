package e2e

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// registryServer is a `berth registry serve` process on a temp root and a free loopback port.
type registryServer struct {
	addr, root string
	cmd        *exec.Cmd
}

var listenLine = regexp.MustCompile(`listening on (\S+)`)

// startRegistry runs `berth registry serve` with extra flags; the test stops it by pid.
func startRegistry(t *testing.T, extra ...string) *registryServer {
	t.Helper()
	root := t.TempDir()
	args := append([]string{"registry", "serve", "--addr", "127.0.0.1:0", "--data-root", filepath.Join(root, "data")}, extra...)
	cmd := exec.Command(berthBin(), args...)
	cmd.Env = hostEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
		}
	}()
	select {
	case addr := <-addrc:
		return &registryServer{addr: addr, root: filepath.Join(root, "data"), cmd: cmd}
	case <-time.After(15 * time.Second):
		t.Fatal("berth registry serve did not start")
		return nil
	}
}

// tlsFlags writes a self-signed certificate for 127.0.0.1 and returns the serve flags for it.
func tlsFlags(t *testing.T) []string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return []string{"--tls-cert", cert, "--tls-key", keyFile}
}

// writeHtpasswd writes a bcrypt htpasswd file with one user.
func writeHtpasswd(t *testing.T, user, pass string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(p, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func lookTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

func TestRegistryServerConformance(t *testing.T) {
	requireE2E(t)
	bin := lookTool(t, "conformance")
	if bin == "" {
		t.Skip("OCI conformance suite not installed (go install github.com/opencontainers/distribution-spec/conformance@v0.0.0-20260831232431-97274622c111)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	results := t.TempDir()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(repoRoot, "scripts", "conformance.sh"), results)
	cmd.Env = append(hostEnv(), "BERTH_BIN="+berthBin(), "CONFORMANCE_BIN="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("conformance failed: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`conformance: [1-9][0-9]* checks, 0 failures, 0 errors`).Match(out) {
		t.Fatalf("no clean conformance summary:\n%s", out)
	}
}

// TestRegistryServerCraneSkopeo pushes an image made from the busybox rootfs with crane,
// pulls it back with crane and copies it with skopeo, on an open registry and behind
// htpasswd with basic and with token auth.
func TestRegistryServerCraneSkopeo(t *testing.T) {
	requireE2E(t)
	crane := lookTool(t, "crane")
	if crane == "" {
		t.Skip("crane not installed (go install github.com/google/go-containerregistry/cmd/crane@v0.22.1)")
	}
	skopeo := lookTool(t, "skopeo")
	htpasswd := writeHtpasswd(t, "alice", "s3cret")
	for _, tc := range []struct {
		name  string
		flags []string
		auth  bool
	}{
		{"open", nil, false},
		{"basic", []string{"--htpasswd", htpasswd}, true},
		{"token", []string{"--htpasswd", htpasswd, "--auth", "token"}, true},
		{"tls-token", append([]string{"--htpasswd", htpasswd, "--auth", "token"}, tlsFlags(t)...), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := startRegistry(t, tc.flags...)
			cfg := t.TempDir()
			env := append(hostEnv(), "DOCKER_CONFIG="+cfg, "HOME="+cfg)
			run := func(bin string, args ...string) result {
				return runCmd(nil, env, bin, args...)
			}
			ref := reg.addr + "/e2e/busybox:1.0"
			if tc.auth {
				r := run(crane, "append", "--insecure", "-f", baseTar, "-t", ref)
				if r.Code == 0 || !(strings.Contains(r.Stderr, "UNAUTHORIZED") || strings.Contains(r.Stderr, "401 Unauthorized")) {
					t.Fatalf("push without credentials: %s", r)
				}
				if r := run(crane, "auth", "login", reg.addr, "-u", "alice", "-p", "wrong"); r.Code != 0 {
					t.Fatalf("crane auth login: %s", r) // crane stores credentials without checking them
				}
				if r := run(crane, "append", "--insecure", "-f", baseTar, "-t", ref); r.Code == 0 {
					t.Fatalf("push with a wrong password succeeded: %s", r)
				}
				if r := run(crane, "auth", "login", reg.addr, "-u", "alice", "-p", "s3cret"); r.Code != 0 {
					t.Fatalf("crane auth login: %s", r)
				}
			}
			r := run(crane, "append", "--insecure", "-f", baseTar, "-t", ref)
			if r.Code != 0 {
				t.Fatalf("crane append (push): %s", r)
			}
			pushed := strings.TrimSpace(r.Stdout)
			r = run(crane, "digest", "--insecure", ref)
			if r.Code != 0 || !strings.HasSuffix(pushed, strings.TrimSpace(r.Stdout)) {
				t.Fatalf("crane digest = %q, pushed %q: %s", r.Stdout, pushed, r)
			}
			if r := run(crane, "ls", "--insecure", reg.addr+"/e2e/busybox"); r.Code != 0 || strings.TrimSpace(r.Stdout) != "1.0" {
				t.Fatalf("crane ls: %s", r)
			}
			out := filepath.Join(t.TempDir(), "img.tar")
			if r := run(crane, "pull", "--insecure", ref, out); r.Code != 0 {
				t.Fatalf("crane pull: %s", r)
			}
			// The pulled image holds the busybox rootfs: its layer has bin/busybox.
			list := runCmd(nil, env, "sh", "-c", "tar -xOf "+out+" --wildcards '*.tar.gz' | tar -tzf - | grep -c busybox")
			if list.Code != 0 || strings.TrimSpace(list.Stdout) == "0" {
				t.Fatalf("pulled image has no busybox: %s", list)
			}
			// Cross-repository copy by the registry itself (mount), then a tag list.
			if r := run(crane, "copy", "--insecure", ref, reg.addr+"/e2e/copy:latest"); r.Code != 0 {
				t.Fatalf("crane copy: %s", r)
			}
			if skopeo == "" {
				t.Log("skopeo not installed: skopeo part skipped")
				return
			}
			sargs := []string{"copy", "--src-tls-verify=false", "--dest-tls-verify=false"}
			if tc.auth {
				sargs = append(sargs, "--src-creds", "alice:s3cret", "--dest-creds", "alice:s3cret")
			}
			dir := filepath.Join(t.TempDir(), "oci")
			if r := run(skopeo, append(sargs, "docker://"+ref, "oci:"+dir+":bb")...); r.Code != 0 {
				t.Fatalf("skopeo copy (pull): %s", r)
			}
			if r := run(skopeo, append(sargs, "oci:"+dir+":bb", "docker://"+reg.addr+"/e2e/skopeo:v2")...); r.Code != 0 {
				t.Fatalf("skopeo copy (push): %s", r)
			}
			if r := run(crane, "digest", "--insecure", reg.addr+"/e2e/skopeo:v2"); r.Code != 0 {
				t.Fatalf("image pushed by skopeo: %s", r)
			}
		})
	}
}

// TestRegistryServerGC deletes a manifest, then `berth registry gc` frees its blobs while
// the image still tagged keeps its own.
func TestRegistryServerGC(t *testing.T) {
	requireE2E(t)
	crane := lookTool(t, "crane")
	if crane == "" {
		t.Skip("crane not installed (go install github.com/google/go-containerregistry/cmd/crane@v0.22.1)")
	}
	reg := startRegistry(t)
	env := append(hostEnv(), "DOCKER_CONFIG="+t.TempDir())
	keep, drop := reg.addr+"/gc/keep:1", reg.addr+"/gc/drop:1"
	if r := runCmd(nil, env, crane, "append", "--insecure", "-f", baseTar, "-t", keep); r.Code != 0 {
		t.Fatalf("push keep: %s", r)
	}
	other := filepath.Join(t.TempDir(), "other.tar")
	if r := runCmd(nil, env, "tar", "-cf", other, "-C", repoRoot, "go.mod"); r.Code != 0 {
		t.Fatalf("tar: %s", r)
	}
	r := runCmd(nil, env, crane, "append", "--insecure", "-f", other, "-t", drop)
	if r.Code != 0 {
		t.Fatalf("push drop: %s", r)
	}
	dropRef := strings.TrimSpace(r.Stdout)
	if r := runCmd(nil, env, crane, "delete", "--insecure", dropRef); r.Code != 0 {
		t.Fatalf("crane delete: %s", r)
	}
	gc := func(args ...string) string {
		t.Helper()
		r := runCmd(nil, hostEnv(), berthBin(), append([]string{"registry", "gc", "--data-root", reg.root, "--grace", "0s"}, args...)...)
		if r.Code != 0 {
			t.Fatalf("registry gc: %s", r)
		}
		return r.Stdout
	}
	dry := gc("--dry-run")
	if !strings.Contains(dry, "would delete 3 blobs") { // the dropped manifest, its config and layer
		t.Fatalf("dry run: %s", dry)
	}
	if out := gc(); !strings.Contains(out, "deleted 3 blobs") {
		t.Fatalf("gc: %s", out)
	}
	if out := gc(); !strings.Contains(out, "deleted 0 blobs") {
		t.Fatalf("second gc: %s", out)
	}
	pulled := filepath.Join(t.TempDir(), "keep.tar")
	if r := runCmd(nil, env, crane, "pull", "--insecure", keep, pulled); r.Code != 0 {
		t.Fatalf("pull of the kept image after gc: %s", r)
	}
}
