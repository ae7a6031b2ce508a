// Package jsonstr decodes JSON strings by hand for the few places that
// read one flat JSON shape in a hot loop (json-file log lines).
package jsonstr

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// Scan returns the raw (still escaped) content of the string at b[0]. It
// jumps from quote to quote (bytes.IndexByte is vectorized): a quote ends
// the string unless an odd run of backslashes precedes it.
func Scan(b []byte) ([]byte, int, bool) {
	if len(b) == 0 || b[0] != '"' {
		return nil, 0, false
	}
	for i := 1; ; {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return nil, 0, false
		}
		q := i + j
		k := q - 1
		for k >= 1 && b[k] == '\\' {
			k--
		}
		if (q-1-k)%2 == 0 {
			return b[1:q], q + 1, true
		}
		i = q + 1
	}
}

// Unquote decodes JSON string escapes of raw into dst, copying the runs
// between escapes whole.
func Unquote(raw, dst []byte) ([]byte, bool) {
	for i := 0; i < len(raw); i++ {
		j := bytes.IndexByte(raw[i:], '\\')
		if j < 0 {
			return append(dst, raw[i:]...), true
		}
		dst = append(dst, raw[i:i+j]...)
		i += j + 1
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
