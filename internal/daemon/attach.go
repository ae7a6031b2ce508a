package daemon

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/api"
	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/detachkeys"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/logs"
	"github.com/berth-dev/berth/internal/shimclient"
	"github.com/berth-dev/berth/internal/stdframe"
	"github.com/moby/moby/api/types/events"
)

// pendingAttach is a client attached to a container that has not started
// yet (docker run attaches before it starts). It is registered before the
// client gets its upgrade answer (the client starts the container right
// after), and start connects it to the shim before the process runs, so no
// early output is lost.
type pendingAttach struct {
	opts  api.AttachOptions
	ready chan struct{} // closed once the hijack is done and file is set
	gone  bool          // the hijack failed: nobody waits for this attach
	file  *os.File      // the client's connection, when it can be handed to the shim
	shim  chan net.Conn // receives the shim connection to relay, or is closed
}

// ContainerAttach streams the container's stdio over the hijacked
// connection. An output-only stream is handed to the shim itself (the
// client's descriptor passed over the shim socket), so container output
// reaches the client without a copy through the daemon; streams with stdin
// are relayed, which is also where the detach keys are watched.
func (d *Daemon) ContainerAttach(ctx context.Context, ref string, opts api.AttachOptions, hijack api.Hijack) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	keys, err := detachkeys.Parse(opts.DetachKeys)
	if err != nil {
		return errdefs.Invalid("Invalid detach keys (%s) provided", opts.DetachKeys)
	}
	c.Mu.Lock()
	tty, paused, running := c.Config.Tty, c.State.Paused, c.State.Running
	if !c.Config.OpenStdin {
		opts.Stdin = false
	}
	var pending *pendingAttach
	if !paused && !running && opts.Stream {
		pending = &pendingAttach{opts: opts, ready: make(chan struct{}), shim: make(chan net.Conn, 1)}
		d.mu.Lock()
		d.attaches[c.ID] = append(d.attaches[c.ID], pending)
		d.mu.Unlock()
	}
	c.Mu.Unlock()
	if paused {
		return errdefs.Conflict("You cannot attach to a paused container, unpause it first")
	}
	conn, err := hijack(tty)
	if err != nil {
		if pending != nil {
			d.dropPendingAttach(c.ID, pending)
			pending.gone = true
			close(pending.ready)
		}
		return err
	}
	// Closing our descriptor leaves a stream handed to the shim open.
	defer conn.Close()
	d.containerEvent(c, events.ActionAttach, nil)
	replay := opts.Logs && (opts.Stdout || opts.Stderr)
	if replay && pending != nil {
		// A start waits for ready while it holds the container's lock:
		// never for the replay, which goes at the client's pace. The
		// stream is relayed (no descriptor for the shim), and the shim
		// holds the container's output back until the replay is done.
		close(pending.ready)
	}
	if replay {
		// As dockerd: what the log holds first, then the live stream.
		// Output written between the two may show twice or not at all.
		d.replayLog(ctx, c.ID, conn, tty, opts)
	}
	if !opts.Stream {
		return nil
	}
	var file *os.File
	if fc, ok := conn.(interface{ File() (*os.File, error) }); ok && !opts.Stdin && !(replay && pending != nil) {
		if f, err := fc.File(); err == nil {
			file = f
			defer f.Close()
		}
	}

	if pending == nil {
		bundle := d.bundleDir(c.ID)
		if file != nil && shimclient.AttachFd(ctx, bundle, file, opts.Stdout, opts.Stderr) == nil {
			return nil
		}
		shimConn, err := shimclient.Attach(ctx, bundle, opts.Stdin, opts.Stdout, opts.Stderr)
		if err != nil {
			return err
		}
		d.relayAttach(c, conn, shimConn, opts.Stdin, keys)
		return nil
	}
	if !replay {
		pending.file = file
		close(pending.ready)
	}
	var shimConn net.Conn
	select {
	case shimConn = <-pending.shim:
	case <-ctx.Done():
		d.dropPendingAttach(c.ID, pending)
		return nil
	}
	if shimConn != nil { // nil: handed to the shim, or the start failed
		d.relayAttach(c, conn, shimConn, opts.Stdin, keys)
	}
	return nil
}

func (d *Daemon) relayAttach(c *container.Container, client io.ReadWriteCloser, shim net.Conn, stdin bool, keys []byte) {
	if pipeAttach(client, shim, stdin, keys) {
		d.containerEvent(c, events.ActionDetach, nil)
	}
}

func (d *Daemon) dropPendingAttach(id string, p *pendingAttach) {
	if p == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	list := d.attaches[id]
	for i, x := range list {
		if x == p {
			d.attaches[id] = append(list[:i], list[i+1:]...)
			break
		}
	}
}

// connectPendingAttaches hands every waiting attach client to the shim, or
// a shim connection to relay. Called by start between the shim's create and
// start.
func (d *Daemon) connectPendingAttaches(c *container.Container) {
	d.mu.Lock()
	list := d.attaches[c.ID]
	delete(d.attaches, c.ID)
	d.mu.Unlock()
	ctx := context.Background()
	bundle := d.bundleDir(c.ID)
	for _, p := range list {
		// The client's upgrade answer may still be on its way.
		select {
		case <-p.ready:
		case <-time.After(5 * time.Second):
			close(p.shim)
			continue
		}
		if p.gone {
			continue
		}
		if p.file != nil && shimclient.AttachFd(ctx, bundle, p.file, p.opts.Stdout, p.opts.Stderr) == nil {
			close(p.shim)
			continue
		}
		conn, err := shimclient.Attach(ctx, bundle, p.opts.Stdin, p.opts.Stdout, p.opts.Stderr)
		if err != nil {
			d.log.Warn("attaching to shim", "id", c.ID, "err", err)
			close(p.shim)
			continue
		}
		p.shim <- conn
	}
}

// failPendingAttaches ends the attach clients waiting for a start that
// failed, so `docker run` reports the error instead of hanging.
func (d *Daemon) failPendingAttaches(id string) {
	d.mu.Lock()
	list := d.attaches[id]
	delete(d.attaches, id)
	d.mu.Unlock()
	for _, p := range list {
		close(p.shim)
	}
}

// pipeAttach copies the shim's output to the client until the container's
// output ends, and the client's input to the shim. When the client's input
// ends, the shim is told by a half-close (it closes the container's stdin
// for StdinOnce containers). Typing the detach keys ends the attach and
// leaves the container running; it reports whether that happened.
func pipeAttach(client io.ReadWriteCloser, shim net.Conn, stdin bool, keys []byte) (detached bool) {
	var wg sync.WaitGroup
	if stdin {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := io.Copy(shim, detachkeys.NewReader(client, keys))
			if errors.Is(err, detachkeys.ErrDetached) {
				detached = true
				shim.Close()
				return
			}
			if cw, ok := shim.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
		}()
	}
	io.Copy(client, shim)
	shim.Close()
	if cw, ok := client.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	client.Close()
	wg.Wait()
	return detached
}

func (d *Daemon) ContainerResize(ctx context.Context, ref string, height, width uint) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	c.Mu.Lock()
	running := c.State.Running
	c.Mu.Unlock()
	if !running {
		return errdefs.Conflict("Container %s is not running", c.ID)
	}
	if err := shimclient.Resize(ctx, d.bundleDir(c.ID), height, width); err != nil {
		return err
	}
	d.containerEvent(c, events.ActionResize, map[string]string{"height": itoa(int(height)), "width": itoa(int(width))})
	return nil
}

// ContainerLogs reads the json-file log; with Follow it keeps going until
// the container stops.
func (d *Daemon) ContainerLogs(ctx context.Context, ref string, opts api.LogsOptions, start func(tty bool) error, emit func(api.LogMessage) error) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	if !opts.Stdout && !opts.Stderr {
		return errdefs.Invalid("Bad parameters: you must choose at least one stream")
	}
	c.Mu.Lock()
	tty := c.Config.Tty
	path := c.LogPath
	driver := c.HostConfig.LogConfig.Type
	done := c.Done
	if !c.State.Running && !c.State.Restarting {
		done = closedChan
	}
	c.Mu.Unlock()
	if driver == "none" || path == "" {
		return errdefs.NotImplemented("configured logging driver does not support reading")
	}
	if err := start(tty); err != nil {
		return err
	}
	if done == nil {
		done = closedChan
	}
	return logs.Read(ctx, path, logs.ReadConfig{Tail: opts.Tail, Since: opts.Since, Until: opts.Until, Follow: opts.Follow, Done: done},
		func(m logs.Message) error {
			if (m.Stream == "stdout" && !opts.Stdout) || (m.Stream == "stderr" && !opts.Stderr) {
				return nil
			}
			return emit(api.LogMessage{Stream: m.Stream, Line: m.Line, Time: m.Time, Attrs: m.Attrs})
		})
}

// replayLog writes the container's log to an attach stream, framed unless
// the container has a TTY. A container without a readable log (driver
// none) replays nothing, as in Docker.
func (d *Daemon) replayLog(ctx context.Context, id string, conn io.Writer, tty bool, opts api.AttachOptions) {
	out, errOut := io.Writer(conn), io.Writer(conn)
	if !tty {
		out, errOut = stdframe.NewWriter(conn, stdframe.Stdout), stdframe.NewWriter(conn, stdframe.Stderr)
	}
	// Up to now: what a container started meanwhile writes comes by the
	// live stream, not twice.
	err := d.ContainerLogs(ctx, id, api.LogsOptions{Stdout: opts.Stdout, Stderr: opts.Stderr, Tail: -1, Until: time.Now()},
		func(bool) error { return nil },
		func(m api.LogMessage) error {
			w := out
			if m.Stream == "stderr" {
				w = errOut
			}
			_, err := w.Write(m.Line)
			return err
		})
	if err != nil && errdefs.KindOf(err) != errdefs.KindNotImplemented {
		d.log.Debug("attach: replaying the log", "id", id, "err", err)
	}
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()
