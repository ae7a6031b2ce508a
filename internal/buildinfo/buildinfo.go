// Package buildinfo reports which commit the running binary was built from
// and when, from what `go build` records of the repository (vcs.revision,
// vcs.time): `version` shows them as Docker's "Git commit" and "Built".
package buildinfo

import (
	"runtime/debug"
	"sync"
)

var read = sync.OnceValues(func() (commit, built string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", ""
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.time":
			built = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(commit) > 7 {
		commit = commit[:7]
	}
	if commit != "" && dirty {
		commit += "-dirty"
	}
	return commit, built
})

// Commit is the short commit ("a1b2c3d", "-dirty" when the tree had
// changes), or "" for a build outside a repository.
func Commit() string {
	c, _ := read()
	return c
}

// Time is the commit's time in RFC 3339 (what the Engine API's BuildTime
// carries), or "".
func Time() string {
	_, t := read()
	return t
}
