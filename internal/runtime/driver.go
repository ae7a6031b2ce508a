package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// Runtime drives an OCI runtime binary (runc or crun) with a given --root.
type Runtime struct {
	Name   string // "runc" or "crun"
	Binary string // absolute path
	Root   string // the runtime's state directory (--root)

	sealed *sealedExe // the binary's sealed copy, made on first use (sealed.go)
}

// New finds the runtime binary name ("" = Detect()) on PATH or in the
// usual sbin directories.
func New(name, root string) (*Runtime, error) {
	if name == "" {
		name = Detect()
	}
	bin, err := findBinary(name)
	if err != nil {
		return nil, errdefs.Invalid("OCI runtime %q not found: %v", name, err)
	}
	return &Runtime{Name: filepath.Base(name), Binary: bin, Root: root, sealed: newSealedExe(filepath.Base(name), root)}, nil
}

func findBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return filepath.Abs(p)
	}
	for _, dir := range []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// Detect picks "crun" when it is installed and can work on this host, else
// "runc". crun 1.8.1 refuses cgroup v1 hybrid hosts whose cgroup2 mount
// still has controllers ("cgroups in hybrid mode not supported, drop all
// controllers from cgroupv2"); reading that file is enough to tell.
func Detect() string {
	if _, err := findBinary("crun"); err != nil {
		return "runc"
	}
	if !cgroup2Unified() {
		data, err := os.ReadFile("/sys/fs/cgroup/unified/cgroup.controllers")
		if err == nil && strings.TrimSpace(string(data)) != "" {
			return "runc"
		}
	}
	return "crun"
}

// Error is a failure reported by the runtime binary itself.
type Error struct {
	Runtime string
	Args    []string
	Msg     string // the runtime's own message (last error line)
}

func (e *Error) Error() string { return e.Runtime + ": " + e.Msg }

func (r *Runtime) command(ctx context.Context, args ...string) *exec.Cmd {
	full := append([]string{"--root", r.Root, "--log-format", "json"}, args...)
	return r.Cmd(ctx, full...)
}

// run executes one runtime command and returns its stdout. Errors carry the
// runtime's message; a missing container is errdefs.NotFound.
func (r *Runtime) run(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := r.command(ctx, args...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := errorMessage(stderr.Bytes())
		if msg == "" {
			msg = err.Error()
		}
		rerr := &Error{Runtime: r.Name, Args: args, Msg: msg}
		if notFoundMessage(msg) {
			return nil, errdefs.As(errdefs.KindNotFound, rerr)
		}
		return nil, rerr
	}
	return stdout.Bytes(), nil
}

// errorMessage picks the last error message out of the runtime's log lines
// (JSON with --log-format json; plain text from older paths).
func errorMessage(log []byte) string {
	var last string
	for _, line := range bytes.Split(log, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var entry struct{ Level, Msg string }
		if json.Unmarshal(line, &entry) == nil && entry.Msg != "" {
			if entry.Level == "error" || entry.Level == "fatal" || entry.Level == "" {
				last = entry.Msg
			}
			continue
		}
		last = string(line)
	}
	return last
}

func notFoundMessage(msg string) bool {
	return strings.Contains(msg, "does not exist") ||
		(strings.Contains(msg, "error opening file") && strings.Contains(msg, "No such file or directory"))
}

// State is `state ID`.
func (r *Runtime) State(ctx context.Context, id string) (*specs.State, error) {
	out, err := r.run(ctx, nil, "state", id)
	if err != nil {
		return nil, err
	}
	var st specs.State
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, fmt.Errorf("%s state %s: %w", r.Name, id, err)
	}
	return &st, nil
}

// Kill is `kill [--all] ID SIGNAL`.
func (r *Runtime) Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error {
	args := []string{"kill"}
	if all {
		args = append(args, "--all")
	}
	_, err := r.run(ctx, nil, append(args, id, strconv.Itoa(int(sig)))...)
	return err
}

// Delete is `delete [--force] ID`.
func (r *Runtime) Delete(ctx context.Context, id string, force bool) error {
	args := []string{"delete"}
	if force {
		args = append(args, "--force")
	}
	_, err := r.run(ctx, nil, append(args, id)...)
	return err
}

// Pause freezes every process of the container.
func (r *Runtime) Pause(ctx context.Context, id string) error {
	_, err := r.run(ctx, nil, "pause", id)
	return err
}

// Resume thaws a paused container.
func (r *Runtime) Resume(ctx context.Context, id string) error {
	_, err := r.run(ctx, nil, "resume", id)
	return err
}

// Update changes a running container's resources (`update --resources -`).
func (r *Runtime) Update(ctx context.Context, id string, res *specs.LinuxResources) error {
	data, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = r.run(ctx, bytes.NewReader(data), "update", "--resources", "-", id)
	return err
}

// Ps lists the host pids of the container's processes.
func (r *Runtime) Ps(ctx context.Context, id string) ([]int, error) {
	out, err := r.run(ctx, nil, "ps", "--format", "json", id)
	if err != nil {
		return nil, err
	}
	var pids []int
	if err := json.Unmarshal(bytes.TrimSpace(out), &pids); err != nil {
		return nil, fmt.Errorf("%s ps %s: %w", r.Name, id, err)
	}
	return pids, nil
}

// CreateOptions are the stdio and files for `create`. Stdio must be real
// files (pipes, a PTY slave, /dev/null): the container's init keeps them.
type CreateOptions struct {
	Stdin, Stdout, Stderr *os.File
	ConsoleSocket         string
	PidFile               string
}

// Create is `create --bundle B [--console-socket S] [--pid-file P] ID`.
func (r *Runtime) Create(ctx context.Context, id, bundle string, opts CreateOptions) error {
	args := []string{"create", "--bundle", bundle}
	if opts.ConsoleSocket != "" {
		args = append(args, "--console-socket", opts.ConsoleSocket)
	}
	if opts.PidFile != "" {
		args = append(args, "--pid-file", opts.PidFile)
	}
	args = append(args, id)
	// runc's own log goes to a file so the container's stderr stays clean.
	logFile, err := os.CreateTemp("", "berth-runtime-log-")
	if err != nil {
		return err
	}
	defer os.Remove(logFile.Name())
	defer logFile.Close()
	full := append([]string{"--root", r.Root, "--log", logFile.Name(), "--log-format", "json"}, args...)
	cmd := r.Cmd(ctx, full...)
	// Only real files: a nil *os.File in an io.Reader is not "no stdin".
	if opts.Stdin != nil {
		cmd.Stdin = opts.Stdin
	}
	if opts.Stdout != nil {
		cmd.Stdout = opts.Stdout
	}
	if opts.Stderr != nil {
		cmd.Stderr = opts.Stderr
	}
	runErr := cmd.Run()
	if runErr == nil {
		return nil
	}
	data, _ := io.ReadAll(logFile)
	msg := errorMessage(data)
	if msg == "" {
		msg = runErr.Error()
	}
	return &Error{Runtime: r.Name, Args: args, Msg: msg}
}

// Start is `start ID`: runs the user process of a created container.
func (r *Runtime) Start(ctx context.Context, id string) error {
	_, err := r.run(ctx, nil, "start", id)
	return err
}

// IsNotFound reports a runtime error about a container that does not exist.
func IsNotFound(err error) bool {
	var re *Error
	return errdefs.IsNotFound(err) || (errors.As(err, &re) && notFoundMessage(re.Msg))
}
