package server

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/registry/storage"
	"github.com/opencontainers/go-digest"
)

// manifest serves GET/HEAD/PUT/DELETE of /v2/<name>/manifests/<tag or digest>.
func (s *Server) manifest(w http.ResponseWriter, r *http.Request, rt route) {
	byDigest := strings.Contains(rt.ref, ":")
	if byDigest {
		if _, err := storage.ParseDigest(rt.ref); err != nil {
			writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest")
			return
		}
	} else if !storage.ValidTag(rt.ref) {
		writeError(w, http.StatusBadRequest, "TAG_INVALID", "invalid tag")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		m, err := s.store.GetManifest(rt.name, rt.ref)
		if err != nil {
			storageError(w, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", m.MediaType)
		h.Set("Content-Length", strconv.Itoa(len(m.Content)))
		h.Set("Docker-Content-Digest", m.Digest.String())
		h.Set("Etag", `"`+m.Digest.String()+`"`)
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(m.Content)
		}
	case http.MethodPut:
		s.putManifest(w, r, rt, byDigest)
	case http.MethodDelete:
		if err := s.store.DeleteManifest(rt.name, rt.ref); err != nil {
			storageError(w, err)
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusAccepted)
	default:
		methodNotAllowed(w)
	}
}

func (s *Server) putManifest(w http.ResponseWriter, r *http.Request, rt route, byDigest bool) {
	content, err := io.ReadAll(io.LimitReader(r.Body, storage.MaxManifestSize+1))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if len(content) > storage.MaxManifestSize {
		writeError(w, http.StatusRequestEntityTooLarge, "MANIFEST_INVALID", "manifest too large")
		return
	}
	var d digest.Digest
	var tags []string
	if byDigest {
		d, _ = storage.ParseDigest(rt.ref)
		for _, t := range r.URL.Query()["tag"] {
			if !storage.ValidTag(t) {
				writeError(w, http.StatusBadRequest, "TAG_INVALID", "invalid tag")
				return
			}
			tags = append(tags, t)
		}
	} else {
		d = digest.FromBytes(content)
		tags = []string{rt.ref}
	}
	mediaType := r.Header.Get("Content-Type")
	if i := strings.IndexByte(mediaType, ';'); i >= 0 {
		mediaType = strings.TrimSpace(mediaType[:i])
	}
	subject, err := s.store.PutManifest(rt.name, d, mediaType, content, tags)
	if err != nil {
		s.uploadError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Location", "/v2/"+rt.name+"/manifests/"+d.String())
	h.Set("Docker-Content-Digest", d.String())
	if subject != "" {
		h.Set("OCI-Subject", subject.String())
	}
	if byDigest && len(tags) > 0 {
		h.Set("OCI-Tag", strings.Join(tags, ", "))
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}
