// Package logs is the json-file log driver: the same on-disk format as
// Docker's json-file driver, written by the shim and read by the daemon.
package logs

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/berth-dev/berth/internal/jsonstr"
)

// Message is one decoded log entry.
type Message struct {
	Stream string
	// Line is the "log" field; it ends in '\n' unless the entry is a partial
	// line. It is only valid during the emit call that receives it: the
	// reader reuses its buffer for the next entry.
	Line  []byte
	Time  time.Time
	Attrs map[string]string
}

var errUnusual = errors.New("unusual entry")

// decodeEntry parses one entry into m, reusing m.Line's memory. The fast
// path knows the three fields Docker writes in its order; anything else goes
// through encoding/json.
func decodeEntry(data []byte, m *Message) error {
	return (&decoder{}).decode(data, m)
}

// decoder decodes the entries of one read. It remembers the last time
// string: the shim stamps all lines of one read with the same time, so most
// entries repeat their predecessor's.
type decoder struct {
	lastTS   []byte
	lastTime time.Time
}

func (d *decoder) decode(data []byte, m *Message) error {
	*m = Message{Line: m.Line[:0]}
	if d.decodeWriterShape(data, m) {
		return nil
	}
	if err := d.decodeFast(data, m); err == nil {
		return nil
	}
	var e struct {
		Log    string            `json:"log"`
		Stream string            `json:"stream"`
		Time   time.Time         `json:"time"`
		Attrs  map[string]string `json:"attrs"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return err
	}
	*m = Message{Stream: e.Stream, Line: []byte(e.Log), Time: e.Time, Attrs: e.Attrs}
	return nil
}

// decodeFast handles `{"log":"...","stream":"...","time":"..."}`, each field optional.
func decodeFast(data []byte, m *Message) error { return (&decoder{}).decodeFast(data, m) }

func (d *decoder) decodeFast(data []byte, m *Message) error {
	*m = Message{Line: m.Line[:0]}
	p := 0
	if len(data) < 2 || data[0] != '{' {
		return errUnusual
	}
	p = 1
	for {
		if p >= len(data) {
			return errUnusual
		}
		if data[p] == '}' {
			return nil
		}
		if data[p] == ',' {
			p++
		}
		key, n, ok := scanKey(data[p:])
		if !ok {
			return errUnusual
		}
		p += n
		val, n, ok := jsonstr.Scan(data[p:])
		if !ok {
			return errUnusual
		}
		p += n
		switch key {
		case "log":
			line, ok := jsonstr.Unquote(val, m.Line[:0])
			if !ok {
				return errUnusual
			}
			m.Line = line
		case "stream":
			switch string(val) { // no allocation: the names are constants
			case "stdout":
				m.Stream = "stdout"
			case "stderr":
				m.Stream = "stderr"
			default:
				if !plain(val) {
					return errUnusual
				}
				m.Stream = string(val)
			}
		case "time":
			if string(val) == string(d.lastTS) && len(val) > 0 {
				m.Time = d.lastTime
				continue
			}
			t, ok := parseUTCTime(val)
			if !ok {
				var err error
				if t, err = time.Parse(time.RFC3339Nano, string(val)); err != nil {
					return errUnusual
				}
			}
			m.Time = t
			d.lastTS, d.lastTime = append(d.lastTS[:0], val...), t
		default:
			return errUnusual
		}
	}
}

// parseUTCTime parses the form the writer produces,
// "2006-01-02T15:04:05.999999999Z" (UTC, 0 to 9 fraction digits), without
// time.Parse's generality: it is most of the cost of reading a big log.
func parseUTCTime(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	min, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 {
		return time.Time{}, false
	}
	nsec := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) > 10 || len(frac) < 2 {
			return time.Time{}, false
		}
		n, ok := num(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for i := len(frac) - 1; i < 9; i++ {
			n *= 10
		}
		nsec = n
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, nsec, time.UTC), true
}

// scanKey reads `"key":` and returns the key.
func scanKey(b []byte) (string, int, bool) {
	switch {
	case len(b) > 6 && string(b[:6]) == `"log":`:
		return "log", 6, true
	case len(b) > 9 && string(b[:9]) == `"stream":`:
		return "stream", 9, true
	case len(b) > 7 && string(b[:7]) == `"time":`:
		return "time", 7, true
	}
	return "", 0, false
}

func plain(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return false
		}
	}
	return true
}
