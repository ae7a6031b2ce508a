package cli

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/moby/moby/client"
)

// StatusError carries an exit code and, optionally, the message to print.
type StatusError struct {
	Status     string
	StatusCode int
	Cause      error
}

func (e StatusError) Error() string {
	if e.Status != "" {
		return e.Status
	}
	if e.Cause != nil {
		return e.Cause.Error()
	}
	return fmt.Sprintf("exit status %d", e.StatusCode)
}

func (e StatusError) Unwrap() error { return e.Cause }

// withHelp formats an error the way docker run/create do.
func withHelp(err error, command string) string {
	return fmt.Sprintf("berth: %s\n\nRun 'berth %s --help' for more information", err, command)
}

// toStatusError maps a create/start failure to docker's exit codes: 127 when the command was
// not found, 126 when it could not be invoked, 125 for any other daemon or CLI failure.
func toStatusError(err error, command string) error {
	msg := err.Error()
	code := 125
	switch {
	case client.IsErrConnectionFailed(err):
		// the daemon is unreachable: not the container's fault, whatever the dial error says
	case strings.Contains(msg, "executable file not found"),
		strings.Contains(msg, "no such file or directory"),
		strings.Contains(msg, "system cannot find the file specified"):
		code = 127
	case strings.Contains(msg, syscall.EACCES.Error()), strings.Contains(msg, syscall.EISDIR.Error()):
		code = 126
	}
	return StatusError{Status: withHelp(err, command), StatusCode: code, Cause: err}
}

// exitCode returns the process exit code for err and the message to print (may be empty).
func exitCode(err error) (int, string) {
	var se StatusError
	if errors.As(err, &se) {
		code := se.StatusCode
		if code == 0 {
			code = 1
		}
		if se.Status == "" && se.Cause != nil {
			return code, se.Cause.Error()
		}
		return code, se.Status
	}
	return 1, err.Error()
}
