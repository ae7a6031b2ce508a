package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/moby/term"
	"golang.org/x/sys/unix"
)

const defaultDetachKeys = "ctrl-p,ctrl-q"

// streamOptions describes one hijacked attach/exec session.
type streamOptions struct {
	tty        bool
	stdin      bool // forward c.In() into the connection
	detachKeys string
}

// terminalState remembers what to restore after raw mode.
type terminalState struct {
	fd    uintptr
	state *term.State
}

func (t *terminalState) restore() {
	if t != nil && t.state != nil {
		_ = term.RestoreTerminal(t.fd, t.state)
	}
}

// makeRawStdin puts stdin into raw mode when it is a terminal.
func (c *Cli) makeRawStdin() *terminalState {
	fd, ok := fdOf(c.in)
	if !ok || !term.IsTerminal(fd) {
		return nil
	}
	st, err := term.SetRawTerminal(fd)
	if err != nil {
		return nil
	}
	return &terminalState{fd: fd, state: st}
}

// isTerminalOut reports whether stdout is a terminal.
func (c *Cli) isTerminalOut() bool {
	fd, ok := fdOf(c.out)
	return ok && term.IsTerminal(fd)
}

// isTerminalIn reports whether stdin is a terminal.
func (c *Cli) isTerminalIn() bool {
	fd, ok := fdOf(c.in)
	return ok && term.IsTerminal(fd)
}

// terminalSize returns (height, width) of stdout, or zeros.
func (c *Cli) terminalSize() (uint, uint) {
	fd, ok := fdOf(c.out)
	if !ok {
		return 0, 0
	}
	ws, err := term.GetWinsize(fd)
	if err != nil || ws == nil {
		return 0, 0
	}
	return uint(ws.Height), uint(ws.Width)
}

// streamHijacked copies stdin into resp and resp into stdout/stderr (demultiplexed unless tty).
// The returned channel yields once output has ended (nil), or a term.EscapeError on detach.
func (c *Cli) streamHijacked(ctx context.Context, resp client.HijackedResponse, o streamOptions) <-chan error {
	done := make(chan error, 1)
	var raw *terminalState
	if o.tty && o.stdin {
		raw = c.makeRawStdin()
	}
	var once sync.Once
	finish := func(err error) {
		once.Do(func() {
			raw.restore()
			done <- err
		})
	}

	go func() {
		var err error
		if o.tty {
			_, err = io.Copy(c.out, resp.Reader)
		} else {
			_, err = stdcopy.StdCopy(c.out, c.err, resp.Reader)
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
		finish(nil)
	}()

	if o.stdin {
		go func() {
			var in io.Reader = c.in
			if o.tty {
				keys := o.detachKeys
				if keys == "" {
					keys = defaultDetachKeys
				}
				if b, err := term.ToBytes(keys); err == nil {
					in = term.NewEscapeProxy(in, b)
				}
			}
			_, err := io.Copy(resp.Conn, in)
			var esc term.EscapeError
			if errors.As(err, &esc) {
				finish(esc)
				return
			}
			_ = resp.CloseWrite()
		}()
	}

	go func() {
		<-ctx.Done()
		finish(ctx.Err())
	}()
	return done
}

// monitorTTYSize sends the terminal size now and on every SIGWINCH.
func (c *Cli) monitorTTYSize(ctx context.Context, resize func(h, w uint)) {
	if h, w := c.terminalSize(); h > 0 || w > 0 {
		resize(h, w)
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				if h, w := c.terminalSize(); h > 0 || w > 0 {
					resize(h, w)
				}
			}
		}
	}()
}

// proxySignals forwards the signals the CLI receives to the container, as docker's
// --sig-proxy does. The returned function stops forwarding.
func proxySignals(ctx context.Context, api *client.Client, id string) func() {
	ch := make(chan os.Signal, 64)
	signal.Notify(ch)
	go func() {
		for s := range ch {
			sig, ok := s.(syscall.Signal)
			if !ok {
				continue
			}
			switch sig {
			case syscall.SIGCHLD, syscall.SIGPIPE, syscall.SIGWINCH, syscall.SIGURG:
				continue
			}
			name := unix.SignalName(sig)
			if name == "" {
				continue
			}
			_, _ = api.ContainerKill(context.WithoutCancel(ctx), id, client.ContainerKillOptions{Signal: name})
		}
	}()
	return func() {
		signal.Stop(ch)
		close(ch)
	}
}
