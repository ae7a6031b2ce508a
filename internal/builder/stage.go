package builder

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/builder/cache"
	"github.com/berth-dev/berth/internal/builder/dockerfile"
	"github.com/berth-dev/berth/internal/image"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// buildStage runs stage i's instructions and returns its final state.
func (j *job) buildStage(ctx context.Context, i int) (*state, error) {
	stage := j.df.Stages[i]
	step := j.first[i]
	out := j.out.stage(i)
	out.printf("Step %d/%d : %s\n", step, j.total, stage.SourceCode)
	st, err := j.fromState(ctx, i)
	if err != nil {
		return nil, j.stepErr(stage.SourceCode, dockerfile.Line(stage.Location), err)
	}
	st.out = out
	shown := st.baseID
	if shown == "" {
		shown = imageID(st.img)
	}
	st.out.printf(" ---> %s\n", short(shown))
	scope := j.args.NewScope(j.global)

	// The base image's ONBUILD triggers run first; the new image does not
	// inherit them.
	triggers := st.img.Config.OnBuild
	if len(triggers) > 0 {
		st.img.Config.OnBuild = nil
		st.out.printf("# Executing %d build trigger", len(triggers))
		if len(triggers) > 1 {
			st.out.printf("s")
		}
		st.out.printf("\n")
		for _, t := range triggers {
			cmd, err := parseTrigger(t)
			if err != nil {
				return nil, j.stepErr(stage.SourceCode, dockerfile.Line(stage.Location), fmt.Errorf("ONBUILD trigger %q: %w", t, err))
			}
			if err := j.dispatch(ctx, i, st, scope, cmd); err != nil {
				return nil, j.stepErr("ONBUILD "+t, dockerfile.Line(stage.Location), err)
			}
		}
	}
	for _, cmd := range stage.Commands {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		step++
		text := instructionText(cmd)
		st.out.printf("Step %d/%d : %s\n", step, j.total, text)
		t0 := time.Now()
		if err := j.dispatch(ctx, i, st, scope, cmd); err != nil {
			return nil, j.stepErr(text, dockerfile.Line(cmd.Location()), err)
		}
		j.b.log.Debug("build: step", "step", step, "instruction", cmd.Name(), "duration", time.Since(t0))
		st.out.printf(" ---> %s\n", short(imageID(st.img)))
	}
	return st, nil
}

func parseTrigger(t string) (instructions.Command, error) {
	res, err := parser.Parse(strings.NewReader(t))
	if err != nil {
		return nil, err
	}
	if len(res.AST.Children) != 1 {
		return nil, fmt.Errorf("expected one instruction")
	}
	return instructions.ParseCommand(res.AST.Children[0])
}

// fromState is the starting state of stage i: an earlier stage's result,
// a local image, or scratch.
func (j *job) fromState(ctx context.Context, i int) (*state, error) {
	stage := j.df.Stages[i]
	if stage.Platform != "" {
		p, err := j.global.Expand(stage.Platform, nil)
		if err != nil {
			return nil, err
		}
		if err := checkPlatform(p); err != nil {
			return nil, err
		}
	}
	if b := j.baseOf[i]; b >= 0 {
		base, err := j.wait(ctx, b)
		if err != nil {
			return nil, err
		}
		return &state{img: cloneImage(base.img), layers: append([]image.Layer{}, base.layers...), key: cache.Key(base.key, "FROM stage"), cmdSet: false}, nil
	}
	name := j.bases[i]
	if name == "scratch" {
		img := dockerspec.DockerOCIImage{Image: ocispec.Image{
			Platform: ocispec.Platform{OS: "linux", Architecture: dockerfile.PlatformArgs()["TARGETARCH"]},
			RootFS:   ocispec.RootFS{Type: "layers"},
		}}
		dockerfile.EnsurePath(&img)
		return &state{img: img, key: cache.Key("", "FROM scratch")}, nil
	}
	base, err := j.baseImage(ctx, i, name)
	if err != nil {
		return nil, err
	}
	st := &state{img: cloneImage(base.Config), key: cache.Key("", "FROM", base.ID.String()), baseID: base.ID}
	for k, l := range base.Layers {
		st.layers = append(st.layers, image.Layer{Desc: l, DiffID: base.Config.RootFS.DiffIDs[k], ChainID: base.ChainIDs[k]})
	}
	dockerfile.EnsurePath(&st.img)
	return st, nil
}

// dispatch runs one instruction on st.
func (j *job) dispatch(ctx context.Context, i int, st *state, scope *dockerfile.Scope, cmd instructions.Command) error {
	expander := scope.ExpanderFor(st.img.Config.Env, j.df.EscapeToken)
	switch c := cmd.(type) {
	case *instructions.ArgCommand:
		if err := scope.Declare(c, st.img.Config.Env); err != nil {
			return err
		}
		// ARG leaves no history; its values are part of later keys.
		st.key = cache.Key(st.key, "ARG", strings.Join(scope.RunArgs(st.img.Config.Env), "\x00"))
		return nil
	case *instructions.RunCommand:
		if err := c.Expand(expander); err != nil {
			return err
		}
		return j.runStep(ctx, i, st, scope, c)
	case *instructions.CopyCommand:
		if err := c.Expand(expander); err != nil {
			return err
		}
		return j.copyStep(ctx, i, st, copyRequest{SourcesAndDest: c.SourcesAndDest, From: c.From, Chown: c.Chown, Chmod: c.Chmod, Link: c.Link, Exclude: c.ExcludePatterns, Parents: c.Parents, Text: instructionText(c)})
	case *instructions.AddCommand:
		if err := c.Expand(expander); err != nil {
			return err
		}
		return j.copyStep(ctx, i, st, copyRequest{SourcesAndDest: c.SourcesAndDest, Chown: c.Chown, Chmod: c.Chmod, Link: c.Link, Exclude: c.ExcludePatterns, Add: true, Checksum: c.Checksum, Text: instructionText(c)})
	}
	if e, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
		if err := e.Expand(expander); err != nil {
			return err
		}
	}
	sc := dockerfile.StageConfig{Image: &st.img, CmdSet: st.cmdSet}
	before := cloneImage(st.img)
	createdBy, ok, err := sc.Apply(cmd)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("unknown instruction: %s", strings.ToUpper(cmd.Name()))
	}
	st.cmdSet = sc.CmdSet
	key := cache.Key(st.key, createdBy)
	// A cached config step reuses the history entry's timestamp, so a
	// fully cached rebuild gives the same image ID.
	applied := st.img
	st.img = before
	if j.cached(st, key) {
		return nil
	}
	st.img = applied
	if j.sourceHit(st, key) {
		return nil
	}
	j.commit(st, key, createdBy, nil)
	return nil
}

// baseImage finds stage i's FROM image, pulling it first when it is
// missing or the build asked for --pull (as the classic builder does).
func (j *job) baseImage(ctx context.Context, i int, name string) (*image.Image, error) {
	img, err := j.b.resolveImage(name)
	if (err == nil && !j.opts.Pull) || j.opts.PullImage == nil {
		if err != nil {
			return nil, fmt.Errorf("%v: pull or load %s first", err, name)
		}
		return img, nil
	}
	if perr := j.opts.PullImage(ctx, name, j.out.stage(i)); perr != nil {
		if err == nil {
			return nil, perr
		}
		return nil, fmt.Errorf("%v (pulling it failed: %v)", err, perr)
	}
	return j.b.resolveImage(name)
}
