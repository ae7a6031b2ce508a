// Package api serves the Docker Engine API over HTTP: it decodes requests,
// calls the engine through Backend and encodes the answers the way dockerd
// does (statuses, headers, streams, hijacked connections).
package api

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Options configure a Server.
type Options struct {
	Version       string // berth's own version, for the Server header
	APIVersion    string // highest API version served; default MaxAPIVersion
	MinAPIVersion string // lowest API version served; default MinAPIVersion
	Logger        *slog.Logger
	// Observe, when set, is told every request's route pattern, status
	// and duration (the metrics endpoint's latency histogram).
	Observe func(method, route string, status int, d time.Duration)
}

// Server is the Engine API HTTP server.
type Server struct {
	backend Backend
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	srv     *http.Server

	// baseCtx is every request's parent: Shutdown cancels it so that
	// long-lived streams (events, logs -f, wait) end.
	baseCtx    context.Context
	cancelBase context.CancelFunc

	mu       sync.Mutex
	hijacked map[net.Conn]struct{}
}

// NewServer builds the server and its routes; nothing listens until Serve.
func NewServer(b Backend, opts Options) *Server {
	if opts.APIVersion == "" {
		opts.APIVersion = MaxAPIVersion
	}
	if opts.MinAPIVersion == "" {
		opts.MinAPIVersion = MinAPIVersion
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{backend: b, opts: opts, log: log, mux: http.NewServeMux(), hijacked: map[net.Conn]struct{}{}}
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	s.routes()
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.baseCtx },
	}
	return s
}

// Handler is the server's root handler (tests drive it with httptest).
func (s *Server) Handler() http.Handler { return s }

// Serve answers connections on l until Shutdown; it returns nil after a
// clean shutdown.
func (s *Server) Serve(l net.Listener) error {
	err := s.srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown ends streams and hijacked connections, then waits (up to ctx)
// for the remaining requests.
func (s *Server) Shutdown(ctx context.Context) error {
	s.cancelBase()
	s.mu.Lock()
	for c := range s.hijacked {
		c.Close()
	}
	s.mu.Unlock()
	return s.srv.Shutdown(ctx)
}

func (s *Server) trackConn(c net.Conn, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.hijacked[c] = struct{}{}
	} else {
		delete(s.hijacked, c)
	}
}

// ServeHTTP strips the /v1.NN prefix, checks the version, sets the headers
// every answer carries and dispatches to the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := &respWriter{ResponseWriter: w}
	h := rw.Header()
	h.Set("Api-Version", s.opts.APIVersion)
	h.Set("Server", "berth/"+s.opts.Version+" (linux)")
	h.Set("Ostype", "linux")

	start := time.Now()
	route := ""
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("api: panic in handler", "method", r.Method, "path", r.URL.Path, "panic", p)
			if !rw.started() {
				writeError(rw, r, errors.New("internal server error"))
			}
		}
		s.log.Debug("api: request", "method", r.Method, "path", r.URL.Path, "status", rw.status, "duration", time.Since(start))
		if s.opts.Observe != nil {
			s.opts.Observe(r.Method, route, rw.status, time.Since(start))
		}
	}()

	version, rest := splitVersion(r.URL.EscapedPath())
	if version != "" {
		r = withPath(r, rest)
	}
	_, route = s.mux.Handler(r)
	if route == "" {
		writeJSON(rw, http.StatusNotFound, errorBody("page not found"))
		return
	}
	if version != "" {
		if err := checkVersion(version, s.opts.MinAPIVersion, s.opts.APIVersion); err != nil {
			if compareVersions(version, "1.24") < 0 {
				// dockerd answers clients this old in plain text: they
				// would print a JSON error as is.
				http.Error(rw, err.Error(), http.StatusBadRequest)
				return
			}
			writeError(rw, r, err)
			return
		}
	} else {
		version = s.opts.APIVersion
	}
	r = r.WithContext(withVersion(r.Context(), version))
	s.mux.ServeHTTP(rw, r)
}

// withPath is r with its path replaced by the escaped path p.
func withPath(r *http.Request, p string) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.RawPath = p
	if unescaped, err := url.PathUnescape(p); err == nil {
		u.Path = unescaped
	} else {
		u.Path = p
	}
	if u.Path == p {
		u.RawPath = ""
	}
	r2.URL = &u
	return r2
}
