package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

const dockerCLI = "/usr/local/bin/docker"

var (
	// skipReason is set when the host cannot run the suite; every test skips with it.
	skipReason string
	// buildErr is set when the binaries did not build; every test fails with it.
	buildErr error
	// binDir holds berth and berth-shim, built once for the whole run.
	binDir string
	// baseTar is the busybox rootfs tar made by scripts/mkbase.sh.
	baseTar string
	// repoRoot is the module root (where go.mod lives).
	repoRoot string
	// runtimeBin is the OCI runtime the daemons use: runc, or what
	// BERTH_E2E_RUNTIME names (.ci/run runs the suite with each).
	runtimeBin = runtimeFromEnv()
)

func runtimeFromEnv() string {
	if r := os.Getenv("BERTH_E2E_RUNTIME"); r != "" {
		return r
	}
	return "runc"
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	skipReason = hostSkipReason()
	if skipReason != "" {
		return m.Run()
	}
	tmp, err := os.MkdirTemp("", "berth-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	binDir = tmp
	repoRoot, err = findRepoRoot()
	if err != nil {
		buildErr = err
	} else {
		buildErr = buildBinaries(binDir)
	}
	if buildErr == nil {
		baseTar = filepath.Join(tmp, "busybox-rootfs.tar")
		buildErr = makeBaseTar(baseTar)
	}
	code := m.Run()
	stopShared()
	return code
}

// hostSkipReason returns why this host cannot run the suite, or "".
func hostSkipReason() string {
	if runtime.GOOS != "linux" {
		return "e2e tests need linux"
	}
	if os.Geteuid() != 0 {
		return "e2e tests need root"
	}
	if _, err := os.Stat(dockerCLI); err != nil {
		return "e2e tests need the docker CLI at " + dockerCLI
	}
	if _, err := exec.LookPath(runtimeBin); err != nil {
		return "e2e tests need runc in PATH"
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		return "e2e tests need /bin/busybox (busybox-static)"
	}
	return ""
}

func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func buildBinaries(dir string) error {
	// berth is pure Go; berth-shim's monitor is C (cgo, linked -static).
	for _, b := range []struct{ pkg, cgo string }{{"./cmd/berth", "0"}, {"./cmd/berth-shim", "1"}} {
		cmd := exec.Command("go", "build", "-o", dir+"/", b.pkg)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+b.cgo)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	for _, b := range []string{"berth", "berth-shim"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return fmt.Errorf("go build ./cmd/... made no %s", b)
		}
	}
	return nil
}

func makeBaseTar(path string) error {
	cmd := exec.Command("bash", filepath.Join(repoRoot, "scripts", "mkbase.sh"), "-o", path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("scripts/mkbase.sh: %v\n%s", err, out)
	}
	return nil
}

// requireE2E skips or fails the test when the suite cannot run here.
func requireE2E(t testing.TB) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}
