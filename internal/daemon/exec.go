package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/api"
	"github.com/berth-dev/berth/internal/console"
	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/detachkeys"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/stdframe"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// execSession is one `exec`: created, then started once.
type execSession struct {
	mu          sync.Mutex
	id          string
	containerID string
	req         apicontainer.ExecCreateRequest
	started     bool
	running     bool
	exitCode    *int
	pid         int
	pty         *os.File // PTY master while a TTY exec runs
	// ptyDrained is closed when everything the process wrote to its PTY
	// has reached the client (the master read EIO after the last writer
	// closed its side).
	ptyDrained chan struct{}
}

// finish records the exit code and releases the PTY.
func (s *execSession) finish(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running = false
	s.exitCode = &code
	if s.pty != nil {
		s.pty.Close()
		s.pty = nil
	}
}

func (d *Daemon) ExecCreate(ctx context.Context, ref string, req *apicontainer.ExecCreateRequest) (string, error) {
	c, err := d.containers.Get(ref)
	if err != nil {
		return "", err
	}
	if req == nil || len(req.Cmd) == 0 {
		return "", errdefs.Invalid("No exec command specified")
	}
	if _, err := detachkeys.Parse(req.DetachKeys); err != nil {
		return "", errdefs.Invalid("Invalid escape keys (%s) provided", req.DetachKeys)
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	if !c.State.Running {
		return "", errdefs.Conflict("container %s is not running", c.ID)
	}
	if c.State.Paused {
		return "", errdefs.Conflict("container %s is paused, unpause the container before exec", c.ID)
	}
	s := &execSession{id: newID(), containerID: c.ID, req: *req}
	d.mu.Lock()
	d.execs[s.id] = s
	d.mu.Unlock()
	d.containerEvent(c, events.Action("exec_create: "+strings.Join(req.Cmd, " ")), map[string]string{"execID": s.id})
	return s.id, nil
}

func (d *Daemon) getExec(id string) (*execSession, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.execs[id]
	if !ok {
		return nil, errdefs.NotFound("No such exec instance: %s", id)
	}
	return s, nil
}

// execIDs lists c's exec sessions for inspect (nil when none, as Docker).
func (d *Daemon) execIDs(c *container.Container) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for id, s := range d.execs {
		if s.containerID == c.ID {
			ids = append(ids, id)
		}
	}
	return ids
}

func (d *Daemon) forgetExecs(c *container.Container) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, s := range d.execs {
		if s.containerID == c.ID {
			delete(d.execs, id)
		}
	}
}

// ExecStart runs the exec through the runtime's `exec`, streaming its stdio
// over the hijacked connection (or detached).
func (d *Daemon) ExecStart(ctx context.Context, execID string, detach bool, hijack api.Hijack) (err error) {
	s, err := d.getExec(execID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errdefs.Conflict("Error: Exec command %s has already run", execID)
	}
	s.started = true
	s.running = true
	s.mu.Unlock()
	// As dockerd: an exec that fails to start is over, with code 126 (not
	// "running" for ever).
	defer func() {
		if err != nil {
			s.mu.Lock()
			over := s.exitCode != nil
			s.mu.Unlock()
			if !over {
				s.finish(126)
			}
		}
	}()
	c, err := d.containers.Get(s.containerID)
	if err != nil {
		return err
	}
	c.Mu.Lock()
	running := c.State.Running
	c.Mu.Unlock()
	if !running {
		return errdefs.Conflict("container %s is not running", c.ID)
	}
	spec, err := d.loadSpec(c.ID)
	if err != nil {
		return err
	}
	tty := s.req.Tty
	var conn io.ReadWriteCloser
	if !detach {
		if conn, err = hijack(tty); err != nil {
			return err
		}
		defer conn.Close()
	}
	proc, err := runtime.ExecProcessSpec(spec, spec.Root.Path, &s.req, c.HostConfig.GroupAdd...)
	if err != nil {
		// An unknown user and the like: said on the stream once attached,
		// as dockerd does, and the exec ends with 126.
		s.finish(126)
		d.lockedEvent(c, events.Action("exec_die"), map[string]string{"execID": s.id, "exitCode": "126"})
		if conn == nil {
			return err
		}
		writeExecError(conn, tty, err.Error())
		return nil
	}
	d.containerEvent(c, events.Action("exec_start: "+strings.Join(s.req.Cmd, " ")), map[string]string{"execID": s.id})

	// runc hands over a PTY only when it detaches, so TTY execs detach
	// too; the daemon is a child subreaper and waits for the process
	// itself once the runtime has gone.
	dir, err := d.execScratchDir(tty)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	opts := runtime.ExecOptions{Detach: detach || tty, PidFile: filepath.Join(dir, "pid"), TempDir: d.execScratch()}
	var cs *console.Socket
	if tty {
		if cs, err = console.NewSocket(filepath.Join(dir, "pty.sock")); err != nil {
			return err
		}
		defer cs.Close()
		opts.ConsoleSocket = cs.Path()
	} else if conn != nil {
		if s.req.AttachStdin {
			// Hand the runtime a pipe, not the connection: os/exec would
			// wait for a copy from the connection to end, and a client
			// that keeps stdin open would then hold the exec open after
			// its process exited.
			pr, pw, err := os.Pipe()
			if err != nil {
				return err
			}
			defer pr.Close()
			defer pw.Close()
			go func() {
				io.Copy(pw, conn)
				pw.Close()
			}()
			opts.Stdin = pr
		}
		if s.req.AttachStdout {
			opts.Stdout = stdframe.NewWriter(conn, stdframe.Stdout)
		}
		if s.req.AttachStderr {
			opts.Stderr = stdframe.NewWriter(conn, stdframe.Stderr)
		}
	}
	p, err := d.runtimeFor(c).Exec(ctx, c.ID, proc, opts)
	if err != nil {
		return d.execFailed(s, c, conn, tty, err)
	}
	if cs != nil {
		// If the runtime fails before it hands over the PTY, stop
		// waiting for it: closing the socket ends ReceiveMaster.
		exited := make(chan struct{})
		go func() {
			p.Wait()
			select {
			case <-exited:
			case <-time.After(100 * time.Millisecond):
				cs.Close()
			}
		}()
		master, err := cs.ReceiveMaster()
		close(exited)
		if err != nil {
			if _, werr := p.Wait(); werr != nil {
				err = werr
			}
			return d.execFailed(s, c, conn, tty, err)
		}
		s.mu.Lock()
		s.pty = master
		s.mu.Unlock()
		if ws := s.req.ConsoleSize; ws != nil && ws[0] > 0 {
			console.SetSize(master, uint16(ws[0]), uint16(ws[1]))
		}
		if conn != nil {
			// As in Docker, the detach keys (ctrl-p,ctrl-q unless the
			// exec names others) end a TTY session and leave the process
			// running; its output is then read and dropped, so it never
			// blocks on a full terminal.
			keys, _ := detachkeys.Parse(s.req.DetachKeys) // checked at create
			detached := make(chan struct{})
			go func() {
				_, err := io.Copy(master, detachkeys.NewReader(conn, keys))
				if errors.Is(err, detachkeys.ErrDetached) {
					close(detached)
					d.containerEvent(c, events.ActionExecDetach, map[string]string{"execID": s.id})
					conn.Close()
				}
			}()
			drained := make(chan struct{})
			s.mu.Lock()
			s.ptyDrained = drained
			s.mu.Unlock()
			go func() {
				io.Copy(conn, master)
				close(drained)
				select {
				case <-detached:
					io.Copy(io.Discard, master)
				default:
				}
			}()
		}
	}
	if opts.Detach {
		// The runtime exits once the process runs; its failure to start
		// the process shows here.
		if _, err := p.Wait(); err != nil {
			return d.execFailed(s, c, conn, tty, err)
		}
	}
	pid := p.Pid()
	s.mu.Lock()
	s.pid = pid
	s.mu.Unlock()
	wait := p.Wait
	if opts.Detach {
		wait = func() (int, error) { return waitReparented(pid) }
	}
	if detach {
		go d.finishExec(s, c, wait, nil, false)
		return nil
	}
	d.finishExec(s, c, wait, conn, tty)
	return nil
}

// waitReparented waits for a process the runtime started detached: when
// the runtime exited, the process was re-parented to the daemon (a child
// subreaper), so wait4 collects its status.
func waitReparented(pid int) (int, error) {
	if pid <= 0 {
		return 126, errdefs.Invalid("exec process has no pid")
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 126, err
		}
		break
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ws.ExitStatus(), nil
}

// finishExec waits for the exec and records its exit code. A runtime
// failure (command not found, not executable) becomes 127/126 with the
// message written into the stream, as Docker reports it.
func (d *Daemon) finishExec(s *execSession, c *container.Container, wait func() (int, error), conn io.Writer, tty bool) {
	code, err := wait()
	if err != nil {
		d.execFailed(s, c, conn, tty, err)
		return
	}
	// The process is gone but its last output may still sit in the PTY:
	// closing the master now would drop it. A background child that
	// still holds the terminal must not keep the exec open, hence the cap.
	s.mu.Lock()
	drained := s.ptyDrained
	s.mu.Unlock()
	if drained != nil {
		select {
		case <-drained:
		case <-time.After(2 * time.Second):
		}
	}
	s.finish(code)
	d.containerEvent(c, events.Action("exec_die"), map[string]string{"execID": s.id, "exitCode": itoa(code)})
}

// execFailed records a runtime failure the way Docker reports it: the exit
// code says not found (127) or not executable (126), and the message goes
// into the stream when a client is attached. Returns an error only for the
// case where no stream exists yet to carry the message.
func (d *Daemon) execFailed(s *execSession, c *container.Container, conn io.Writer, tty bool, err error) error {
	code := runtime.StartFailureExitCode(err.Error())
	if code == 125 {
		code = 126
	}
	go reapOrphansSoon() // the runtime's child for this exec (orphans.go)
	s.finish(code)
	d.containerEvent(c, events.Action("exec_die"), map[string]string{"execID": s.id, "exitCode": itoa(code)})
	msg := "OCI runtime exec failed: " + err.Error() + ": unknown"
	if conn == nil {
		return errdefs.Invalid("%s", msg)
	}
	writeExecError(conn, tty, msg)
	return nil
}

// writeExecError tells an attached exec client why its command did not
// start: raw on a TTY, else in a stdout frame.
func writeExecError(conn io.Writer, tty bool, msg string) {
	if tty {
		conn.Write([]byte(msg + "\r\n"))
		return
	}
	stdframe.NewWriter(conn, stdframe.Stdout).Write([]byte(msg + "\r\n"))
}

func (d *Daemon) ExecResize(ctx context.Context, execID string, height, width uint) error {
	s, err := d.getExec(execID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pty == nil {
		return errdefs.Conflict("exec %s is not running with a TTY", execID)
	}
	return console.SetSize(s.pty, uint16(height), uint16(width))
}

func (d *Daemon) ExecInspect(ctx context.Context, execID string) (*apicontainer.ExecInspectResponse, error) {
	s, err := d.getExec(execID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &apicontainer.ExecInspectResponse{
		ID: s.id, Running: s.running, ExitCode: s.exitCode, ContainerID: s.containerID,
		OpenStdin: s.req.AttachStdin, OpenStdout: s.req.AttachStdout, OpenStderr: s.req.AttachStderr,
		Pid: s.pid,
		ProcessConfig: &apicontainer.ExecProcessConfig{
			Tty: s.req.Tty, Entrypoint: s.req.Cmd[0], Arguments: s.req.Cmd[1:], User: s.req.User,
			Privileged: &s.req.Privileged,
		},
	}
	if s.req.DetachKeys != "" {
		r.DetachKeys, _ = detachkeys.Parse(s.req.DetachKeys)
	}
	return r, nil
}

// loadSpec reads the running container's OCI spec from its bundle.
func (d *Daemon) loadSpec(id string) (*specs.Spec, error) {
	b, err := os.ReadFile(filepath.Join(d.bundleDir(id), "config.json"))
	if err != nil {
		return nil, err
	}
	var spec specs.Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, err
	}
	return &spec, nil
}

// execScratch holds the scratch directories of running execs.
func (d *Daemon) execScratch() string { return filepath.Join(d.cfg.ExecRoot, "exec") }

// execScratchDir makes one exec's scratch directory. A TTY exec's console
// socket lives there too, and a socket path must fit in 108 bytes: with a
// long exec root it goes to the system's temp dir instead.
func (d *Daemon) execScratchDir(tty bool) (string, error) {
	const socketTail = len("/berth-exec-4294967295/pty.sock")
	if tty && len(d.execScratch())+socketTail >= 108 {
		return os.MkdirTemp("", "berth-exec-")
	}
	return os.MkdirTemp(d.execScratch(), "berth-exec-")
}
