// The route table. Each route answers on its plain path and, through
// ServeHTTP's prefix stripping, on /v1.NN/ paths.

package api

import (
	"net/http"

	"github.com/berth-dev/berth/internal/errdefs"
)

func (s *Server) routes() {
	r := func(pattern string, f apiFunc) { s.mux.Handle(pattern, s.handle(f)) }

	// system
	r("GET /_ping", s.ping) // also HEAD
	r("GET /version", s.version)
	r("GET /info", s.info)
	r("GET /events", s.events)
	r("GET /system/df", s.diskUsage)

	// containers
	r("GET /containers/json", s.containerList)
	r("POST /containers/create", s.containerCreate)
	r("POST /containers/prune", s.containersPrune)
	r("GET /containers/{name}/json", s.containerInspect)
	r("GET /containers/{name}/top", s.containerTop)
	r("GET /containers/{name}/logs", s.containerLogs)
	r("GET /containers/{name}/changes", s.containerChanges)
	r("GET /containers/{name}/export", s.containerExport)
	r("GET /containers/{name}/stats", s.containerStats)
	r("POST /containers/{name}/resize", s.containerResize)
	r("POST /containers/{name}/start", s.containerStart)
	r("POST /containers/{name}/stop", s.containerStop)
	r("POST /containers/{name}/restart", s.containerRestart)
	r("POST /containers/{name}/kill", s.containerKill)
	r("POST /containers/{name}/update", s.containerUpdate)
	r("POST /containers/{name}/rename", s.containerRename)
	r("POST /containers/{name}/pause", s.containerPause)
	r("POST /containers/{name}/unpause", s.containerUnpause)
	r("POST /containers/{name}/attach", s.containerAttach)
	r("GET /containers/{name}/attach/ws", notImplemented("attaching over websocket"))
	r("POST /containers/{name}/wait", s.containerWait)
	r("DELETE /containers/{name}", s.containerRemove)
	r("HEAD /containers/{name}/archive", s.archiveStat)
	r("GET /containers/{name}/archive", s.archiveGet)
	r("PUT /containers/{name}/archive", s.archivePut)
	r("POST /commit", s.commit)

	// exec
	r("POST /containers/{name}/exec", s.execCreate)
	r("POST /exec/{id}/start", s.execStart)
	r("POST /exec/{id}/resize", s.execResize)
	r("GET /exec/{id}/json", s.execInspect)

	// images: names may contain slashes, so /images/{name...} routes split
	// the action off the end themselves.
	r("GET /images/json", s.imageList)
	r("GET /images/search", s.imageSearch)
	r("POST /auth", s.auth)
	r("GET /distribution/{name...}", s.distributionInspect)
	r("GET /images/get", s.imagesSave)
	r("GET /images/{name...}", s.imageGet)
	r("POST /images/create", s.imageCreate)
	r("POST /images/load", s.imagesLoad)
	r("POST /images/prune", s.imagesPrune)
	r("POST /images/{name...}", s.imagePost)
	r("DELETE /images/{name...}", s.imageDelete)
	r("POST /build", s.build)

	s.volumeRoutes()

	s.networkRoutes(r)
	r("POST /build/prune", s.buildPrune)
}

// notImplemented answers 501 for API features berth does not have yet.
func notImplemented(what string) apiFunc {
	return func(w *respWriter, r *http.Request) error {
		return errdefs.NotImplemented("berth: %s is not implemented yet", what)
	}
}
