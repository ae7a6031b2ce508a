// Package logwriter writes Docker's json-file log format. Containers' logs
// are written by berth-shim's C monitor (cmd/berth-shim/jsonlog.c); this
// package is the reference its tests hold it byte-identical to, and the
// tests' way to make log files for the reader (internal/logs).
package logwriter

import (
	"encoding/binary"
	"time"
	"unicode/utf8"
)

// AppendEntry appends one json-file entry (with its trailing newline) to
// buf, byte-for-byte as Docker's jsonlog.JSONLogs.MarshalJSONBuf writes it.
func AppendEntry(buf []byte, stream string, line []byte, t time.Time) []byte {
	return appendEntryTS(buf, stream, line, t.UTC().AppendFormat(nil, time.RFC3339Nano))
}

// appendEntryTS is AppendEntry with the time already formatted, so that the
// lines of one read share a single formatting.
func appendEntryTS(buf []byte, stream string, line, ts []byte) []byte {
	buf = append(buf, '{')
	first := true
	if len(line) != 0 {
		first = false
		buf = append(buf, `"log":`...)
		buf = AppendJSONString(buf, line)
	}
	if stream != "" {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, `"stream":`...)
		buf = AppendJSONString(buf, []byte(stream))
	}
	if !first {
		buf = append(buf, ',')
	}
	buf = append(buf, `"time":"`...)
	buf = append(buf, ts...)
	return append(buf, '"', '}', '\n')
}

const hexDigits = "0123456789abcdef"

// plainASCII marks the bytes that need no escaping.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '\\' && b != '"' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// AppendJSONString quotes s as Docker does: encoding/json's rules including
// HTML escaping of <, > and &, invalid UTF-8 as \ufffd, U+2028/2029 escaped.
func AppendJSONString(buf, s []byte) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		// The common case: skip eight bytes at a time while none needs
		// escaping: no byte is a control character, '"', '\\', '<', '>', '&' or
		// non-ASCII (SWAR: a lane's high bit marks a match; written out inline).
		for i+8 <= len(s) {
			x := binary.LittleEndian.Uint64(s[i:])
			q, bs, lt := x^(lanes*'"'), x^(lanes*'\\'), x^(lanes*'<')
			gt, amp := x^(lanes*'>'), x^(lanes*'&')
			if (x|(x-lanes*0x20)&^x|(q-lanes)&^q|(bs-lanes)&^bs|(lt-lanes)&^lt|(gt-lanes)&^gt|(amp-lanes)&^amp)&highBits != 0 {
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		if b := s[i]; b < utf8.RuneSelf {
			if plainASCII[b] {
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
			case '\b': // as encoding/json since Go 1.22 (Docker's builds)
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
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

// SWAR constants: a byte repeated in every lane, and each lane's high bit.
const lanes, highBits = 0x0101010101010101, 0x8080808080808080
