package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/berth-dev/berth/internal/registry/storage"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

type tagList struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// tags serves GET /v2/<name>/tags/list with the n/last pagination and a Link header.
func (s *Server) tags(w http.ResponseWriter, r *http.Request, rt route) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w)
		return
	}
	all, err := s.store.Tags(rt.name)
	if err != nil {
		storageError(w, err)
		return
	}
	page, next, ok := paginate(all, r.URL.Query())
	if !ok {
		writeError(w, http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "invalid number of results requested")
		return
	}
	if next != "" {
		v := url.Values{"n": {r.URL.Query().Get("n")}, "last": {next}}
		w.Header().Set("Link", fmt.Sprintf(`</v2/%s/tags/list?%s>; rel="next"`, rt.name, v.Encode()))
	}
	writeJSON(w, r, "application/json", tagList{Name: rt.name, Tags: page})
}

// catalog serves GET /v2/_catalog with the same pagination.
func (s *Server) catalog(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w)
		return
	}
	all, err := s.store.Repositories()
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	page, next, ok := paginate(all, r.URL.Query())
	if !ok {
		writeError(w, http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "invalid number of results requested")
		return
	}
	if next != "" {
		v := url.Values{"n": {r.URL.Query().Get("n")}, "last": {next}}
		w.Header().Set("Link", fmt.Sprintf(`</v2/_catalog?%s>; rel="next"`, v.Encode()))
	}
	writeJSON(w, r, "application/json", struct {
		Repositories []string `json:"repositories"`
	}{page})
}

// paginate keeps the sorted items after `last`, at most `n` of them; next is the last item
// returned when more follow.
func paginate(sorted []string, q url.Values) (page []string, next string, ok bool) {
	if last := q.Get("last"); last != "" {
		i := sort.SearchStrings(sorted, last)
		if i < len(sorted) && sorted[i] == last {
			i++
		}
		sorted = sorted[i:]
	}
	if ns := q.Get("n"); ns != "" {
		n, err := strconv.Atoi(ns)
		if err != nil || n < 0 {
			return nil, "", false
		}
		if n < len(sorted) {
			sorted = sorted[:n]
			if n > 0 {
				next = sorted[n-1]
			}
		}
	}
	if sorted == nil {
		sorted = []string{}
	}
	return sorted, next, true
}

// referrers serves GET /v2/<name>/referrers/<digest>[?artifactType=].
func (s *Server) referrers(w http.ResponseWriter, r *http.Request, rt route) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w)
		return
	}
	d, err := storage.ParseDigest(rt.ref)
	if err != nil {
		writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest")
		return
	}
	at := r.URL.Query().Get("artifactType")
	descs, err := s.store.Referrers(rt.name, d, at)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if at != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: descs}
	idx.SchemaVersion = 2
	writeJSON(w, r, ocispec.MediaTypeImageIndex, idx)
}

func writeJSON(w http.ResponseWriter, r *http.Request, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}
