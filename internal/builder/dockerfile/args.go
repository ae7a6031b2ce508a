package dockerfile

import (
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// proxyArgs may be passed with --build-arg and used by RUN without an ARG
// line; they never appear in history (Docker's builtinAllowedBuildArgs).
var proxyArgs = map[string]bool{
	"HTTP_PROXY": true, "http_proxy": true, "HTTPS_PROXY": true, "https_proxy": true,
	"FTP_PROXY": true, "ftp_proxy": true, "NO_PROXY": true, "no_proxy": true,
	"ALL_PROXY": true, "all_proxy": true,
}

// PlatformArgs are BuildKit's automatic platform args for the host.
func PlatformArgs() map[string]string {
	p := "linux/" + runtime.GOARCH
	return map[string]string{
		"TARGETPLATFORM": p, "TARGETOS": "linux", "TARGETARCH": runtime.GOARCH, "TARGETVARIANT": "",
		"BUILDPLATFORM": p, "BUILDOS": "linux", "BUILDARCH": runtime.GOARCH, "BUILDVARIANT": "",
	}
}

// Args tracks build args: the values given with --build-arg, which of them
// the Dockerfile consumed, and each scope's declared args.
type Args struct {
	given map[string]*string
	// consumed is shared by stages that run in parallel.
	mu       sync.Mutex
	consumed map[string]bool
}

func (a *Args) consume(k string) {
	a.mu.Lock()
	a.consumed[k] = true
	a.mu.Unlock()
}

func NewArgs(given map[string]*string) *Args {
	if given == nil {
		given = map[string]*string{}
	}
	return &Args{given: given, consumed: map[string]bool{}}
}

// Scope is the set of ARGs declared in one stage (or before FROM).
type Scope struct {
	args  *Args
	names []string
	vals  map[string]string
	// global is the meta-arg scope: a stage's `ARG NAME` without a value
	// takes NAME's value from there.
	global *Scope
}

func (a *Args) NewScope(global *Scope) *Scope {
	return &Scope{args: a, vals: map[string]string{}, global: global}
}

// GlobalScope is the scope before the first FROM: the platform args, then
// the meta ARGs.
func (a *Args) GlobalScope(meta []instructions.ArgCommand) (*Scope, error) {
	s := a.NewScope(nil)
	for k, v := range PlatformArgs() {
		s.set(k, v)
	}
	for _, c := range meta {
		if err := s.Declare(&c, nil); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Scope) set(k, v string) {
	if _, ok := s.vals[k]; !ok {
		s.names = append(s.names, k)
	}
	s.vals[k] = v
}

// Declare applies an ARG instruction: a --build-arg value wins, then the
// default (expanded with env then earlier args), then the global value.
func (s *Scope) Declare(c *instructions.ArgCommand, env []string) error {
	for _, kv := range c.Args {
		if v, ok := s.args.given[kv.Key]; ok && v != nil {
			s.args.consume(kv.Key)
			s.set(kv.Key, *v)
			continue
		}
		s.args.consume(kv.Key)
		if kv.Value != nil {
			val, err := s.Expand(*kv.Value, env)
			if err != nil {
				return err
			}
			s.set(kv.Key, val)
			continue
		}
		if s.global != nil {
			if v, ok := s.global.vals[kv.Key]; ok {
				s.set(kv.Key, v)
				continue
			}
		}
		// Declared without a value: it exists (so a later --build-arg
		// check counts it) but is unset for RUN.
		if _, ok := s.vals[kv.Key]; !ok {
			s.names = append(s.names, kv.Key)
		}
	}
	return nil
}

// Expand expands word with env (which wins) and then the scope's args.
func (s *Scope) Expand(word string, env []string) (string, error) {
	lex := shell.NewLex('\\')
	out, _, err := lex.ProcessWord(word, shell.EnvsFromSlice(s.Env(env)))
	return out, err
}

// ExpanderFor returns an instructions.SingleWordExpander over env + args.
func (s *Scope) ExpanderFor(env []string, escape rune) instructions.SingleWordExpander {
	lex := shell.NewLex(escape)
	getter := shell.EnvsFromSlice(s.Env(env))
	return func(word string) (string, error) {
		out, _, err := lex.ProcessWord(word, getter)
		return out, err
	}
}

// Env is env plus the declared args that have a value and no ENV of the
// same name (ENV wins over ARG), plus proxy args given on the command line.
func (s *Scope) Env(env []string) []string {
	out := append([]string{}, env...)
	have := map[string]bool{}
	for _, e := range env {
		k, _, _ := strings.Cut(e, "=")
		have[k] = true
	}
	for _, kv := range s.RunArgs(env) {
		out = append(out, kv)
	}
	for k, v := range s.args.given {
		if proxyArgs[k] && v != nil && !have[k] && !s.has(k) {
			s.args.consume(k)
			out = append(out, k+"="+*v)
		}
	}
	return out
}

func (s *Scope) has(k string) bool { _, ok := s.vals[k]; return ok }

// RunArgs are the "K=V" args a RUN sees besides env, sorted by name: the
// ones shown in history as "|N K=V ...".
func (s *Scope) RunArgs(env []string) []string {
	have := map[string]bool{}
	for _, e := range env {
		k, _, _ := strings.Cut(e, "=")
		have[k] = true
	}
	var out []string
	for _, k := range s.names {
		v, ok := s.vals[k]
		if !ok || have[k] {
			continue
		}
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Unconsumed are --build-arg names no ARG declared, sorted (Docker warns).
func (a *Args) Unconsumed() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for k := range a.given {
		if !a.consumed[k] && !proxyArgs[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
