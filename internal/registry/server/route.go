package server

import "strings"

// route is a parsed /v2/ path: the repository name and what is addressed in it.
type route struct {
	kind string // "base", "catalog", "blob", "upload", "uploads", "manifest", "tags", "referrers"
	name string
	ref  string // digest, tag or upload id
}

// parseRoute splits a /v2/ path. Repository names contain slashes, so the path is read
// from its end: the last path element is the reference, the marker before it the kind.
func parseRoute(p string) (route, bool) {
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		if p == "/v2" {
			return route{kind: "base"}, true
		}
		return route{}, false
	}
	if rest == "" {
		return route{kind: "base"}, true
	}
	if rest == "_catalog" {
		return route{kind: "catalog"}, true
	}
	if name, ok := strings.CutSuffix(rest, "/tags/list"); ok {
		return route{kind: "tags", name: name}, true
	}
	if name, ok := strings.CutSuffix(rest, "/blobs/uploads/"); ok {
		return route{kind: "uploads", name: name}, true
	}
	if name, ok := strings.CutSuffix(rest, "/blobs/uploads"); ok {
		return route{kind: "uploads", name: name}, true
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 {
		return route{}, false
	}
	ref, head := rest[i+1:], rest[:i]
	for _, m := range []struct{ suffix, kind string }{
		{"/blobs/uploads", "upload"},
		{"/blobs", "blob"},
		{"/manifests", "manifest"},
		{"/referrers", "referrers"},
	} {
		if name, ok := strings.CutSuffix(head, m.suffix); ok && name != "" && ref != "" {
			return route{kind: m.kind, name: name, ref: ref}, true
		}
	}
	return route{}, false
}
