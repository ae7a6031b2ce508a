// Response helpers: JSON bodies, Docker's error answers and a ResponseWriter
// that remembers whether the answer has started (after which errors can no
// longer change the status).

package api

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"net/http"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/common"
)

// apiFunc is a route handler: it returns an error instead of writing one.
type apiFunc func(w *respWriter, r *http.Request) error

// respWriter tracks the status written and whether the connection was
// hijacked; it passes Flush and Hijack through.
type respWriter struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (w *respWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// started reports whether a status line went out (or the conn was taken).
func (w *respWriter) started() bool { return w.status != 0 || w.hijacked }

// Flush sends what is buffered; streams call it after each message.
func (w *respWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *respWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the connection cannot be hijacked")
	}
	c, brw, err := h.Hijack()
	if err == nil {
		w.hijacked = true
	}
	return c, brw, err
}

func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func errorBody(msg string) common.ErrorResponse { return common.ErrorResponse{Message: msg} }

// writeJSON writes v with status code, HTML characters unescaped as dockerd.
func writeJSON(w http.ResponseWriter, code int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeError answers err with its errdefs status: {"message": ...}, no body
// for HEAD requests and 304s.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := errdefs.HTTPStatus(err)
	if code == http.StatusNotModified {
		w.WriteHeader(code)
		return
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(code)
		return
	}
	_ = writeJSON(w, code, errorBody(err.Error()))
}

// handle adapts an apiFunc: an error returned before the answer started
// becomes Docker's error response; after that it can only be logged.
func (s *Server) handle(f apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rw, ok := w.(*respWriter)
		if !ok {
			rw = &respWriter{ResponseWriter: w}
		}
		err := f(rw, r)
		if err == nil {
			return
		}
		if rw.started() {
			s.log.Debug("api: error after the answer started", "method", r.Method, "path", r.URL.Path, "err", err)
			return
		}
		if errdefs.HTTPStatus(err) >= 500 {
			s.log.Error("api: handler failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		writeError(rw, r, err)
	}
}

// noContent is the 204 answer of the lifecycle routes.
func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}
