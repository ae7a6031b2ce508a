package jsonstr

import (
	"encoding/json"
	"strings"
	"testing"
)

// Unquote agrees with encoding/json on the escapes JSON writers produce.
func TestUnquoteMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"plain", "tab\tnew\nline", `quote " back \ slash`, "<html> & co", "é ✓ 😀", "\x01\x1f"} {
		enc, _ := json.Marshal(s)
		raw, n, ok := Scan(append(enc, ',', 'x'))
		if !ok || n != len(enc) {
			t.Fatalf("Scan(%s) = %q, %d, %v", enc, raw, n, ok)
		}
		got, ok := Unquote(raw, nil)
		if !ok || string(got) != s {
			t.Errorf("Unquote(%s) = %q, %v; want %q", raw, got, ok, s)
		}
	}
	if got, ok := Unquote([]byte(`\ud83d\ude00`), nil); !ok || string(got) != "😀" {
		t.Errorf("surrogate pair = %q, %v", got, ok)
	}
	for _, bad := range []string{`\x`, `\u12`, `tail\`} {
		if _, ok := Unquote([]byte(bad), nil); ok {
			t.Errorf("Unquote(%q) accepted bad input", bad)
		}
	}
	if _, _, ok := Scan([]byte(`"unterminated`)); ok {
		t.Error("Scan accepted an unterminated string")
	}
}

// Scan finds the closing quote after runs of backslashes of every parity.
func TestScanBackslashRuns(t *testing.T) {
	for n := 0; n < 6; n++ {
		s := "a" + strings.Repeat(`\`, n) + `"b` + strings.Repeat(`\`, n)
		enc, _ := json.Marshal(s)
		raw, m, ok := Scan(append(enc, `,"next"`...))
		if !ok || m != len(enc) {
			t.Fatalf("Scan(%s) = %q, %d, %v", enc, raw, m, ok)
		}
		if got, ok := Unquote(raw, nil); !ok || string(got) != s {
			t.Errorf("Unquote(%s) = %q; want %q", raw, got, s)
		}
	}
}
