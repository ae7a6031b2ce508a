package logs

import (
	"bytes"

	"github.com/berth-dev/berth/internal/jsonstr"
)

// The exact shape logwriter (and dockerd) writes for a line of output:
//
//	{"log":"<escaped text>","stream":"stdout","time":"<RFC 3339 UTC>"}
//
// timeLengths are the lengths an RFC 3339 time can have, likeliest first.
var timeLengths = [...]int{30, 29, 28, 27, 26, 25, 24, 23, 22, 20, 31, 32, 33, 34, 35}

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
	// The time (20 to 35 bytes, no quote) is opened by the `":"` that ends
	// its key; the writer's nanosecond times are 30 bytes or a little less.
	end := len(data) - len(tail)
	q := -1
	for _, n := range timeLengths {
		if p := end - n - 1; p >= 2 && data[p] == '"' && data[p-1] == ':' && data[p-2] == '"' {
			q = p
			break
		}
	}
	k := q + 1 - len(timeKey)
	if q < 0 || k < len(head) || string(data[k:q+1]) != timeKey {
		return false
	}
	ts := data[q+1 : end]
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
