// System routes: ping, version, info, events and disk usage.

package api

import (
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"
)

// ping answers GET and HEAD /_ping. Builder-Version 1 makes the docker CLI
// use the classic /build API.
func (s *Server) ping(w *respWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Builder-Version", "1")
	h.Set("Docker-Experimental", "false")
	h.Set("Swarm", "inactive")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	_, err := w.Write([]byte("OK"))
	return err
}

func (s *Server) version(w *respWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, s.backend.Version(r.Context()))
}

func (s *Server) info(w *respWriter, r *http.Request) error {
	info, err := s.backend.Info(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, info)
}

// events streams past and live events as JSON, one per line, until the
// "until" time passes or the client goes away.
func (s *Server) events(w *respWriter, r *http.Request) error {
	since, err := timestampParam(r, "since")
	if err != nil {
		return err
	}
	until, err := timestampParam(r, "until")
	if err != nil {
		return err
	}
	if !until.IsZero() && until.Before(since) {
		return errdefs.Invalid("`since` time (%s) cannot be after `until` time (%s)", query(r, "since"), query(r, "until"))
	}
	f, err := filterArgs(r)
	if err != nil {
		return err
	}
	past, live, cancel := s.backend.SubscribeEvents(since, until, f)
	if cancel != nil {
		defer cancel()
	}

	contentType := eventsContentType(r)
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	w.Flush()
	enc := json.NewEncoder(w)
	// Image "create" events arrived with API 1.46.
	skip := func(ev events.Message) bool {
		return !versionAtLeast(r, "1.46") && ev.Type == events.ImageEventType && ev.Action == events.ActionCreate
	}
	send := func(ev events.Message) error {
		if skip(ev) {
			return nil
		}
		body, err := eventJSON(r, ev)
		if err != nil {
			return err
		}
		if contentType == string(types.MediaTypeJSONSequence) {
			if _, err := w.Write([]byte{0x1e}); err != nil { // RFC 7464's record separator
				return err
			}
		}
		if err := enc.Encode(body); err != nil {
			return err
		}
		w.Flush()
		return nil
	}
	for _, ev := range past {
		if err := send(ev); err != nil {
			return err
		}
	}
	var timeout <-chan time.Time
	if !until.IsZero() {
		d := time.Until(until)
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	for {
		select {
		case ev, ok := <-live:
			if !ok {
				return nil
			}
			if err := send(ev); err != nil {
				return err
			}
		case <-timeout:
			return nil
		case <-r.Context().Done():
			return nil
		}
	}
}

// eventsContentType picks the stream's media type as dockerd does: one the
// client's Accept header names explicitly (no wildcards, highest q wins),
// else JSON Lines from API 1.52 and plain "application/json" before (the
// body was always one JSON object per line).
func eventsContentType(r *http.Request) string {
	offers := []string{string(types.MediaTypeJSONLines), string(types.MediaTypeNDJSON), string(types.MediaTypeJSONSequence)}
	best, bestQ := "", 0.0
	for _, offer := range offers {
		for _, part := range strings.Split(strings.Join(r.Header.Values("Accept"), ","), ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || mt != offer {
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil {
					continue
				}
			}
			if q > bestQ {
				best, bestQ = offer, q
			}
		}
	}
	switch {
	case best != "":
		return best
	case versionAtLeast(r, "1.52"):
		return string(types.MediaTypeJSONLines)
	}
	return string(types.MediaTypeJSON)
}

// legacyDiskUsage adds the fields API < 1.53 returned (1.52 sends both
// shapes); moby/api v1.56 no longer has a type for them.
type legacyDiskUsage struct {
	system.DiskUsage
	LayersSize int64               `json:"LayersSize"`
	Images     []image.Summary     `json:"Images"`
	Containers []container.Summary `json:"Containers"`
	Volumes    []volume.Volume     `json:"Volumes"`
	BuildCache []build.CacheRecord `json:"BuildCache"`
}

// diskUsage answers GET /system/df; "type" limits the object kinds.
func (s *Server) diskUsage(w *respWriter, r *http.Request) error {
	du, err := s.backend.DiskUsage(r.Context())
	if err != nil {
		return err
	}
	types := queryAll(r, "type")
	if !versionAtLeast(r, "1.42") {
		types = nil // "type" came with 1.42
	}
	for _, t := range types {
		switch system.DiskUsageObject(t) {
		case system.ImageObject, system.ContainerObject, system.VolumeObject, system.BuildCacheObject:
		default:
			return errdefs.Invalid("unknown object type: %s", t)
		}
	}
	if len(types) > 0 {
		if !slices.Contains(types, string(system.ImageObject)) {
			du.ImageUsage = nil
		}
		if !slices.Contains(types, string(system.ContainerObject)) {
			du.ContainerUsage = nil
		}
		if !slices.Contains(types, string(system.VolumeObject)) {
			du.VolumeUsage = nil
		}
		if !slices.Contains(types, string(system.BuildCacheObject)) {
			du.BuildCacheUsage = nil
		}
	}
	if versionAtLeast(r, "1.53") {
		if !boolValue(r, "verbose") {
			stripItems(du)
		}
		return writeJSON(w, http.StatusOK, du)
	}
	legacy := legacyDiskUsage{Images: []image.Summary{}, Containers: []container.Summary{}, Volumes: []volume.Volume{}, BuildCache: []build.CacheRecord{}}
	if du.ImageUsage != nil {
		legacy.LayersSize = du.ImageUsage.TotalSize
		legacy.Images = append(legacy.Images, du.ImageUsage.Items...)
	}
	if du.ContainerUsage != nil {
		legacy.Containers = append(legacy.Containers, du.ContainerUsage.Items...)
	}
	if du.VolumeUsage != nil {
		legacy.Volumes = append(legacy.Volumes, du.VolumeUsage.Items...)
	}
	if du.BuildCacheUsage != nil {
		legacy.BuildCache = append(legacy.BuildCache, du.BuildCacheUsage.Items...)
	}
	if versionAtLeast(r, "1.52") {
		stripItems(du)
		legacy.DiskUsage = *du
	}
	return writeJSON(w, http.StatusOK, legacy)
}

func stripItems(du *system.DiskUsage) {
	if du.ImageUsage != nil {
		du.ImageUsage.Items = nil
	}
	if du.ContainerUsage != nil {
		du.ContainerUsage.Items = nil
	}
	if du.VolumeUsage != nil {
		du.VolumeUsage.Items = nil
	}
	if du.BuildCacheUsage != nil {
		du.BuildCacheUsage.Items = nil
	}
}
