package logs

import (
	"bytes"

	"github.com/berth-dev/berth/internal/jsonstr"
)

// The exact shape logwriter (and dockerd) writes for a line of output:
//
//	{"log":"<escaped text>","stream":"stdout","time":"<RFC 3339 UTC>"}
//
// decodeWriterShape takes it apart from both ends without scanning the text
// for its closing quote: the time and stream are at fixed places before the
// final `"}`. Entries of any other shape report false and take the general
// path.
func (d *decoder) decodeWriterShape(data []byte, m *Message) bool {
	const head, tail = `{"log":"`, `"}`
	const timeKey = `,"time":"`
	if len(data) < len(head)+len(tail) || string(data[:len(head)]) != head || string(data[len(data)-len(tail):]) != tail {
		return false
	}
	// The time is short: look for its key near the end only.
	from := max(len(head), len(data)-len(tail)-40-len(timeKey))
	k := bytes.LastIndex(data[from:len(data)-len(tail)], []byte(timeKey))
	if k < 0 {
		return false
	}
	k += from
	ts := data[k+len(timeKey) : len(data)-len(tail)]
	rest := data[len(head):k]
	var raw []byte
	switch {
	case bytes.HasSuffix(rest, []byte(`","stream":"stdout"`)):
		m.Stream, raw = "stdout", rest[:len(rest)-len(`","stream":"stdout"`)]
	case bytes.HasSuffix(rest, []byte(`","stream":"stderr"`)):
		m.Stream, raw = "stderr", rest[:len(rest)-len(`","stream":"stderr"`)]
	default:
		return false
	}
	// A quote inside the text is escaped in valid JSON; telling an escaped
	// one from a stray one needs the general scanner.
	if bytes.IndexByte(raw, '"') >= 0 {
		return false
	}
	line, ok := jsonstr.Unquote(raw, m.Line[:0])
	if !ok {
		return false
	}
	m.Line = line
	if string(ts) == string(d.lastTS) && len(ts) > 0 {
		m.Time = d.lastTime
		return true
	}
	t, ok := parseUTCTime(ts)
	if !ok {
		return false
	}
	m.Time = t
	d.lastTS, d.lastTime = append(d.lastTS[:0], ts...), t
	return true
}
