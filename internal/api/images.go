// Image routes. Image names may hold slashes and a registry port
// ("localhost:5000/a/b:tag"), so /images/{name...} routes split the action
// (/json, /history, /get, /tag, /push) off the end of the path.

package api

import (
	"net/http"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/image"
)

// splitAction cuts a known trailing action off "name/action".
func splitAction(rest string, actions ...string) (name, action string) {
	for _, a := range actions {
		if n, ok := strings.CutSuffix(rest, "/"+a); ok && n != "" {
			return n, a
		}
	}
	return rest, ""
}

func (s *Server) imageList(w *respWriter, r *http.Request) error {
	f, err := filterArgs(r)
	if err != nil {
		return err
	}
	list, err := s.backend.ImageList(r.Context(), ImageListOptions{All: boolValue(r, "all"), Filters: f})
	if err != nil {
		return err
	}
	body, err := imageListJSON(r, list)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, body)
}

// imageGet dispatches GET /images/{name}/json|history|get.
func (s *Server) imageGet(w *respWriter, r *http.Request) error {
	name, action := splitAction(r.PathValue("name"), "json", "history", "get")
	switch action {
	case "json":
		img, err := s.backend.ImageInspect(r.Context(), name)
		if err != nil {
			return err
		}
		body, err := imageInspectJSON(r, img)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, body)
	case "history":
		h, err := s.backend.ImageHistory(r.Context(), name)
		if err != nil {
			return err
		}
		if h == nil {
			h = []image.HistoryResponseItem{}
		}
		return writeJSON(w, http.StatusOK, h)
	case "get":
		return s.saveImages(w, r, []string{name})
	}
	return errdefs.NotFound("page not found")
}

// imagePost dispatches POST /images/{name}/tag|push.
func (s *Server) imagePost(w *respWriter, r *http.Request) error {
	name, action := splitAction(r.PathValue("name"), "tag", "push")
	switch action {
	case "tag":
		if err := s.backend.ImageTag(r.Context(), name, query(r, "repo"), query(r, "tag")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusCreated)
		return nil
	case "push":
		return s.imagePush(w, r, name)
	}
	return errdefs.NotFound("page not found")
}

func (s *Server) imageDelete(w *respWriter, r *http.Request) error {
	resp, err := s.backend.ImageDelete(r.Context(), r.PathValue("name"), boolValue(r, "force"), boolValue(r, "noprune"))
	if err != nil {
		return err
	}
	if resp == nil {
		resp = []image.DeleteResponse{}
	}
	return writeJSON(w, http.StatusOK, resp)
}

func (s *Server) imagesPrune(w *respWriter, r *http.Request) error {
	f, err := filterArgs(r)
	if err != nil {
		return err
	}
	rep, err := s.backend.ImagesPrune(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
