// Image transfer routes: import (POST /images/create?fromSrc=-), load and
// save. Import and load answer with JSON-lines progress like dockerd.

package api

import (
	"net/http"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
)

// imageCreate is import from the request body; pulling needs registry
// access berth does not have yet.
func (s *Server) imageCreate(w *respWriter, r *http.Request) error {
	if query(r, "fromImage") != "" {
		return s.imagePull(w, r)
	}
	src := query(r, "fromSrc")
	switch src {
	case "-":
	case "":
		return errdefs.Invalid("fromSrc or fromImage is required")
	default:
		return errdefs.NotImplemented("berth: importing from a URL is not implemented yet; send the tar as the request body (fromSrc=-)")
	}
	message := query(r, "message")
	if message == "" {
		message = "Imported from " + src
	}
	repo, tag := repoTag(r)
	id, err := s.backend.ImageImport(r.Context(), r.Body, repo, tag, message, queryAll(r, "changes"), query(r, "platform"))
	if err != nil {
		return err
	}
	newProgressWriter(w).status(id)
	return nil
}

// imagesLoad always answers 200: failures arrive in the stream, as dockerd.
func (s *Server) imagesLoad(w *respWriter, r *http.Request) error {
	p := newProgressWriter(w)
	err := s.backend.ImagesLoad(r.Context(), r.Body, func(line string) {
		if !strings.HasSuffix(line, "\n") {
			line += "\n"
		}
		p.stream(line)
	})
	if err != nil {
		p.error(err)
	}
	if !w.started() {
		w.WriteHeader(http.StatusOK)
	}
	return nil
}

func (s *Server) imagesSave(w *respWriter, r *http.Request) error {
	return s.saveImages(w, r, queryAll(r, "names"))
}

// saveImages streams a docker-save tar; a failure after the first byte
// aborts the connection rather than leave a short tar.
func (s *Server) saveImages(w *respWriter, r *http.Request, names []string) error {
	w.Header().Set("Content-Type", "application/x-tar")
	err := s.backend.ImagesSave(r.Context(), names, w)
	if err != nil && w.started() {
		s.log.Warn("api: image save failed mid-stream", "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}
