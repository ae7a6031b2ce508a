package cli

import "testing"

// `version` prints build times as the docker CLI does; anything that is not
// RFC 3339 (or empty) goes out as it came.
func TestBuiltDisplay(t *testing.T) {
	for in, want := range map[string]string{
		"2025-05-30T12:07:14Z":           "Fri May 30 12:07:14 2025",
		"2025-05-30T12:07:14.123456789Z": "Fri May 30 12:07:14 2025",
		"":                               "",
		"yesterday":                      "yesterday",
	} {
		if got := builtDisplay(in); got != want {
			t.Errorf("builtDisplay(%q) = %q, want %q", in, got, want)
		}
	}
}
