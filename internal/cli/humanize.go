package cli

import (
	"strings"
	"time"
	"unicode/utf8"

	units "github.com/docker/go-units"
)

// now is replaced in tests.
var now = time.Now

// truncateID shortens an ID (without "sha256:") to 12 characters, as docker does.
func truncateID(id string) string {
	if i := strings.IndexRune(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// ellipsis cuts s to max runes, marking the cut with "…".
func ellipsis(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	rs := []rune(s)
	if max == 1 {
		return string(rs[0])
	}
	return string(rs[:max-1]) + "…"
}

// humanSize renders bytes like docker's tables (3 significant digits, decimal units).
func humanSize(n int64) string {
	return units.HumanSizeWithPrecision(float64(n), 3)
}

// sinceUnix renders "5 seconds ago" for a unix timestamp.
func sinceUnix(sec int64) string {
	return units.HumanDuration(now().UTC().Sub(time.Unix(sec, 0))) + " ago"
}
