package e2e

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// writeSSHKey writes a new ed25519 private key (OpenSSH format, mode 0600)
// with comment and returns its path, PEM bytes and fingerprint.
func writeSSHKey(t *testing.T, dir, comment string) (string, []byte, string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		t.Fatal(err)
	}
	data := pem.EncodeToMemory(block)
	p := filepath.Join(dir, comment)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return p, data, ssh.FingerprintSHA256(sshPub)
}

// sshListBinary builds testdata/sshlist (an agent client: busybox has
// none) into dir.
func sshListBinary(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "sshlist"), "./test/e2e/testdata/sshlist")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build sshlist: %v\n%s", err, out)
	}
}

// startSSHAgent runs ssh-agent in the foreground on its own socket with
// key added; t.Cleanup stops it by pid.
func startSSHAgent(t *testing.T, key string) string {
	t.Helper()
	if _, err := exec.LookPath("ssh-agent"); err != nil {
		t.Skip("ssh-agent is not installed (apt-get install openssh-client)")
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	waitFor(t, 10*time.Second, "ssh-agent socket", func() bool { _, err := os.Stat(sock); return err == nil })
	add := exec.Command("ssh-add", key)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}
	return sock
}

// TestBuildSSHForwardsKeysAndAgentToRunOnly: --ssh ID=KEYFILE and --ssh
// default ($SSH_AUTH_SOCK of ssh-agent) give the RUN steps that mount them
// an agent with the key; the socket, the key and the client's socket path
// are nowhere in the image, and the cache key does not depend on them.
func TestBuildSSHForwardsKeysAndAgentToRunOnly(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	d.busybox(t)
	img := uniqueName(t)
	keys := t.TempDir()
	keyPath, keyPEM, keyFP := writeSSHKey(t, keys, "berth-e2e-key")
	dir := buildContext(t, map[string]string{"Dockerfile": `FROM busybox
COPY sshlist /usr/local/bin/sshlist
RUN --mount=type=ssh,id=deploy echo "sock=$SSH_AUTH_SOCK" && (sshlist || echo no agent)
RUN --mount=type=ssh,id=deploy,target=/tmp/agent.sock,required=true SSH_AUTH_SOCK=/tmp/agent.sock sshlist && ls -l /tmp/agent.sock
RUN --mount=type=ssh echo "default sock=$SSH_AUTH_SOCK" && sshlist
`})
	sshListBinary(t, dir)
	t.Cleanup(func() { d.docker("rmi", "-f", img) })

	// Key files: no agent on the client side at all.
	env := append(d.berthEnv(), "SSH_AUTH_SOCK=")
	r := mustBuild(t, runCmd(nil, env, berthBin(), "build", "--network", "none", "--ssh", "deploy="+keyPath, "--ssh", "default="+keyPath, "-t", img, dir))
	for _, want := range []string{"sock=/run/buildkit/ssh_agent.0", "agent key: ssh-ed25519 " + keyFP, "srw-------", "default sock=/run/buildkit/ssh_agent.0"} {
		if !strings.Contains(r.Stdout, want) {
			t.Fatalf("build output lacks %q:\n%s", want, r.Stdout)
		}
	}
	// Nothing of the mounts in the image, its history or its layers.
	if out := d.must(t, "run", "--rm", img, "sh", "-c", "ls -A /run /tmp; echo end"); strings.Contains(out, "buildkit") || strings.Contains(out, "agent.sock") {
		t.Fatalf("ssh mount points left in the image: %q", out)
	}
	saved := filepath.Join(t.TempDir(), "img.tar")
	d.must(t, "save", "-o", saved, img)
	data, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Split(string(keyPEM), "\n")[2] // a line of the key's base64
	if bytes.Contains(data, []byte(body)) || bytes.Contains(data, []byte(keys)) {
		t.Fatal("the saved image holds the forwarded key or its path")
	}

	// ssh-agent's socket as --ssh default: relayed to the RUN step. The key
	// source is not part of the cache key, so --no-cache makes it run.
	other, _, otherFP := writeSSHKey(t, keys, "berth-agent-key")
	sock := startSSHAgent(t, other)
	env = append(d.berthEnv(), "SSH_AUTH_SOCK="+sock)
	r = mustBuild(t, runCmd(nil, env, berthBin(), "build", "--no-cache", "--network", "none", "--ssh", "default", "--ssh", "deploy="+sock, dir))
	if strings.Count(r.Stdout, "agent key: ssh-ed25519 "+otherFP) != 3 {
		t.Fatalf("agent socket not forwarded:\n%s", r.Stdout)
	}
	r = mustBuild(t, runCmd(nil, env, berthBin(), "build", "--network", "none", "--ssh", "default", "--ssh", "deploy="+sock, "-t", img, dir))
	if strings.Count(r.Stdout, "Using cache") != 4 {
		t.Fatalf("a different ssh source changed the cache key:\n%s", r.Stdout)
	}

	// required=true without the id: the build stops with BuildKit's message.
	r = runCmd(nil, env, berthBin(), "build", "--no-cache", "--network", "none", "--ssh", "default", dir)
	if r.Code == 0 || !strings.Contains(r.Stdout+r.Stderr, `no SSH key "deploy" forwarded from the client`) {
		t.Fatalf("missing required ssh id: %s", r)
	}
	// A socket cannot go to a daemon that is not on this machine.
	r = runCmd(nil, append(hostEnv(), "SSH_AUTH_SOCK="+sock), berthBin(), "-H", "tcp://127.0.0.1:1", "build", "--ssh", "default", dir)
	if r.Code == 0 || !strings.Contains(r.Stderr, "can be forwarded only to a daemon on this machine") {
		t.Fatalf("socket to a tcp daemon: %s", r)
	}
}
