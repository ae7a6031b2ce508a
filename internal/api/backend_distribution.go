// Registry routes: pull (POST /images/create?fromImage=), push, login
// (POST /auth), distribution inspect and search. The Server finds them by
// type-asserting its Backend, so backends without registry access (the
// API tests' fake) need not implement them.

package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
)

// DistributionBackend is the engine's registry client side.
type DistributionBackend interface {
	ImagePull(ctx context.Context, fromImage, tag, platform, authHeader string, progress func(jsonstream.Message)) error
	ImagePush(ctx context.Context, name, tag, authHeader string, progress func(jsonstream.Message)) error
	RegistryLogin(ctx context.Context, auth registry.AuthConfig) (registry.AuthResponse, error)
	DistributionInspect(ctx context.Context, name, authHeader string) (*registry.DistributionInspect, error)
	ImageSearch(ctx context.Context, term string, limit int, authHeader string) ([]registry.SearchResult, error)
}

func (s *Server) distribution() (DistributionBackend, error) {
	if b, ok := s.backend.(DistributionBackend); ok {
		return b, nil
	}
	return nil, errdefs.NotImplemented("berth: registry access is not available in this engine")
}

// imagePull answers 200 once the stream starts; later failures arrive as an
// errorDetail line, as dockerd does.
func (s *Server) imagePull(w *respWriter, r *http.Request) error {
	b, err := s.distribution()
	if err != nil {
		return err
	}
	p := newProgressWriter(w)
	err = b.ImagePull(r.Context(), query(r, "fromImage"), query(r, "tag"), query(r, "platform"), r.Header.Get("X-Registry-Auth"), p.message)
	return streamEnd(w, p, err)
}

func (s *Server) imagePush(w *respWriter, r *http.Request, name string) error {
	b, err := s.distribution()
	if err != nil {
		return err
	}
	p := newProgressWriter(w)
	err = b.ImagePush(r.Context(), name, query(r, "tag"), r.Header.Get("X-Registry-Auth"), p.message)
	return streamEnd(w, p, err)
}

// streamEnd: before the first line an error is a normal HTTP error, after
// it an errorDetail line.
func streamEnd(w *respWriter, p *progressWriter, err error) error {
	if err == nil || !w.started() {
		return err
	}
	p.error(err)
	return nil
}

func (s *Server) auth(w *respWriter, r *http.Request) error {
	b, err := s.distribution()
	if err != nil {
		return err
	}
	var ac registry.AuthConfig
	if _, err := readJSON(r, &ac); err != nil {
		return err
	}
	resp, err := b.RegistryLogin(r.Context(), ac)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}

func (s *Server) distributionInspect(w *respWriter, r *http.Request) error {
	b, err := s.distribution()
	if err != nil {
		return err
	}
	name, action := splitAction(r.PathValue("name"), "json")
	if action != "json" {
		return errdefs.NotFound("page not found")
	}
	out, err := b.DistributionInspect(r.Context(), name, r.Header.Get("X-Registry-Auth"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) imageSearch(w *respWriter, r *http.Request) error {
	b, err := s.distribution()
	if err != nil {
		return err
	}
	limit := 0
	if v := query(r, "limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil {
			return errdefs.Invalid("invalid limit %q", v)
		}
	}
	res, err := b.ImageSearch(r.Context(), query(r, "term"), limit, r.Header.Get("X-Registry-Auth"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
