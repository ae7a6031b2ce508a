// Network routes: /networks list, inspect, create, delete, prune,
// connect, disconnect. The Server finds them by type-asserting its
// Backend to NetworkBackend, so backends without networks still work.

package api

import (
	"context"
	"net/http"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/filters"
	"github.com/moby/moby/api/types/network"
)

// NetworkBackend is what the network routes need from the engine.
type NetworkBackend interface {
	NetworkList(ctx context.Context, f filters.Args) ([]network.Summary, error)
	NetworkInspect(ctx context.Context, ref string) (network.Inspect, error)
	NetworkCreate(ctx context.Context, req network.CreateRequest) (network.CreateResponse, error)
	NetworkRemove(ctx context.Context, ref string) error
	NetworksPrune(ctx context.Context, f filters.Args) (network.PruneReport, error)
	NetworkConnect(ctx context.Context, ref string, req network.ConnectRequest) error
	NetworkDisconnect(ctx context.Context, ref string, req network.DisconnectRequest) error
}

func (s *Server) networkRoutes(r func(string, apiFunc)) {
	r("GET /networks", s.networkList)
	r("GET /networks/{id}", s.networkInspect)
	r("POST /networks/create", s.networkCreate)
	r("POST /networks/prune", s.networksPrune)
	r("DELETE /networks/{id}", s.networkRemove)
	r("POST /networks/{id}/connect", s.networkConnect)
	r("POST /networks/{id}/disconnect", s.networkDisconnect)
}

func (s *Server) networks() (NetworkBackend, error) {
	nb, ok := s.backend.(NetworkBackend)
	if !ok {
		return nil, errdefs.NotImplemented("berth: networks are not implemented by this backend")
	}
	return nb, nil
}

func (s *Server) networkList(w *respWriter, r *http.Request) error {
	nb, err := s.networks()
	if err != nil {
		return err
	}
	f, err := filterArgs(r)
	if err != nil {
		return err
	}
	list, err := nb.NetworkList(r.Context(), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []network.Summary{}
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) networkInspect(w *respWriter, r *http.Request) error {
	nb, err := s.networks()
	if err != nil {
		return err
	}
	n, err := nb.NetworkInspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, n)
}

func (s *Server) networkCreate(w *respWriter, r *http.Request) error {
	nb, err := s.networks()
	if err != nil {
		return err
	}
	if err := checkJSON(r); err != nil {
		return err
	}
	var req network.CreateRequest
	if err := decodeJSON(r.Body, &req); err != nil {
		return err
	}
	resp, err := nb.NetworkCreate(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) networkRemove(w *respWriter, r *http.Request) error {
	nb, err := s.networks()
	if err != nil {
		return err
	}
	if err := nb.NetworkRemove(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) networksPrune(w *respWriter, r *http.Request) error {
	f, err := filterArgs(r)
	if err != nil {
		return err
	}
	nb, ok := s.backend.(NetworkBackend)
	if !ok {
		return writeJSON(w, http.StatusOK, network.PruneReport{NetworksDeleted: []string{}})
	}
	rep, err := nb.NetworksPrune(r.Context(), f)
	if err != nil {
		return err
	}
	if rep.NetworksDeleted == nil {
		rep.NetworksDeleted = []string{}
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (s *Server) networkConnect(w *respWriter, r *http.Request) error {
	nb, err := s.networks()
	if err != nil {
		return err
	}
	var req network.ConnectRequest
	if err := decodeJSON(r.Body, &req); err != nil {
		return err
	}
	if err := nb.NetworkConnect(r.Context(), r.PathValue("id"), req); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) networkDisconnect(w *respWriter, r *http.Request) error {
	nb, err := s.networks()
	if err != nil {
		return err
	}
	var req network.DisconnectRequest
	if err := decodeJSON(r.Body, &req); err != nil {
		return err
	}
	if err := nb.NetworkDisconnect(r.Context(), r.PathValue("id"), req); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
