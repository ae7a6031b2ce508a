// Build routes: POST /build (the classic builder's API: a tar context in
// the body, a JSON-lines stream back) and POST /build/prune.

package api

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
)

func (s *Server) buildBackend() (BuildBackend, error) {
	b, ok := s.backend.(BuildBackend)
	if !ok {
		return nil, errdefs.NotImplemented("berth: building images is not implemented by this backend")
	}
	return b, nil
}

func (s *Server) build(w *respWriter, r *http.Request) error {
	b, err := s.buildBackend()
	if err != nil {
		return err
	}
	opts, err := buildOptions(r)
	if err != nil {
		return err
	}
	p := newProgressWriter(w)
	out := &streamWriter{p: p}
	id, err := b.Build(r.Context(), r.Body, opts, out)
	if err != nil {
		if r.Context().Err() != nil {
			return nil // the client went away: nobody to tell
		}
		p.error(err)
		return nil
	}
	aux := json.RawMessage(`{"ID":"` + id + `"}`)
	out.mu.Lock()
	p.write(progressMessage{Message: jsonstream.Message{Aux: &aux}})
	if opts.Quiet {
		p.stream(id + "\n")
	}
	out.mu.Unlock()
	return nil
}

// streamWriter turns build output into {"stream": ...} messages.
type streamWriter struct {
	mu sync.Mutex
	p  *progressWriter
}

func (s *streamWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p.stream(string(b))
	return len(b), nil
}

func buildOptions(r *http.Request) (BuildOptions, error) {
	q := r.URL.Query()
	if q.Get("remote") != "" {
		return BuildOptions{}, errdefs.NotImplemented("berth: building from a remote context (%s) is not implemented; send the context as the request body", q.Get("remote"))
	}
	if v := q.Get("version"); v == string(build.BuilderBuildKit) {
		return BuildOptions{}, errdefs.NotImplemented("berth: the BuildKit builder API (version=2) is not implemented; berth speaks the classic build API (DOCKER_BUILDKIT=0)")
	}
	opts := BuildOptions{
		Dockerfile:     q.Get("dockerfile"),
		Tags:           q["t"],
		Target:         q.Get("target"),
		NoCache:        boolValue(r, "nocache"),
		Pull:           boolValue(r, "pull"),
		NetworkMode:    q.Get("networkmode"),
		Quiet:          boolValue(r, "q"),
		Platform:       q.Get("platform"),
		RegistryConfig: r.Header.Get("X-Registry-Config"),
	}
	for name, dst := range map[string]any{"buildargs": &opts.BuildArgs, "labels": &opts.Labels, "cachefrom": &opts.CacheFrom} {
		if v := q.Get(name); v != "" {
			if err := json.Unmarshal([]byte(v), dst); err != nil {
				return BuildOptions{}, errdefs.Invalid("invalid %s: %v", name, err)
			}
		}
	}
	switch opts.NetworkMode {
	case "", "default", "host", "none", "bridge":
	default:
		return BuildOptions{}, errdefs.Invalid("berth: build network mode %q is not supported (default, host, none)", opts.NetworkMode)
	}
	return opts, nil
}

func (s *Server) buildPrune(w *respWriter, r *http.Request) error {
	if _, err := filterArgs(r); err != nil {
		return err
	}
	b, ok := s.backend.(BuildBackend)
	if !ok {
		return writeJSON(w, http.StatusOK, build.CachePruneReport{CachesDeleted: []string{}})
	}
	rep, err := b.BuildCachePrune(r.Context(), boolValue(r, "all"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
