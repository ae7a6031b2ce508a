// Package auth guards the registry server: htpasswd (bcrypt) basic auth, and bearer tokens
// that the registry issues itself from a token endpoint, challenging clients with
// `WWW-Authenticate: Bearer realm=...,service=...,scope=...` as Docker Hub does.
package auth

import (
	"fmt"
	"net/http"
	"strings"
)

// Access is one permission a request needs, in the token scope grammar
// (`repository:<name>:<action>`).
type Access struct {
	Type   string // "repository" or "registry"
	Name   string
	Action string // "pull", "push", "delete", "*"
}

func (a Access) String() string { return a.Type + ":" + a.Name + ":" + a.Action }

// Scope renders accesses as a scope parameter: actions on one resource joined by commas.
func Scope(need []Access) string {
	var parts []string
	idx := map[string]int{}
	for _, a := range need {
		key := a.Type + ":" + a.Name
		if i, ok := idx[key]; ok {
			parts[i] += "," + a.Action
			continue
		}
		idx[key] = len(parts)
		parts = append(parts, a.String())
	}
	return strings.Join(parts, " ")
}

// Challenge is the error of a request that lacks (valid) credentials; Header is the
// WWW-Authenticate value.
type Challenge struct {
	Header  string
	Message string
}

func (c *Challenge) Error() string { return c.Message }

// Authorizer decides whether a request may do what need lists.
type Authorizer interface {
	// Authorize returns nil, or a *Challenge to send with a 401.
	Authorize(r *http.Request, need []Access) error
}

// ParseScope parses one scope item `type:name:action[,action]`. The name may hold colons
// (a registry with a port), so type is before the first colon and actions after the last.
func ParseScope(s string) ([]Access, error) {
	first := strings.IndexByte(s, ':')
	last := strings.LastIndexByte(s, ':')
	if first < 0 || last == first {
		return nil, fmt.Errorf("invalid scope %q", s)
	}
	typ, name, actions := s[:first], s[first+1:last], s[last+1:]
	var out []Access
	for _, a := range strings.Split(actions, ",") {
		if a != "" {
			out = append(out, Access{Type: typ, Name: name, Action: a})
		}
	}
	return out, nil
}
