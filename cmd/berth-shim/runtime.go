package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/berth-dev/berth/internal/shimproto"
	"golang.org/x/sys/unix"
)

// runtimeLog is where the runtime writes its JSON log; its last "error"
// entry becomes the error message (the container's stderr is not ours to read).
const runtimeLog = "runtime.log"

// runRuntime runs `<runtime> --root R [args] --log L --log-format json <sub...>`
// with the given stdio fds and waits for it. The loop is blocked meanwhile:
// runtime commands are short and nothing else needs the shim while they run.
func (s *shim) runRuntime(stdio [3]uintptr, sub ...string) error {
	logPath := filepath.Join(s.dir, runtimeLog)
	_ = os.Truncate(logPath, 0)
	argv := []string{s.cfg.Runtime, "--root", s.cfg.RuntimeRoot}
	argv = append(argv, s.cfg.RuntimeArgs...)
	argv = append(argv, "--log", logPath, "--log-format", "json")
	argv = append(argv, sub...)
	pid, err := syscall.ForkExec(s.cfg.Runtime, argv, &syscall.ProcAttr{
		Env:   shimproto.WithoutShimRuntimeEnv(os.Environ()),
		Files: stdio[:],
	})
	if err != nil {
		return errors.New(s.cfg.Runtime + ": " + err.Error())
	}
	var ws unix.WaitStatus
	for {
		_, err = unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return errors.New(sub[0] + ": wait for runtime: " + err.Error())
	}
	if ws.Exited() && ws.ExitStatus() == 0 {
		return nil
	}
	if msg := lastRuntimeError(logPath); msg != "" {
		return errors.New(msg)
	}
	if ws.Signaled() {
		return errors.New(sub[0] + ": runtime killed by signal " + strconv.Itoa(int(ws.Signal())))
	}
	return errors.New(sub[0] + ": runtime exited with status " + strconv.Itoa(ws.ExitStatus()))
}

// lastRuntimeError returns the msg of the last error-level entry of the
// runtime's JSON log (runc and crun both write {"level":"error","msg":...}).
func lastRuntimeError(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	msg := ""
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		fields, ok := flatJSONStrings(line)
		if !ok {
			continue
		}
		if l := fields["level"]; l == "error" || l == "fatal" {
			msg = fields["msg"]
		}
	}
	return msg
}

func (s *shim) nullStdio() [3]uintptr {
	fd := uintptr(s.devnull)
	return [3]uintptr{fd, fd, fd}
}

// readPidFile reads the pid the runtime wrote.
func readPidFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(bytes.TrimSpace(data)))
}
