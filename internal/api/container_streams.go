// Container routes that stream: logs, stats, export, wait and attach.

package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types"
	"github.com/moby/moby/api/types/container"
)

// rfc3339NanoFixed always prints nine fractional digits, as dockerd does,
// so timestamped lines align.
const rfc3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"

func logsOptions(r *http.Request) (LogsOptions, error) {
	opts := LogsOptions{
		Follow:     boolValue(r, "follow"),
		Stdout:     boolValue(r, "stdout"),
		Stderr:     boolValue(r, "stderr"),
		Timestamps: boolValue(r, "timestamps"),
		Details:    boolValue(r, "details"),
		Tail:       -1,
	}
	if !opts.Stdout && !opts.Stderr {
		return opts, errdefs.Invalid("Bad parameters: you must choose at least one stream")
	}
	var err error
	if opts.Since, err = timestampParam(r, "since"); err != nil {
		return opts, err
	}
	if opts.Until, err = timestampParam(r, "until"); err != nil {
		return opts, err
	}
	if n, err := strconv.Atoi(query(r, "tail")); err == nil && n >= 0 {
		opts.Tail = n // "all", "" and garbage mean everything, as dockerd
	}
	return opts, nil
}

// appendLogLine appends the line as dockerd prints it: timestamp, then
// the --details attributes, then the text.
func appendLogLine(dst []byte, m *LogMessage, opts *LogsOptions) []byte {
	if opts.Timestamps {
		dst = m.Time.UTC().AppendFormat(dst, rfc3339NanoFixed)
		dst = append(dst, ' ')
	}
	if opts.Details {
		dst = append(append(dst, attrsPrefix(m.Attrs)...), ' ')
	}
	return append(dst, m.Line...)
}

// attrsPrefix is "k=v,k2=v2", keys sorted and query-escaped as dockerd.
func attrsPrefix(attrs map[string]string) []byte {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []byte
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, url.QueryEscape(k)+"="+url.QueryEscape(attrs[k])...)
	}
	return out
}

// containerLogs streams raw bytes for a TTY container and multiplexed
// frames otherwise (raw-stream content type before API 1.42, as dockerd).
func (s *Server) containerLogs(w *respWriter, r *http.Request) error {
	opts, err := logsOptions(r)
	if err != nil {
		return err
	}
	mux := false
	start := func(tty bool) error {
		mux = !tty
		ct := types.MediaTypeRawStream
		if mux && versionAtLeast(r, "1.42") {
			ct = types.MediaTypeMultiplexedStream
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(http.StatusOK)
		w.Flush()
		return nil
	}
	// One reused buffer per request, lines of a stream merged into big
	// frames: a big log is millions of short lines, and per-line
	// allocations, frames and writes would dominate.
	var frames *logFramer
	emit := func(m LogMessage) error {
		if frames == nil {
			frames = newLogFramer(w, mux, opts)
		}
		if err := frames.add(&m); err != nil {
			return err
		}
		if opts.Follow {
			if err := frames.flush(); err != nil {
				return err
			}
			w.Flush()
		}
		return nil
	}
	err = s.backend.ContainerLogs(r.Context(), r.PathValue("name"), opts, start, emit)
	if frames != nil {
		frames.flush()
	}
	if err != nil && w.started() && mux {
		w.Write(frame(stdcopy.Systemerr, []byte(fmt.Sprintf("Error grabbing logs: %v\n", err))))
	}
	return err
}

// containerStats writes one JSON object, or one per second when streaming.
func (s *Server) containerStats(w *respWriter, r *http.Request) error {
	stream := boolDefault(r, "stream", true)
	oneShot := versionAtLeast(r, "1.41") && boolValue(r, "one-shot")
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	return s.backend.ContainerStats(r.Context(), r.PathValue("name"), stream, oneShot, func(st *container.StatsResponse) error {
		if err := enc.Encode(st); err != nil {
			return err
		}
		if stream {
			w.Flush()
		}
		return nil
	})
}

// containerExport streams the container's filesystem as a tar. A failure
// half-way aborts the connection so the client sees a broken download
// rather than a short tar.
func (s *Server) containerExport(w *respWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/x-tar")
	err := s.backend.ContainerExport(r.Context(), r.PathValue("name"), w)
	if err != nil && w.started() {
		s.log.Warn("api: export failed mid-stream", "container", r.PathValue("name"), "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// containerWait sends 200 and the headers at once (so a client that waits
// before starting the container does not deadlock) and the body when the
// condition is met.
func (s *Server) containerWait(w *respWriter, r *http.Request) error {
	cond := container.WaitConditionNotRunning
	if v := query(r, "condition"); v != "" {
		switch c := container.WaitCondition(v); c {
		case container.WaitConditionNotRunning, container.WaitConditionNextExit, container.WaitConditionRemoved:
			cond = c
		default:
			return errdefs.Invalid("invalid condition: %q", v)
		}
	}
	ch, err := s.backend.ContainerWait(r.Context(), r.PathValue("name"), cond)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Flush()
	select {
	case resp, ok := <-ch:
		if !ok {
			return nil
		}
		return json.NewEncoder(w).Encode(resp)
	case <-r.Context().Done():
		return nil
	}
}

// containerAttach hands the backend a Hijack; errors before the hijack are
// ordinary HTTP errors, after it the stream just ends.
func (s *Server) containerAttach(w *respWriter, r *http.Request) error {
	opts := AttachOptions{
		Stream:     boolValue(r, "stream"),
		Logs:       boolValue(r, "logs"),
		Stdin:      boolValue(r, "stdin"),
		Stdout:     boolValue(r, "stdout"),
		Stderr:     boolValue(r, "stderr"),
		DetachKeys: query(r, "detachKeys"),
	}
	h := s.newHijack(w, r)
	err := s.backend.ContainerAttach(r.Context(), r.PathValue("name"), opts, h.hijack)
	h.finish(err, false)
	return err
}
