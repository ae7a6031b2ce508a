package server

import (
	"net/http"

	"github.com/berth-dev/berth/internal/registry/storage"
)

// blob serves GET/HEAD (with Range, through sendfile) and DELETE of /v2/<name>/blobs/<digest>.
func (s *Server) blob(w http.ResponseWriter, r *http.Request, rt route) {
	d, err := storage.ParseDigest(rt.ref)
	if err != nil {
		writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		f, info, err := s.store.OpenBlob(rt.name, d)
		if err != nil {
			storageError(w, err)
			return
		}
		defer f.Close()
		if r.Method == http.MethodHead {
			// A client that sees the blob will reference it without uploading: keep gc off it.
			s.store.TouchBlob(d)
		}
		h := w.Header()
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Docker-Content-Digest", d.String())
		h.Set("Etag", `"`+d.String()+`"`)
		h.Set("Cache-Control", "max-age=31536000")
		// ServeContent answers Range requests and copies the file with sendfile.
		http.ServeContent(w, r, "", info.ModTime, f)
	case http.MethodDelete:
		if err := s.store.DeleteBlob(rt.name, d); err != nil {
			storageError(w, err)
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusAccepted)
	default:
		methodNotAllowed(w)
	}
}
