// Package server serves the OCI distribution spec v1.1 (the Docker registry HTTP API v2)
// over a storage.Store: pulls, monolithic/chunked/streamed pushes, cross-repository
// mounts, tags with pagination, referrers and deletes, with optional auth.
package server

import (
	"log"
	"net/http"

	"github.com/berth-dev/berth/internal/registry/auth"
	"github.com/berth-dev/berth/internal/registry/storage"
)

// Options configure a Server.
type Options struct {
	Auth     auth.Authorizer // nil: no auth
	Token    http.Handler    // the token endpoint, served at TokenPath when not nil
	ReadOnly bool
	Logger   *log.Logger // server errors (5xx); nil: discarded
}

// TokenPath is where the registry serves its own token endpoint.
const TokenPath = "/token"

// Server is the registry's http.Handler.
type Server struct {
	store   *storage.Store
	uploads *storage.Uploads
	opts    Options
}

// New returns a handler serving store.
func New(store *storage.Store, opts Options) *Server {
	return &Server{store: store, uploads: storage.NewUploads(store), opts: opts}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if r.URL.Path == TokenPath && s.opts.Token != nil {
		s.opts.Token.ServeHTTP(w, r)
		return
	}
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "page not found")
		return
	}
	if rt.name != "" && !storage.ValidName(rt.name) {
		writeError(w, http.StatusBadRequest, "NAME_INVALID", "invalid repository name")
		return
	}
	if s.opts.Auth != nil {
		if err := s.opts.Auth.Authorize(r, needs(rt, r.Method)); err != nil {
			if c, ok := err.(*auth.Challenge); ok {
				w.Header().Set("WWW-Authenticate", c.Header)
				writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", c.Message)
				return
			}
			writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", err.Error())
			return
		}
	}
	if s.opts.ReadOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "the registry is in read-only mode")
		return
	}
	switch rt.kind {
	case "base":
		s.base(w, r)
	case "catalog":
		s.catalog(w, r)
	case "blob":
		s.blob(w, r, rt)
	case "uploads":
		s.startUpload(w, r, rt)
	case "upload":
		s.upload(w, r, rt)
	case "manifest":
		s.manifest(w, r, rt)
	case "tags":
		s.tags(w, r, rt)
	case "referrers":
		s.referrers(w, r, rt)
	}
}

// needs is the access a request asks for, in token scope terms.
func needs(rt route, method string) []auth.Access {
	switch rt.kind {
	case "base":
		return nil
	case "catalog":
		return []auth.Access{{Type: "registry", Name: "catalog", Action: "*"}}
	}
	acc := []auth.Access{{Type: "repository", Name: rt.name, Action: "pull"}}
	switch method {
	case http.MethodGet, http.MethodHead:
	case http.MethodDelete:
		if rt.kind == "upload" {
			acc = append(acc, auth.Access{Type: "repository", Name: rt.name, Action: "push"})
		} else {
			acc = append(acc, auth.Access{Type: "repository", Name: rt.name, Action: "delete"})
		}
	default:
		acc = append(acc, auth.Access{Type: "repository", Name: rt.name, Action: "push"})
	}
	return acc
}

func (s *Server) base(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write([]byte("{}"))
	}
}

func methodNotAllowed(w http.ResponseWriter) {
	writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "the operation is unsupported")
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	if s.opts.Logger != nil {
		s.opts.Logger.Printf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	storageError(w, err)
}
