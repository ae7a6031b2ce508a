// Container routes that are plain request/answer: create, list, inspect,
// lifecycle verbs, update, rename, remove, prune, commit.

package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/common"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func (s *Server) containerList(w *respWriter, r *http.Request) error {
	f, err := filterArgs(r)
	if err != nil {
		return err
	}
	limit, err := intPtr(r, "limit")
	if err != nil {
		return err
	}
	opts := ContainerListOptions{All: boolValue(r, "all"), Size: boolValue(r, "size"), Filters: f}
	if limit != nil {
		opts.Limit = *limit
	}
	list, err := s.backend.ContainerList(r.Context(), opts)
	if err != nil {
		return err
	}
	if list == nil {
		list = []container.Summary{}
	}
	return writeJSON(w, http.StatusOK, list)
}

// createBody is a CreateRequest whose Cmd and Entrypoint may also be one
// string ("Cmd": "true"), as dockerd's string-slice type reads them. Only a
// body that fails to decode is looked at again.
type createBody struct {
	container.CreateRequest
	// legacyMAC is Config.MacAddress, which API 1.52 dropped (the moby
	// types no longer have it); older clients still send it.
	legacyMAC string
}

func (b *createBody) UnmarshalJSON(data []byte) error {
	if bytes.Contains(data, []byte(`"MacAddress"`)) {
		var legacy struct{ MacAddress string }
		if json.Unmarshal(data, &legacy) == nil {
			b.legacyMAC = legacy.MacAddress
		}
	}
	err := json.Unmarshal(data, &b.CreateRequest)
	if err == nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return err
	}
	fixed := false
	for _, k := range []string{"Cmd", "Entrypoint"} {
		if v := bytes.TrimSpace(m[k]); len(v) > 0 && v[0] == '"' {
			m[k] = append(append([]byte{'['}, v...), ']')
			fixed = true
		}
	}
	if !fixed {
		return err
	}
	again, merr := json.Marshal(m)
	if merr != nil {
		return err
	}
	return json.Unmarshal(again, &b.CreateRequest)
}

// containerCreate decodes a CreateRequest and fills in what dockerd's
// router defaults (empty host and networking configs, "default" network).
func (s *Server) containerCreate(w *respWriter, r *http.Request) error {
	if err := checkJSON(r); err != nil {
		return err
	}
	var body createBody
	if err := decodeJSON(r.Body, &body); err != nil {
		return err
	}
	req := body.CreateRequest
	if req.Config == nil {
		return errdefs.Invalid("config cannot be empty in order to create a container")
	}
	if req.HostConfig == nil {
		req.HostConfig = &container.HostConfig{}
	}
	if req.HostConfig.NetworkMode == "" {
		req.HostConfig.NetworkMode = network.NetworkDefault
	}
	if req.NetworkingConfig == nil {
		req.NetworkingConfig = &network.NetworkingConfig{}
	}
	if req.NetworkingConfig.EndpointsConfig == nil {
		req.NetworkingConfig.EndpointsConfig = map[string]*network.EndpointSettings{}
	}
	if err := legacyNetworking(r, &req, body.legacyMAC); err != nil {
		return err
	}
	resp, err := s.backend.ContainerCreate(r.Context(), query(r, "name"), &req)
	if err != nil {
		return err
	}
	if resp.Warnings == nil {
		resp.Warnings = []string{}
	}
	return writeJSON(w, http.StatusCreated, resp)
}

// legacyNetworking applies what older API versions meant, as dockerd's
// router does: before 1.44 one network at create and the container-wide
// Config.MacAddress, which (until 1.52) sets the main network's MAC.
func legacyNetworking(r *http.Request, req *container.CreateRequest, mac string) error {
	eps := req.NetworkingConfig.EndpointsConfig
	if !versionAtLeast(r, "1.44") && len(eps) > 1 {
		names := make([]string, 0, len(eps))
		for n := range eps {
			names = append(names, n)
		}
		slices.Sort(names)
		return errdefs.Invalid("Container cannot be created with multiple network endpoints: %s", strings.Join(names, ", "))
	}
	if mac == "" || versionAtLeast(r, "1.52") {
		return nil
	}
	var hw network.HardwareAddr
	if err := hw.UnmarshalText([]byte(mac)); err != nil {
		return errdefs.Invalid("invalid MAC address: %s", mac)
	}
	mode := req.HostConfig.NetworkMode
	if mode.IsHost() || mode.IsNone() || mode.IsContainer() {
		return errdefs.Invalid("conflicting options: mac-address and the network mode")
	}
	name := string(mode)
	if name == network.NetworkDefault {
		name = network.NetworkBridge
	}
	ep := eps[name]
	if ep == nil && name == network.NetworkBridge {
		ep = eps[network.NetworkDefault] // the docker CLI's key for it
	}
	if ep == nil {
		ep = &network.EndpointSettings{}
		eps[name] = ep
	}
	if len(ep.MacAddress) == 0 {
		ep.MacAddress = hw
	} else if ep.MacAddress.String() != hw.String() {
		return errdefs.Invalid("the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty")
	}
	return nil
}

func (s *Server) containerInspect(w *respWriter, r *http.Request) error {
	c, err := s.backend.ContainerInspect(r.Context(), r.PathValue("name"), boolValue(r, "size"))
	if err != nil {
		return err
	}
	body, err := containerInspectJSON(r, c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, body)
}

func (s *Server) containerTop(w *respWriter, r *http.Request) error {
	top, err := s.backend.ContainerTop(r.Context(), r.PathValue("name"), query(r, "ps_args"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, top)
}

func (s *Server) containerChanges(w *respWriter, r *http.Request) error {
	changes, err := s.backend.ContainerChanges(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	if changes == nil {
		changes = []container.FilesystemChange{}
	}
	return writeJSON(w, http.StatusOK, changes)
}

func (s *Server) containerResize(w *respWriter, r *http.Request) error {
	return resize(w, r, func(h, wd uint) error { return s.backend.ContainerResize(r.Context(), r.PathValue("name"), h, wd) })
}

// resize reads the h and w query parameters and applies them.
func resize(w *respWriter, r *http.Request, apply func(h, w uint) error) error {
	h, err := uintParam(r, "h", "height")
	if err != nil {
		return err
	}
	wd, err := uintParam(r, "w", "width")
	if err != nil {
		return err
	}
	if err := apply(h, wd); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// containerStart refuses a body as dockerd does (a HostConfig on start was
// removed in API 1.24); a started container is 304 from the backend.
func (s *Server) containerStart(w *respWriter, r *http.Request) error {
	if r.ContentLength > 7 || r.ContentLength == -1 {
		return errdefs.Invalid("starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24")
	}
	if err := s.backend.ContainerStart(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	return noContent(w)
}

// stopArgs reads "t" and, from API 1.42, "signal".
func stopArgs(r *http.Request) (string, *int, error) {
	t, err := intPtr(r, "t")
	if err != nil {
		return "", nil, err
	}
	var signal string
	if versionAtLeast(r, "1.42") {
		signal = query(r, "signal")
	}
	return signal, t, nil
}

func (s *Server) containerStop(w *respWriter, r *http.Request) error {
	signal, t, err := stopArgs(r)
	if err != nil {
		return err
	}
	if err := s.backend.ContainerStop(r.Context(), r.PathValue("name"), signal, t); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) containerRestart(w *respWriter, r *http.Request) error {
	signal, t, err := stopArgs(r)
	if err != nil {
		return err
	}
	if err := s.backend.ContainerRestart(r.Context(), r.PathValue("name"), signal, t); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) containerKill(w *respWriter, r *http.Request) error {
	if err := s.backend.ContainerKill(r.Context(), r.PathValue("name"), query(r, "signal")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) containerUpdate(w *respWriter, r *http.Request) error {
	var u container.UpdateConfig
	if _, err := readJSON(r, &u); err != nil {
		return err
	}
	resp, err := s.backend.ContainerUpdate(r.Context(), r.PathValue("name"), &u)
	if err != nil {
		return err
	}
	if resp.Warnings == nil {
		resp.Warnings = []string{}
	}
	return writeJSON(w, http.StatusOK, resp)
}

func (s *Server) containerRename(w *respWriter, r *http.Request) error {
	if err := s.backend.ContainerRename(r.Context(), r.PathValue("name"), query(r, "name")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) containerPause(w *respWriter, r *http.Request) error {
	if err := s.backend.ContainerPause(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) containerUnpause(w *respWriter, r *http.Request) error {
	if err := s.backend.ContainerUnpause(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) containerRemove(w *respWriter, r *http.Request) error {
	err := s.backend.ContainerRemove(r.Context(), r.PathValue("name"), boolValue(r, "force"), boolValue(r, "v"), boolValue(r, "link"))
	if err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) containersPrune(w *respWriter, r *http.Request) error {
	f, err := filterArgs(r)
	if err != nil {
		return err
	}
	rep, err := s.backend.ContainersPrune(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// commit answers POST /commit; the body is an optional container Config.
func (s *Server) commit(w *respWriter, r *http.Request) error {
	repo, tag := repoTag(r)
	opts := CommitOptions{
		Repo:    repo,
		Tag:     tag,
		Comment: query(r, "comment"),
		Author:  query(r, "author"),
		Changes: queryAll(r, "changes"),
		Pause:   boolDefault(r, "pause", true),
	}
	var cfg container.Config
	had, err := readJSON(r, &cfg)
	if err != nil {
		return err
	}
	if had {
		opts.Config = &cfg
	}
	id, err := s.backend.ContainerCommit(r.Context(), query(r, "container"), opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, common.IDResponse{ID: id})
}
