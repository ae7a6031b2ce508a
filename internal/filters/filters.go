// Package filters parses the Engine API's "filters" query parameter and
// answers the questions list endpoints ask of it.
package filters

import (
	"encoding/json"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
)

// Args maps a filter name to the values given for it.
type Args map[string][]string

// Parse accepts both wire forms clients send: {"name":{"value":true}}
// (current) and {"name":["value"]} (API < 1.22 clients).
func Parse(raw string) (Args, error) {
	args := Args{}
	if raw == "" {
		return args, nil
	}
	var current map[string]map[string]bool
	if err := json.Unmarshal([]byte(raw), &current); err == nil {
		for k, vs := range current {
			for v, on := range vs {
				if on {
					args[k] = append(args[k], v)
				}
			}
		}
		return args, nil
	}
	var legacy map[string][]string
	if err := json.Unmarshal([]byte(raw), &legacy); err != nil {
		return nil, errdefs.Invalid("invalid filter: %v", err)
	}
	for k, vs := range legacy {
		args[k] = append(args[k], vs...)
	}
	return args, nil
}

// Has reports whether name was given at all.
func (a Args) Has(name string) bool { return len(a[name]) > 0 }

// Get returns the values of name.
func (a Args) Get(name string) []string { return a[name] }

// Validate refuses filter names outside allowed, with Docker's message.
func (a Args) Validate(allowed ...string) error {
	for k := range a {
		ok := false
		for _, n := range allowed {
			if n == k {
				ok = true
				break
			}
		}
		if !ok {
			return errdefs.Invalid("invalid filter '%s'", k)
		}
	}
	return nil
}

// MatchAny reports whether name has no values or one of them equals v.
func (a Args) MatchAny(name, v string) bool {
	vs := a[name]
	if len(vs) == 0 {
		return true
	}
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// MatchLabels reports whether labels satisfy every "label" filter: "key"
// (present) or "key=value" (equal). Use name "label!" for the negated form.
func (a Args) MatchLabels(name string, labels map[string]string) bool {
	for _, f := range a[name] {
		k, v, hasV := strings.Cut(f, "=")
		got, ok := labels[k]
		if !ok || (hasV && got != v) {
			return false
		}
	}
	return true
}
