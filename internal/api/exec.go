// Exec routes: create, start (hijacked unless detached), resize, inspect.

package api

import (
	"context"
	"net/http"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/common"
	"github.com/moby/moby/api/types/container"
)

func (s *Server) execCreate(w *respWriter, r *http.Request) error {
	var req container.ExecCreateRequest
	had, err := readJSON(r, &req)
	if err != nil {
		return err
	}
	if !had {
		return errEmptyBody
	}
	if len(req.Cmd) == 0 {
		return errdefs.Invalid("No exec command specified")
	}
	id, err := s.backend.ExecCreate(r.Context(), r.PathValue("name"), &req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, common.IDResponse{ID: id})
}

// execStart runs the exec. Detached, it answers 200 with no body once the
// process started, and the process outlives the request. Attached, errors
// after the hijack are written into the stream as dockerd does.
func (s *Server) execStart(w *respWriter, r *http.Request) error {
	var req container.ExecStartRequest
	if _, err := readJSON(r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	if req.Detach {
		if err := s.backend.ExecStart(context.WithoutCancel(r.Context()), id, true, nil); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	h := s.newHijack(w, r)
	err := s.backend.ExecStart(r.Context(), id, false, h.hijack)
	h.finish(err, true)
	return err
}

func (s *Server) execResize(w *respWriter, r *http.Request) error {
	return resize(w, r, func(h, wd uint) error { return s.backend.ExecResize(r.Context(), r.PathValue("id"), h, wd) })
}

func (s *Server) execInspect(w *respWriter, r *http.Request) error {
	e, err := s.backend.ExecInspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}
