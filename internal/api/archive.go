// Container archive routes (docker cp): stat via HEAD, tar out via GET,
// tar in via PUT. The stat travels base64(JSON) in a header.

package api

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
)

const pathStatHeader = "X-Docker-Container-Path-Stat"

func archivePath(r *http.Request) (string, error) {
	p := query(r, "path")
	if p == "" {
		return "", errdefs.Invalid("bad parameter: path cannot be empty")
	}
	return p, nil
}

func setPathStat(w http.ResponseWriter, st *container.PathStat) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	w.Header().Set(pathStatHeader, base64.StdEncoding.EncodeToString(b))
	return nil
}

func (s *Server) archiveStat(w *respWriter, r *http.Request) error {
	p, err := archivePath(r)
	if err != nil {
		return err
	}
	st, err := s.backend.ContainerArchiveStat(r.Context(), r.PathValue("name"), p)
	if err != nil {
		return err
	}
	if err := setPathStat(w, st); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) archiveGet(w *respWriter, r *http.Request) error {
	p, err := archivePath(r)
	if err != nil {
		return err
	}
	rc, st, err := s.backend.ContainerArchiveGet(r.Context(), r.PathValue("name"), p)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := setPathStat(w, st); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-tar")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, rc); err != nil {
		s.log.Warn("api: archive download failed mid-stream", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

func (s *Server) archivePut(w *respWriter, r *http.Request) error {
	p, err := archivePath(r)
	if err != nil {
		return err
	}
	err = s.backend.ContainerArchivePut(r.Context(), r.PathValue("name"), p,
		boolValue(r, "noOverwriteDirNonDir"), boolValue(r, "copyUIDGID"), r.Body)
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
