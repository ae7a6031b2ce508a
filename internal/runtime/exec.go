package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// ExecOptions are the stdio and files of an exec'd process.
type ExecOptions struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	ConsoleSocket  string // receives the PTY master when proc.Terminal
	PidFile        string // "" = a private one (Pid still works)
	Detach         bool   // the runtime returns once the process runs
	TempDir        string // where process.json and the runtime's log go ("" = the system's)
}

// ExecProcess is a running `RUNTIME exec`.
type ExecProcess struct {
	cmd     *exec.Cmd
	dir     string // process.json, the runtime's log and the default pid file
	pidFile string
	pid     atomic.Int64 // read at Wait, before a private pid file goes

	once     sync.Once
	exitCode int
	err      error
}

// ExecError is the runtime failing to run the process at all (for example
// `exec: "x": executable file not found in $PATH`), as opposed to the
// process exiting non-zero.
type ExecError struct {
	Runtime string
	Msg     string
}

func (e *ExecError) Error() string { return e.Msg }

// StartFailureExitCode is the exit code Docker reports for an exec or run
// whose command could not be started: 127 when it does not exist, 126 when
// it cannot be invoked, 125 for other runtime failures.
func StartFailureExitCode(msg string) int {
	msg = strings.ToLower(DockerMessage(msg))
	switch {
	case strings.Contains(msg, "executable file not found"), strings.Contains(msg, "no such file or directory"):
		return 127
	case strings.Contains(msg, "permission denied"), strings.Contains(msg, "is a directory"), strings.Contains(msg, "exec format error"):
		return 126
	}
	return 125
}

// crunNotFound matches crun's wording for a missing command.
var crunNotFound = regexp.MustCompile("executable file `([^`]*)` not found in \\$PATH(: No such file or directory)?")

// DockerMessage rewrites a runtime's start failure into runc's wording,
// which the docker CLI (and users' scripts) match to pick exit code 127.
func DockerMessage(msg string) string {
	msg = crunNotFound.ReplaceAllString(msg, `exec: "$1": executable file not found in $$PATH`)
	return strings.ReplaceAll(msg, ": Permission denied", ": permission denied")
}

// Exec runs `exec --process F [--console-socket S] [--pid-file P] [--detach] ID`.
// Without Detach the runtime stays as the process's parent and its exit code
// is the process's; Wait tells the two kinds of failure apart from the
// runtime's log file. The runtime also prints its own failure on the
// process's stderr (it cannot help it: it shares the fd).
func (r *Runtime) Exec(ctx context.Context, id string, proc *specs.Process, opts ExecOptions) (*ExecProcess, error) {
	dir, err := os.MkdirTemp(opts.TempDir, "berth-exec-")
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(proc)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "process.json"), data, 0o600)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	pidFile := opts.PidFile
	if pidFile == "" {
		pidFile = filepath.Join(dir, "pid")
	}
	args := []string{"--root", r.Root, "--log", filepath.Join(dir, "log.json"), "--log-format", "json",
		"exec", "--process", filepath.Join(dir, "process.json"), "--pid-file", pidFile}
	if opts.ConsoleSocket != "" {
		args = append(args, "--console-socket", opts.ConsoleSocket)
	}
	if opts.Detach {
		args = append(args, "--detach")
	}
	args = append(args, id)

	// Not CommandContext: killing the runtime mid-exec would orphan the
	// process; ctx only bounds the start.
	if err := ctx.Err(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := r.Cmd(context.Background(), args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = opts.Stdin, opts.Stdout, opts.Stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &ExecProcess{cmd: cmd, dir: dir, pidFile: pidFile}, nil
}

// Wait waits for the runtime to exit. It returns the process's exit code
// (0 for a detached exec once started); err is an *ExecError when the
// runtime itself failed (exitCode is then the runtime's own status).
func (p *ExecProcess) Wait() (int, error) {
	p.once.Do(func() {
		defer os.RemoveAll(p.dir)
		waitErr := p.cmd.Wait()
		p.pid.Store(int64(p.readPid())) // a private pid file goes with the dir
		p.exitCode = 0
		var ee *exec.ExitError
		switch {
		case waitErr == nil:
		case errors.As(waitErr, &ee):
			p.exitCode = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				// The runtime itself was killed: report it the shell's way.
				p.exitCode = 128 + int(ws.Signal())
			}
		default:
			p.err = waitErr
			return
		}
		if data, err := os.ReadFile(filepath.Join(p.dir, "log.json")); err == nil {
			if msg := errorMessage(data); msg != "" {
				p.err = &ExecError{Runtime: filepath.Base(p.cmd.Path), Msg: DockerMessage(msg)}
			}
		}
	})
	return p.exitCode, p.err
}

// Pid is the process's host pid once the runtime has written it, else 0.
func (p *ExecProcess) Pid() int {
	if pid := p.pid.Load(); pid > 0 {
		return int(pid)
	}
	return p.readPid()
}

func (p *ExecProcess) readPid() int {
	data, err := os.ReadFile(p.pidFile)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return n
}
