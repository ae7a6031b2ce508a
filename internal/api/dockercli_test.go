package api

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The real docker CLI (older API than ours: it negotiates down) talks to
// the server; skipped where the CLI is not installed.
func TestDockerCLI(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker CLI not installed")
	}
	fb, _, _, sock := newTestServer(t)
	createFake(t, fb, "web", false)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(docker, args...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+sock, "DOCKER_CONFIG="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if v := run("version", "--format", "{{.Server.Version}} {{.Client.APIVersion}}"); !strings.HasPrefix(v, "0.0.1 1.") {
		t.Fatalf("docker version: %q", v)
	}
	if out := run("ps", "-a", "--format", "{{.Names}}"); out != "web" {
		t.Fatalf("docker ps: %q", out)
	}
	if out := run("inspect", "--format", "{{.Name}}", "web"); out != "/web" {
		t.Fatalf("docker inspect: %q", out)
	}
}
