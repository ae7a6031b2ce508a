package main

import (
	"github.com/berth-dev/berth/internal/jsonstr"
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
	raw, n, ok := jsonstr.Scan(b)
	if !ok {
		return "", 0, false
	}
	out, ok := jsonstr.Unquote(raw, nil)
	return string(out), n, ok
}
