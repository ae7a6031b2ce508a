// Package logs is the json-file log driver: the same on-disk format as
// Docker's json-file driver, written by the shim and read by the daemon.
package logs

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"
)

// Message is one decoded log entry.
type Message struct {
	Stream string
	Line   []byte // the "log" field; ends in '\n' unless the entry is a partial line
	Time   time.Time
	Attrs  map[string]string
}

// appendEntry appends one json-file entry (with its trailing newline) to
// buf, byte-for-byte as Docker's jsonlog.JSONLogs.MarshalJSONBuf writes it.
func appendEntry(buf []byte, stream string, line []byte, t time.Time) []byte {
	buf = append(buf, '{')
	first := true
	if len(line) != 0 {
		first = false
		buf = append(buf, `"log":`...)
		buf = appendJSONString(buf, line)
	}
	if stream != "" {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, `"stream":`...)
		buf = appendJSONString(buf, []byte(stream))
	}
	if !first {
		buf = append(buf, ',')
	}
	buf = append(buf, `"time":"`...)
	buf = t.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `"}`...)
	return append(buf, '\n')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as Docker does: encoding/json's rules including
// HTML escaping of <, > and &, invalid UTF-8 as \ufffd, U+2028/2029 escaped.
func appendJSONString(buf, s []byte) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '\\', '"':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

var errUnusual = errors.New("unusual entry")

// decodeEntry parses one entry. The fast path knows the three fields Docker
// writes in its order; anything else goes through encoding/json.
func decodeEntry(data []byte, m *Message) error {
	if err := decodeFast(data, m); err == nil {
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
func decodeFast(data []byte, m *Message) error {
	*m = Message{}
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
		val, n, ok := scanString(data[p:])
		if !ok {
			return errUnusual
		}
		p += n
		switch key {
		case "log":
			line, ok := unquote(val, m.Line[:0])
			if !ok {
				return errUnusual
			}
			m.Line = line
		case "stream":
			if !plain(val) {
				return errUnusual
			}
			m.Stream = string(val)
		case "time":
			t, err := time.Parse(time.RFC3339Nano, string(val))
			if err != nil {
				return errUnusual
			}
			m.Time = t
		default:
			return errUnusual
		}
	}
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

// scanString returns the raw (still escaped) content of the string at b[0].
func scanString(b []byte) ([]byte, int, bool) {
	if len(b) == 0 || b[0] != '"' {
		return nil, 0, false
	}
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return b[1:i], i + 1, true
		}
	}
	return nil, 0, false
}

func plain(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return false
		}
	}
	return true
}

// unquote decodes JSON string escapes of raw into dst.
func unquote(raw, dst []byte) ([]byte, bool) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(raw) {
			return nil, false
		}
		switch raw[i] {
		case 'n':
			dst = append(dst, '\n')
		case 't':
			dst = append(dst, '\t')
		case 'r':
			dst = append(dst, '\r')
		case '"', '\\', '/':
			dst = append(dst, raw[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'u':
			r, ok := hex4(raw[i+1:])
			if !ok {
				return nil, false
			}
			i += 4
			if utf16Surrogate(r) {
				if i+6 < len(raw)+0 && raw[i+1] == '\\' && raw[i+2] == 'u' {
					if r2, ok := hex4(raw[i+3:]); ok && r2 >= 0xDC00 && r2 <= 0xDFFF && r < 0xDC00 {
						r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
						i += 6
						dst = utf8.AppendRune(dst, r)
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return nil, false
		}
	}
	return dst, true
}

func utf16Surrogate(r rune) bool { return r >= 0xD800 && r <= 0xDFFF }

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}
