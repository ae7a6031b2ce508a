// Stream encodings: Docker's 8-byte multiplexed frames and JSON-lines
// progress messages.

package api

import (
	"encoding/json"
	"github.com/berth-dev/berth/internal/stdframe"
	"net/http"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/jsonstream"
)

// frame wraps p in a multiplexed-stream frame: stream byte, three zero
// bytes, big-endian payload length. (moby/api's stdcopy only reads them.)
func frame(stream stdcopy.StdType, p []byte) []byte {
	return stdframe.Append(make([]byte, 0, 8+len(p)), byte(stream), p)
}

// progressMessage is a JSON-lines progress message. "error" is the legacy
// top-level field older docker CLIs still read besides errorDetail.
type progressMessage struct {
	jsonstream.Message
	ErrorMessage string `json:"error,omitempty"`
	ProgressBar  string `json:"progress,omitempty"` // legacy pre-rendered bar
}

// progressWriter writes JSON-lines messages, flushing each one.
type progressWriter struct {
	w   *respWriter
	enc *json.Encoder
}

func newProgressWriter(w *respWriter) *progressWriter {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &progressWriter{w: w, enc: enc}
}

func (p *progressWriter) write(m progressMessage) {
	if !p.w.started() {
		p.w.WriteHeader(http.StatusOK)
	}
	_ = p.enc.Encode(m)
	p.w.Flush()
}

func (p *progressWriter) status(s string) {
	p.write(progressMessage{Message: jsonstream.Message{Status: s}})
}
func (p *progressWriter) stream(s string) {
	p.write(progressMessage{Message: jsonstream.Message{Stream: s}})
}

func (p *progressWriter) message(m jsonstream.Message) {
	p.write(progressMessage{Message: m, ProgressBar: progressBar(m.Progress)})
}

func (p *progressWriter) error(err error) {
	p.write(progressMessage{
		Message:      jsonstream.Message{Error: &jsonstream.Error{Message: err.Error()}},
		ErrorMessage: err.Error(),
	})
}
