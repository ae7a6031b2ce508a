// Volume routes: /volumes (list, create, inspect, remove, prune). The
// engine provides them through VolumeBackend, which the Server finds by a
// type assertion, so backends without volumes (test fakes) still compile.

package api

import (
	"context"
	"net/http"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/filters"
	"github.com/moby/moby/api/types/volume"
)

// VolumeBackend is the engine's volume service.
type VolumeBackend interface {
	VolumeCreate(ctx context.Context, req volume.CreateRequest) (*volume.Volume, error)
	VolumeInspect(ctx context.Context, name string) (*volume.Volume, error)
	VolumeList(ctx context.Context, f filters.Args) (*volume.ListResponse, error)
	VolumeRemove(ctx context.Context, name string, force bool) error
	VolumesPrune(ctx context.Context, f filters.Args) (*volume.PruneReport, error)
}

func (s *Server) volumeRoutes() {
	r := func(pattern string, f apiFunc) { s.mux.Handle(pattern, s.handle(f)) }
	r("GET /volumes", s.volumeList)
	r("POST /volumes/create", s.volumeCreate)
	r("POST /volumes/prune", s.volumesPrune)
	r("GET /volumes/{name}", s.volumeInspect)
	r("DELETE /volumes/{name}", s.volumeRemove)
	r("PUT /volumes/{name}", notImplemented("updating cluster volumes"))
}

func (s *Server) volumes() (VolumeBackend, error) {
	if vb, ok := s.backend.(VolumeBackend); ok {
		return vb, nil
	}
	return nil, errdefs.NotImplemented("berth: volumes are not implemented by this engine")
}

func (s *Server) volumeList(w *respWriter, r *http.Request) error {
	vb, err := s.volumes()
	if err != nil {
		return err
	}
	f, err := filterArgs(r)
	if err != nil {
		return err
	}
	list, err := vb.VolumeList(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) volumeCreate(w *respWriter, r *http.Request) error {
	vb, err := s.volumes()
	if err != nil {
		return err
	}
	if err := checkJSON(r); err != nil {
		return err
	}
	var req volume.CreateRequest
	if _, err := readJSON(r, &req); err != nil {
		return err
	}
	v, err := vb.VolumeCreate(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

func (s *Server) volumeInspect(w *respWriter, r *http.Request) error {
	vb, err := s.volumes()
	if err != nil {
		return err
	}
	v, err := vb.VolumeInspect(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) volumeRemove(w *respWriter, r *http.Request) error {
	vb, err := s.volumes()
	if err != nil {
		return err
	}
	if err := vb.VolumeRemove(r.Context(), r.PathValue("name"), boolValue(r, "force")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) volumesPrune(w *respWriter, r *http.Request) error {
	vb, err := s.volumes()
	if err != nil {
		return err
	}
	f, err := filterArgs(r)
	if err != nil {
		return err
	}
	if !versionAtLeast(r, "1.42") && !f.Has("all") {
		// Before API 1.42 prune took named volumes too (dockerd does the same).
		f["all"] = []string{"true"}
	}
	rep, err := vb.VolumesPrune(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
