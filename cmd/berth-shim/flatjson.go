package main

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// flatJSONStrings parses one flat JSON object (a runtime log line) and
// returns its string-valued members; other values are skipped. It spares
// the shim encoding/json and its reflection.
func flatJSONStrings(b []byte) (map[string]string, bool) {
	p := skipSpace(b, 0)
	if p >= len(b) || b[p] != '{' {
		return nil, false
	}
	out := map[string]string{}
	p = skipSpace(b, p+1)
	if p < len(b) && b[p] == '}' {
		return out, true
	}
	for p < len(b) {
		key, n, ok := jsonString(b[p:])
		if !ok {
			return nil, false
		}
		p = skipSpace(b, p+n)
		if p >= len(b) || b[p] != ':' {
			return nil, false
		}
		p = skipSpace(b, p+1)
		if p < len(b) && b[p] == '"' {
			val, n, ok := jsonString(b[p:])
			if !ok {
				return nil, false
			}
			out[key] = val
			p += n
		} else {
			// A number, bool or null: up to the next separator.
			for p < len(b) && b[p] != ',' && b[p] != '}' {
				if b[p] == '{' || b[p] == '[' || b[p] == '"' {
					return nil, false // nested values are not flat
				}
				p++
			}
		}
		p = skipSpace(b, p)
		if p >= len(b) {
			return nil, false
		}
		if b[p] == '}' {
			return out, true
		}
		if b[p] != ',' {
			return nil, false
		}
		p = skipSpace(b, p+1)
	}
	return nil, false
}

func skipSpace(b []byte, p int) int {
	for p < len(b) && (b[p] == ' ' || b[p] == '\t' || b[p] == '\r' || b[p] == '\n') {
		p++
	}
	return p
}

// jsonString decodes the JSON string starting at b[0] and returns it with
// the number of bytes it took.
func jsonString(b []byte) (string, int, bool) {
	if len(b) == 0 || b[0] != '"' {
		return "", 0, false
	}
	var out []byte
	for i := 1; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			return string(out), i + 1, true
		case c < 0x20:
			return "", 0, false
		case c != '\\':
			out = append(out, c)
			continue
		}
		i++
		if i >= len(b) {
			return "", 0, false
		}
		switch b[i] {
		case '"', '\\', '/':
			out = append(out, b[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(b[i+1:])
			if !ok {
				return "", 0, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
					r2, ok = hex4(b[i+3:])
				}
				if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", 0, false
		}
	}
	return "", 0, false
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(v), err == nil
}
