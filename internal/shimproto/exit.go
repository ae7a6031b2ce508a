package shimproto

import (
	"strconv"
	"unicode/utf8"
)

// AppendExitJSON appends e as the JSON object encoding/json would produce
// (same field names and order), without linking encoding/json into the shim.
func AppendExitJSON(b []byte, e Exit) []byte {
	b = append(b, `{"exit_code":`...)
	b = strconv.AppendInt(b, int64(e.ExitCode), 10)
	b = append(b, `,"exited_at":`...)
	b = appendJSONString(b, e.ExitedAt)
	b = append(b, `,"oom_killed":`...)
	b = strconv.AppendBool(b, e.OOMKilled)
	if e.Error != "" {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, e.Error)
	}
	return append(b, '}')
}

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
