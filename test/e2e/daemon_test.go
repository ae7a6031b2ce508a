package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// daemon is one `berth daemon` on its own temporary roots and socket.
type daemon struct {
	dir       string // temp dir holding everything below
	dataRoot  string
	execRoot  string
	sock      string
	pidfile   string
	logFile   string
	configDir string // DOCKER_CONFIG for the docker CLI: isolated from the host's
	extra     []string
	net       daemonNet // its own bridge, subnet and nftables table

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has been waited for
	waitErr error

	bbOnce sync.Once
	bbErr  error
}

// startDaemon starts a daemon that belongs to t: t.Cleanup stops it and removes every trace
// of its containers. extra are added to the daemon's command line.
func startDaemon(t testing.TB, extra ...string) *daemon {
	t.Helper()
	requireE2E(t)
	d, err := newDaemon(extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log (%s), last lines:\n%s", d.logFile, d.logTail(40))
		}
		d.cleanup(t.Logf)
	})
	if err := d.start(); err != nil {
		t.Fatal(err)
	}
	return d
}

func newDaemon(extra ...string) (*daemon, error) {
	// Short paths: a unix socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "berth-e2e-")
	if err != nil {
		return nil, err
	}
	d := &daemon{
		dir:       dir,
		dataRoot:  filepath.Join(dir, "data"),
		execRoot:  filepath.Join(dir, "exec"),
		sock:      filepath.Join(dir, "berth.sock"),
		pidfile:   filepath.Join(dir, "berth.pid"),
		logFile:   filepath.Join(dir, "daemon.log"),
		configDir: filepath.Join(dir, "docker-config"),
		extra:     extra,
		net:       newDaemonNet(),
	}
	for _, p := range []string{d.dataRoot, d.execRoot, d.configDir} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func berthBin() string { return filepath.Join(binDir, "berth") }

// hostEnv is the environment for everything the suite runs: the host's, with sbin in PATH
// (runc lives in /usr/sbin) and no stray docker/berth settings.
func hostEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH", strings.HasPrefix(k, "DOCKER_"), strings.HasPrefix(k, "BERTH_"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PATH="+binDir+":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
}

func (d *daemon) daemonArgs() []string {
	args := []string{"daemon",
		"-H", "unix://" + d.sock,
		"--data-root", d.dataRoot,
		"--exec-root", d.execRoot,
		"--pidfile", d.pidfile,
		"--runtime", runtimeBin,
		"--log-level", "debug",
	}
	args = append(args, d.net.args()...)
	return append(args, d.extra...)
}

// start runs the daemon and waits until /_ping answers.
func (d *daemon) start() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd != nil {
		return errors.New("daemon already started")
	}
	logf, err := os.OpenFile(d.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "=== %s start: berth %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(d.daemonArgs(), " "))
	cmd := exec.Command(berthBin(), d.daemonArgs()...)
	cmd.Env = hostEnv()
	cmd.Stdout = logf
	cmd.Stderr = logf
	// Its own process group: a ^C on `go test` must not reach it before cleanup does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start daemon: %w", err)
	}
	logf.Close()
	exited := make(chan struct{})
	d.cmd, d.exited = cmd, exited
	go func() {
		err := cmd.Wait()
		d.mu.Lock()
		d.waitErr = err
		d.mu.Unlock()
		close(exited)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			d.cmd = nil
			return fmt.Errorf("daemon exited during start-up (%v); log:\n%s", d.waitErrLocked(), d.logTail(30))
		default:
		}
		if d.ping() == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("daemon did not answer /_ping within 30s; log:\n%s", d.logTail(30))
}

func (d *daemon) waitErrLocked() error { return d.waitErr }

// signalAndWait sends sig and waits up to timeout for the daemon to exit. It reports whether
// the daemon is gone.
func (d *daemon) signalAndWait(sig syscall.Signal, timeout time.Duration) bool {
	d.mu.Lock()
	cmd, exited := d.cmd, d.exited
	d.mu.Unlock()
	if cmd == nil {
		return true
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
		d.mu.Lock()
		d.cmd = nil
		d.mu.Unlock()
		return true
	case <-time.After(timeout):
		return false
	}
}

// stop ends the daemon: SIGTERM, then SIGKILL after 20s.
func (d *daemon) stop() {
	if !d.signalAndWait(syscall.SIGTERM, 20*time.Second) {
		d.signalAndWait(syscall.SIGKILL, 10*time.Second)
	}
}

// kill9 kills the daemon with SIGKILL, leaving its containers and shims running.
func (d *daemon) kill9(t testing.TB) {
	t.Helper()
	if !d.signalAndWait(syscall.SIGKILL, 10*time.Second) {
		t.Fatal("daemon did not die after SIGKILL")
	}
}

// restart stops the daemon (if running) and starts it again on the same roots.
func (d *daemon) restart(t testing.TB) {
	t.Helper()
	d.stop()
	if err := d.start(); err != nil {
		t.Fatal(err)
	}
}

// ping asks GET /_ping once.
func (d *daemon) ping() error {
	c := d.httpClient()
	c.Timeout = 2 * time.Second
	resp, err := c.Get("http://berth/_ping")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/_ping: %s %s", resp.Status, body)
	}
	return nil
}

// httpClient speaks plain HTTP over the daemon's unix socket (use http://berth/... URLs).
func (d *daemon) httpClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var dl net.Dialer
				return dl.DialContext(ctx, "unix", d.sock)
			},
			DisableKeepAlives: true,
		},
		Timeout: 60 * time.Second,
	}
}

// client is a moby Go client for this daemon, closed when t ends.
func (d *daemon) client(t testing.TB) *client.Client {
	t.Helper()
	c, err := client.New(client.WithHost("unix://"+d.sock), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// cmdTimeout bounds every CLI call so a hung stream fails the test instead of the suite.
const cmdTimeout = 45 * time.Second

// result is what a CLI invocation produced.
type result struct {
	Stdout, Stderr string
	Code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
}

func runCmd(stdin io.Reader, env []string, bin string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Stdin = stdin
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() >= 0 {
			code = ee.ExitCode()
		} else {
			code = -1
			fmt.Fprintf(&errb, "\n[e2e: %s %s: %v]", bin, strings.Join(args, " "), err)
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintf(&errb, "\n[e2e: timed out after %s]", cmdTimeout)
	}
	return result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

func (d *daemon) dockerEnv() []string {
	return append(hostEnv(), "DOCKER_HOST=unix://"+d.sock, "DOCKER_CONFIG="+d.configDir, "DOCKER_CLI_HINTS=false")
}

func (d *daemon) berthEnv() []string {
	return append(hostEnv(), "BERTH_HOST=unix://"+d.sock)
}

// docker runs the docker CLI against this daemon.
func (d *daemon) docker(args ...string) (stdout, stderr string, code int) {
	r := runCmd(nil, d.dockerEnv(), dockerCLI, args...)
	return r.Stdout, r.Stderr, r.Code
}

// dockerIn is docker with stdin.
func (d *daemon) dockerIn(stdin io.Reader, args ...string) result {
	return runCmd(stdin, d.dockerEnv(), dockerCLI, args...)
}

// berth runs berth's own CLI against this daemon.
func (d *daemon) berth(args ...string) (stdout, stderr string, code int) {
	r := runCmd(nil, d.berthEnv(), berthBin(), args...)
	return r.Stdout, r.Stderr, r.Code
}

// dk runs docker and returns the whole result.
func (d *daemon) dk(args ...string) result {
	return runCmd(nil, d.dockerEnv(), dockerCLI, args...)
}

// must runs docker and fails the test unless it exits 0; it returns stdout.
func (d *daemon) must(t testing.TB, args ...string) string {
	t.Helper()
	r := d.dk(args...)
	if r.Code != 0 {
		t.Fatalf("docker %s: %s", strings.Join(args, " "), r)
	}
	return r.Stdout
}

// busybox imports the busybox base image (CMD ["sh"]) once per daemon and returns its name.
func (d *daemon) busybox(t testing.TB) string {
	t.Helper()
	d.bbOnce.Do(func() {
		r := d.dk("import", "-c", `CMD ["sh"]`, baseTar, "busybox:latest")
		if r.Code != 0 {
			d.bbErr = fmt.Errorf("docker import busybox: %s", r)
		}
	})
	if d.bbErr != nil {
		t.Fatal(d.bbErr)
	}
	return "busybox:latest"
}

// runD runs `docker run -d args...`, removes the container when t ends and returns its ID.
func (d *daemon) runD(t testing.TB, args ...string) string {
	t.Helper()
	out := d.must(t, append([]string{"run", "-d"}, args...)...)
	id := strings.TrimSpace(out)
	if id == "" {
		t.Fatalf("docker run -d %v printed no ID", args)
	}
	d.rmOnCleanup(t, id)
	return id
}

// rmOnCleanup removes the container (by name or ID) when t ends.
func (d *daemon) rmOnCleanup(t testing.TB, ctr string) {
	t.Cleanup(func() { d.docker("rm", "-f", ctr) })
}

// inspect runs `docker inspect -f FORMAT CTR` and returns the trimmed answer.
func (d *daemon) inspect(t testing.TB, ctr, format string) string {
	t.Helper()
	return strings.TrimSpace(d.must(t, "inspect", "-f", format, ctr))
}

// logTail returns the last n lines of the daemon's log.
func (d *daemon) logTail(n int) string {
	f, err := os.Open(d.logFile)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
