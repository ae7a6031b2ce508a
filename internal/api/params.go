// Query and body parsing with dockerd's rules: its boolean spellings, its
// timestamp format ("<seconds>[.<nanoseconds>]") and its JSON errors.

package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/filters"
)

// boolValue is false for "", "0", "no", "false" and "none" (any case) and
// true for anything else, as dockerd reads it.
func boolValue(r *http.Request, k string) bool {
	switch strings.ToLower(strings.TrimSpace(r.URL.Query().Get(k))) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}

// boolDefault is d when k is absent.
func boolDefault(r *http.Request, k string, d bool) bool {
	if _, ok := r.URL.Query()[k]; !ok {
		return d
	}
	return boolValue(r, k)
}

func query(r *http.Request, k string) string { return r.URL.Query().Get(k) }

// queryAll is every value of a repeated parameter (changes=...&changes=...).
func queryAll(r *http.Request, k string) []string { return r.URL.Query()[k] }

// intPtr is nil when k is absent or empty.
func intPtr(r *http.Request, k string) (*int, error) {
	v := query(r, k)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, errdefs.Invalid("invalid value for %s: %q", k, v)
	}
	return &n, nil
}

// uintParam reads a required unsigned 32-bit value (resize h and w).
func uintParam(r *http.Request, k, what string) (uint, error) {
	v := query(r, k)
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, errdefs.Invalid("invalid resize %s %q", what, v)
	}
	return uint(n), nil
}

func filterArgs(r *http.Request) (filters.Args, error) {
	f, err := filters.Parse(query(r, "filters"))
	if err != nil {
		return nil, errdefs.As(errdefs.KindInvalid, err)
	}
	return f, nil
}

// timestampParam reads dockerd's "<seconds>[.<nanoseconds>]" form (what
// clients send after converting durations and dates); RFC 3339 is also
// accepted. Absent or empty is the zero time.
func timestampParam(r *http.Request, k string) (time.Time, error) {
	v := query(r, k)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	secs, frac, hasFrac := strings.Cut(v, ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, errdefs.Invalid("invalid value for %s: %q", k, v)
	}
	var nsec int64
	if hasFrac {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		n, err := strconv.ParseInt(frac, 10, 64)
		if err != nil {
			return time.Time{}, errdefs.Invalid("invalid value for %s: %q", k, v)
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		nsec = n
	}
	return time.Unix(sec, nsec), nil
}

// checkJSON refuses a body that is not declared as JSON; no Content-Type
// is fine when there is no body.
func checkJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" && (r.Body == nil || r.ContentLength == 0) {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return errdefs.Invalid("malformed Content-Type header (%s): %v", ct, err)
	}
	if mt != "application/json" {
		return errdefs.Invalid("unsupported Content-Type header (%s): must be 'application/json'", ct)
	}
	return nil
}

// readJSON decodes an optional JSON body into out; it reports whether there
// was one.
func readJSON(r *http.Request, out any) (bool, error) {
	if err := checkJSON(r); err != nil {
		return false, err
	}
	if r.Body == nil || r.ContentLength == 0 {
		return false, nil
	}
	if err := decodeJSON(r.Body, out); err != nil {
		if err == errEmptyBody && r.ContentLength < 0 {
			return false, nil // chunked and empty
		}
		return false, err
	}
	return true, nil
}

// decodeJSON decodes exactly one JSON value with dockerd's messages.
func decodeJSON(body io.Reader, out any) error {
	dec := json.NewDecoder(body)
	if err := dec.Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return errEmptyBody
		}
		return errdefs.Invalid("invalid JSON: %v", err)
	}
	if dec.More() {
		return errdefs.Invalid("unexpected content after JSON")
	}
	return nil
}

// errEmptyBody is dockerd's answer to a required body that is empty.
var errEmptyBody = errdefs.Invalid("invalid JSON: got EOF while reading request body")

// repoTag reads "repo" and "tag"; a tag written into repo
// ("localhost:5000/a/b:v1", as the moby client sends for import) is split
// off when "tag" is empty, as dockerd's reference parsing does.
func repoTag(r *http.Request) (repo, tag string) {
	repo, tag = query(r, "repo"), query(r, "tag")
	if tag == "" && !strings.Contains(repo, "@") {
		if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
			repo, tag = repo[:i], repo[i+1:]
		}
	}
	return repo, tag
}
