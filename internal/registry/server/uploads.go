package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/registry/storage"
	"github.com/opencontainers/go-digest"
)

// startUpload is POST /v2/<name>/blobs/uploads/: a cross-repository mount (?mount=&from=),
// a monolithic upload (?digest= with the body), or a new session.
func (s *Server) startUpload(w http.ResponseWriter, r *http.Request, rt route) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w)
		return
	}
	q := r.URL.Query()
	if m := q.Get("mount"); m != "" {
		if d, err := storage.ParseDigest(m); err == nil {
			from := q.Get("from")
			if from == "" || storage.ValidName(from) {
				if err := s.store.Mount(rt.name, from, d); err == nil {
					blobCreated(w, rt.name, d)
					return
				}
			}
		}
		// Not mountable: the spec says to answer with a new upload session instead.
	} else if ds := q.Get("digest"); ds != "" {
		d, err := storage.ParseDigest(ds)
		if err != nil {
			writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest")
			return
		}
		if err := s.store.PutBlob(rt.name, d, r.Body, r.ContentLength); err != nil {
			s.uploadError(w, r, err)
			return
		}
		blobCreated(w, rt.name, d)
		return
	}
	u, err := s.uploads.Start(rt.name)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	uploadStatus(w, rt.name, u.ID, 0, http.StatusAccepted)
}

// upload serves one session: PATCH (a chunk, or a stream), PUT (finish), GET (status),
// DELETE (cancel).
func (s *Server) upload(w http.ResponseWriter, r *http.Request, rt route) {
	u, err := s.uploads.Get(rt.name, rt.ref)
	if err != nil {
		storageError(w, err)
		return
	}
	switch r.Method {
	case http.MethodGet:
		uploadStatus(w, rt.name, u.ID, u.Size(), http.StatusNoContent)
	case http.MethodDelete:
		s.uploads.Cancel(u)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPatch:
		start, err := chunkStart(r)
		if err != nil {
			rangeError(w, rt.name, u)
			return
		}
		size, err := s.uploads.Append(u, start, r.Body)
		if errors.Is(err, storage.ErrRangeInvalid) {
			rangeError(w, rt.name, u)
			return
		}
		if err != nil {
			s.uploadError(w, r, err)
			return
		}
		uploadStatus(w, rt.name, u.ID, size, http.StatusAccepted)
	case http.MethodPut:
		d, err := storage.ParseDigest(r.URL.Query().Get("digest"))
		if err != nil {
			writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "invalid or missing digest")
			return
		}
		start, err := chunkStart(r)
		if err != nil {
			rangeError(w, rt.name, u)
			return
		}
		var body io.Reader
		if r.ContentLength != 0 {
			body = r.Body
		}
		err = s.uploads.Finish(u, d, start, body)
		if errors.Is(err, storage.ErrRangeInvalid) {
			rangeError(w, rt.name, u)
			return
		}
		if err != nil {
			s.uploadError(w, r, err)
			return
		}
		blobCreated(w, rt.name, d)
	default:
		methodNotAllowed(w)
	}
}

// chunkStart reads Content-Range ("start-end", or "bytes start-end/total"); -1 when absent.
func chunkStart(r *http.Request) (int64, error) {
	cr := r.Header.Get("Content-Range")
	if cr == "" {
		return -1, nil
	}
	cr = strings.TrimPrefix(cr, "bytes ")
	cr, _, _ = strings.Cut(cr, "/")
	a, b, ok := strings.Cut(cr, "-")
	if !ok {
		return 0, storage.ErrRangeInvalid
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start-1 {
		return 0, storage.ErrRangeInvalid
	}
	if r.ContentLength >= 0 && end-start+1 != r.ContentLength {
		return 0, storage.ErrRangeInvalid
	}
	return start, nil
}

func (s *Server) uploadError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, storage.ErrDigestInvalid), errors.Is(err, storage.ErrSizeInvalid),
		errors.Is(err, storage.ErrUploadUnknown), errors.Is(err, storage.ErrUnsupportedAlgo):
		storageError(w, err)
	default:
		s.internalError(w, r, err)
	}
}

func blobCreated(w http.ResponseWriter, name string, d digest.Digest) {
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/blobs/"+d.String())
	h.Set("Docker-Content-Digest", d.String())
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

func uploadStatus(w http.ResponseWriter, name, id string, size int64, status int) {
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/blobs/uploads/"+id)
	h.Set("Docker-Upload-UUID", id)
	h.Set("Range", fmt.Sprintf("0-%d", max(size-1, 0)))
	h.Set("Content-Length", "0")
	w.WriteHeader(status)
}

// rangeError is the 416 of an out-of-order chunk, telling the client where to resume.
func rangeError(w http.ResponseWriter, name string, u *storage.Upload) {
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/blobs/uploads/"+u.ID)
	h.Set("Docker-Upload-UUID", u.ID)
	h.Set("Range", fmt.Sprintf("0-%d", max(u.Size()-1, 0)))
	writeError(w, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID", "invalid content range")
}
