package image

import (
	"slices"
	"strings"

	"github.com/berth-dev/berth/internal/builder/dockerfile"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// Instructions `docker import --change` and `docker commit --change` accept
// (dockerd's list).
var changeCommands = map[string]bool{
	"cmd": true, "entrypoint": true, "env": true, "expose": true, "healthcheck": true, "label": true,
	"onbuild": true, "stopsignal": true, "user": true, "volume": true, "workdir": true,
}

// ApplyChanges applies Dockerfile instructions (one per entry) to cfg, as
// a build would: the same parser, the same variable expansion against the
// config's Env, and the builder's own code for each instruction. Nothing
// is changed when one of them is refused.
func ApplyChanges(cfg *dockerspec.DockerOCIImageConfig, changes []string) error {
	if len(changes) == 0 {
		return nil
	}
	res, err := parser.Parse(strings.NewReader(strings.Join(changes, "\n")))
	if err != nil {
		return errdefs.Invalid("%s", err.Error())
	}
	for _, n := range res.AST.Children {
		if !changeCommands[strings.ToLower(n.Value)] {
			return errdefs.Invalid("%s is not a valid change command", strings.ToLower(n.Value))
		}
	}
	img := dockerspec.DockerOCIImage{Config: *cfg}
	img.Config.Env = append([]string{}, cfg.Env...)
	img.Config.Labels = copyMap(cfg.Labels)
	img.Config.ExposedPorts = copyMap(cfg.ExposedPorts)
	img.Config.Volumes = copyMap(cfg.Volumes)
	img.Config.OnBuild = slices.Clone(cfg.OnBuild) // appended to: may be a container record's
	sc := dockerfile.StageConfig{Image: &img}
	lex := shell.NewLex(res.EscapeToken)
	for _, n := range res.AST.Children {
		cmd, err := instructions.ParseCommand(n)
		if err != nil {
			return errdefs.Invalid("%s", err.Error())
		}
		if e, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
			env := shell.EnvsFromSlice(img.Config.Env)
			expand := func(word string) (string, error) {
				out, _, err := lex.ProcessWord(word, env)
				return out, err
			}
			if err := e.Expand(expand); err != nil {
				return errdefs.Invalid("%s", err.Error())
			}
		}
		if _, _, err := sc.Apply(cmd); err != nil {
			return errdefs.Invalid("%s", err.Error())
		}
	}
	*cfg = img.Config
	return nil
}

func copyMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return nil
	}
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
