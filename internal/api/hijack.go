// Hijacked streams (attach, exec start): the 101/200 answer dockerd writes
// by hand and a connection that first drains what the HTTP server had
// already buffered from the client.

package api

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	"github.com/moby/moby/api/types"
)

// hijackState is one request's Hijack and what it produced.
type hijackState struct {
	s    *Server
	w    *respWriter
	r    *http.Request
	conn *hijackedConn
	tty  bool
}

func (s *Server) newHijack(w *respWriter, r *http.Request) *hijackState {
	return &hijackState{s: s, w: w, r: r}
}

// hijack implements Hijack: it takes the connection and writes the answer
// header. With "Upgrade: tcp" it is "101 UPGRADED" (multiplexed content
// type for non-TTY streams from API 1.42); otherwise a plain 200 with the
// raw-stream type, as dockerd.
func (h *hijackState) hijack(tty bool) (io.ReadWriteCloser, error) {
	if h.conn != nil {
		return nil, errors.New("connection already hijacked")
	}
	c, brw, err := h.w.Hijack()
	if err != nil {
		return nil, err
	}
	contentType := types.MediaTypeRawStream
	status := "200 OK"
	var extra string
	if _, upgrade := h.r.Header["Upgrade"]; upgrade {
		status = "101 UPGRADED"
		extra = "Connection: Upgrade\r\nUpgrade: tcp\r\n"
		if !tty && versionAtLeast(h.r, "1.42") {
			contentType = types.MediaTypeMultiplexedStream
		}
	}
	hdr := fmt.Sprintf("HTTP/1.1 %s\r\nContent-Type: %s\r\n%s", status, contentType, extra)
	for _, k := range []string{"Api-Version", "Ostype", "Server"} {
		hdr += k + ": " + h.w.Header().Get(k) + "\r\n"
	}
	if _, err := io.WriteString(c, hdr+"\r\n"); err != nil {
		c.Close()
		return nil, err
	}
	hc := &hijackedConn{Conn: c, s: h.s}
	if brw.Reader.Buffered() > 0 {
		hc.buf = brw.Reader
	}
	h.s.trackConn(c, true)
	h.conn, h.tty = hc, tty
	return hc, nil
}

// finish closes the hijacked connection once the handler is done; an error
// that came after the hijack is written into the stream first, as text
// (framed as stdout on a multiplexed stream), as dockerd does for exec.
func (h *hijackState) finish(err error, report bool) {
	if h.conn == nil {
		return
	}
	if err != nil && report {
		msg := []byte(err.Error() + "\r\n")
		if !h.tty {
			msg = frame(1, msg)
		}
		h.conn.Write(msg)
	}
	if err != nil {
		h.s.log.Debug("api: hijacked stream ended with an error", "path", h.r.URL.Path, "err", err)
	}
	h.conn.Close()
}

// hijackedConn reads the bytes the HTTP server had buffered before the
// connection itself. CloseWrite half-closes toward the client; a client's
// own half-close reaches the backend as EOF on Read.
type hijackedConn struct {
	net.Conn
	s   *Server
	buf *bufio.Reader
}

func (c *hijackedConn) Read(p []byte) (int, error) {
	if c.buf != nil {
		if c.buf.Buffered() > 0 {
			return c.buf.Read(p)
		}
		c.buf = nil
	}
	return c.Conn.Read(p)
}

func (c *hijackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}

func (c *hijackedConn) Close() error {
	c.s.trackConn(c.Conn, false)
	return c.Conn.Close()
}

// File returns a duplicate of the connection's descriptor, so the backend
// can hand the stream to another process (the shim writes container output
// straight to the client). It refuses while bytes the client sent are still
// buffered here: those would be lost.
func (c *hijackedConn) File() (*os.File, error) {
	if c.buf != nil && c.buf.Buffered() > 0 {
		return nil, errors.New("hijacked connection has buffered input")
	}
	fc, ok := c.Conn.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, errors.New("connection has no file descriptor")
	}
	return fc.File()
}
