// Package dockerfile parses Dockerfiles with BuildKit's own parser and
// instruction packages and holds the instruction semantics that change an
// image's config (no containers, no files): ENV, ARG scoping, CMD,
// ENTRYPOINT, WORKDIR, USER, SHELL, EXPOSE, LABEL, VOLUME, STOPSIGNAL,
// HEALTHCHECK, ONBUILD and the history entries they leave.
package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	Name        string // as given with -f, for error messages
	Stages      []instructions.Stage
	MetaArgs    []instructions.ArgCommand // ARGs before the first FROM
	EscapeToken rune
	// Syntax is the `# syntax=` directive, if any. Only the standard
	// frontend is accepted: berth builds it itself, offline.
	Syntax   string
	Warnings []string
}

// standardFrontends are the images a `# syntax=` line may name: they all
// mean "the Dockerfile frontend", which is what berth implements.
var standardFrontends = []string{"docker/dockerfile", "docker.io/docker/dockerfile", "docker.io/docker/dockerfile-upstream", "docker/dockerfile-upstream"}

// Parse parses data. Errors name the file and line, as "Dockerfile:3: ...".
func Parse(name string, data []byte) (*Dockerfile, error) {
	if name == "" {
		name = "Dockerfile"
	}
	df := &Dockerfile{Name: name}
	if syntax, _, _, ok := parser.DetectSyntax(data); ok {
		if !IsStandardFrontend(syntax) {
			return nil, fmt.Errorf("%s: syntax %q: berth builds only the standard Dockerfile frontend (docker/dockerfile) and cannot pull others", name, syntax)
		}
		df.Syntax = syntax
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil && strings.Contains(err.Error(), "file with no instructions") {
		return nil, fmt.Errorf("%s: the Dockerfile cannot be empty", name)
	}
	if err != nil {
		return nil, df.locate(err, "")
	}
	df.EscapeToken = res.EscapeToken
	for _, w := range res.Warnings {
		df.Warnings = append(df.Warnings, w.Short)
	}
	if len(res.AST.Children) == 0 {
		return nil, fmt.Errorf("%s: the Dockerfile cannot be empty", name)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, df.locate(err, failingInstruction(res.AST, err))
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("%s: no build stage in the Dockerfile: it must start with FROM (after optional ARGs)", name)
	}
	df.Stages, df.MetaArgs = stages, metaArgs
	return df, nil
}

// IsStandardFrontend reports whether a `# syntax=` reference names the
// standard Dockerfile frontend (any tag or digest).
func IsStandardFrontend(ref string) bool {
	repo := ref
	if i := strings.IndexAny(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i >= 0 && !strings.Contains(repo[i:], "/") {
		repo = repo[:i]
	}
	for _, f := range standardFrontends {
		if repo == f {
			return true
		}
	}
	return false
}

// Line is the first line of a parsed instruction (0 if unknown).
func Line(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}

// locate prefixes err with "FILE:LINE: " when the parser knows the line.
func (df *Dockerfile) locate(err error, instruction string) error {
	var le *parser.LocationError
	msg := err.Error()
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		line := le.Locations[0][0].Start.Line
		if !strings.Contains(msg, "dockerfile parse error") {
			msg = fmt.Sprintf("dockerfile parse error on line %d: %s", line, msg)
		}
		if instruction != "" {
			return fmt.Errorf("%s:%d: %s: %s", df.Name, line, instruction, msg)
		}
		return fmt.Errorf("%s:%d: %s", df.Name, line, msg)
	}
	return fmt.Errorf("%s: dockerfile parse error: %s", df.Name, msg)
}

// failingInstruction is the source text of the instruction an error of
// instructions.Parse points at.
func failingInstruction(ast *parser.Node, err error) string {
	var le *parser.LocationError
	if !errors.As(err, &le) || len(le.Locations) == 0 || len(le.Locations[0]) == 0 {
		return ""
	}
	line := le.Locations[0][0].Start.Line
	for _, n := range ast.Children {
		if n.StartLine == line {
			return strings.TrimSpace(n.Original)
		}
	}
	return ""
}

// StepError wraps an error of one instruction with its file, line and text:
// "Dockerfile:5: RUN false: <err>".
type StepError struct {
	File, Instruction string
	Line              int
	Err               error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %v", e.File, e.Line, e.Instruction, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }
