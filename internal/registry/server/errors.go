package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/berth-dev/berth/internal/registry/storage"
)

// apiError is one entry of the distribution spec's error body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

type errorBody struct {
	Errors []apiError `json:"errors"`
}

// writeError writes {"errors":[{code,message}]} with status.
func writeError(w http.ResponseWriter, status int, code, message string) {
	body, _ := json.Marshal(errorBody{Errors: []apiError{{Code: code, Message: message}}})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// storageError maps a storage error to the spec's status and code.
func storageError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, storage.ErrBlobUnknown):
		writeError(w, http.StatusNotFound, "BLOB_UNKNOWN", err.Error())
	case errors.Is(err, storage.ErrManifestUnknown):
		writeError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", err.Error())
	case errors.Is(err, storage.ErrNameUnknown):
		writeError(w, http.StatusNotFound, "NAME_UNKNOWN", err.Error())
	case errors.Is(err, storage.ErrUploadUnknown):
		writeError(w, http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN", err.Error())
	case errors.Is(err, storage.ErrDigestInvalid), errors.Is(err, storage.ErrUnsupportedAlgo):
		writeError(w, http.StatusBadRequest, "DIGEST_INVALID", err.Error())
	case errors.Is(err, storage.ErrSizeInvalid):
		writeError(w, http.StatusBadRequest, "SIZE_INVALID", err.Error())
	case errors.Is(err, storage.ErrManifestInvalid):
		writeError(w, http.StatusBadRequest, "MANIFEST_INVALID", err.Error())
	case errors.Is(err, storage.ErrTagInvalid):
		writeError(w, http.StatusBadRequest, "TAG_INVALID", err.Error())
	case errors.Is(err, storage.ErrNameInvalid):
		writeError(w, http.StatusBadRequest, "NAME_INVALID", err.Error())
	case errors.Is(err, storage.ErrRangeInvalid):
		writeError(w, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
	}
}
