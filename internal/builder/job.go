package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/builder/buildcontext"
	"github.com/berth-dev/berth/internal/builder/cache"
	"github.com/berth-dev/berth/internal/builder/dockerfile"
	"github.com/berth-dev/berth/internal/image"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// job is one build.
type job struct {
	b      *Builder
	opts   Options
	df     *dockerfile.Dockerfile
	bc     *buildcontext.Context
	out    *output
	cancel context.CancelFunc

	args   *dockerfile.Args
	global *dockerfile.Scope
	bases  []string // each stage's expanded FROM name
	baseOf []int    // each stage's base stage, or -1
	first  []int    // each stage's first step number
	total  int

	results []*stageResult
	sources []*cacheSource // --cache-from images
}

// state is a stage's image so far.
type state struct {
	img    dockerspec.DockerOCIImage
	layers []image.Layer
	key    digest.Digest
	cmdSet bool
	baseID digest.Digest // the FROM image's ID, for the step line
	out    *stageWriter
}

type stageResult struct {
	done chan struct{}
	st   *state
	err  error
}

func (j *job) run(ctx context.Context) (string, error) {
	j.args = dockerfile.NewArgs(j.opts.BuildArgs)
	var err error
	if j.global, err = j.args.GlobalScope(j.df.MetaArgs); err != nil {
		return "", err
	}
	n := len(j.df.Stages)
	j.bases, j.baseOf = make([]string, n), make([]int, n)
	for i, st := range j.df.Stages {
		name, err := j.global.Expand(st.BaseName, nil)
		if err != nil {
			return "", j.stepErr(st.SourceCode, dockerfile.Line(st.Location), err)
		}
		if name == "" {
			return "", j.stepErr(st.SourceCode, dockerfile.Line(st.Location), errors.New("base name ("+st.BaseName+") should not be blank"))
		}
		j.bases[i] = name
		j.baseOf[i] = j.df.StageRef(name, i)
	}
	target, err := j.df.TargetIndex(j.opts.Target)
	if err != nil {
		return "", err
	}
	needed := j.df.Needed(target, j.baseOf)
	j.first = make([]int, n)
	step := 1
	for _, i := range needed {
		j.first[i] = step
		step += 1 + len(j.df.Stages[i].Commands)
	}
	j.total = step - 1
	j.out.order = needed
	j.openCacheSources(ctx)

	// Every needed stage starts at once and waits for the stages it reads.
	j.results = make([]*stageResult, n)
	for _, i := range needed {
		j.results[i] = &stageResult{done: make(chan struct{})}
	}
	var wg sync.WaitGroup
	for _, i := range needed {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := j.results[i]
			r.st, r.err = j.buildStage(ctx, i)
			if r.err != nil {
				j.cancel()
			}
			j.out.finish(i)
			close(r.done)
		}(i)
	}
	wg.Wait()
	// Report the first failure in Dockerfile order, not a cancellation
	// it caused in another stage.
	var firstErr error
	for _, i := range needed {
		if err := j.results[i].err; err != nil {
			if firstErr == nil || (errors.Is(firstErr, context.Canceled) && !errors.Is(err, context.Canceled)) {
				firstErr = err
			}
		}
	}
	if firstErr != nil {
		if ctx.Err() != nil && errors.Is(firstErr, context.Canceled) {
			return "", fmt.Errorf("build cancelled: %w", ctx.Err())
		}
		return "", firstErr
	}
	return j.publish(j.results[target].st)
}

// wait returns the finished state of stage i.
func (j *job) wait(ctx context.Context, i int) (*state, error) {
	r := j.results[i]
	select {
	case <-r.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.err != nil {
		return nil, context.Canceled
	}
	return r.st, nil
}

// publish creates the final image with the tags and --label labels.
func (j *job) publish(st *state) (string, error) {
	img := cloneImage(st.img)
	if len(j.opts.Labels) > 0 {
		if img.Config.Labels == nil {
			img.Config.Labels = map[string]string{}
		}
		for k, v := range j.opts.Labels {
			img.Config.Labels[k] = v
		}
	}
	descs := make([]ocispec.Descriptor, 0, len(st.layers))
	for _, l := range st.layers {
		descs = append(descs, l.Desc)
	}
	out, err := j.b.images.CreateImage(img, descs, j.opts.Tags)
	if err != nil {
		return "", err
	}
	j.out.printf("Successfully built %s\n", short(out.ID))
	for _, t := range j.opts.Tags {
		j.out.printf("Successfully tagged %s\n", familiarTag(t))
	}
	return out.ID.String(), nil
}

func familiarTag(t string) string {
	last := t[strings.LastIndex(t, "/")+1:]
	if !strings.Contains(last, ":") && !strings.Contains(t, "@") {
		return t + ":latest"
	}
	return t
}

// stepErr wraps err with the file, line and instruction it came from.
func (j *job) stepErr(text string, line int, err error) error {
	var se *dockerfile.StepError
	if errors.As(err, &se) || errors.Is(err, context.Canceled) {
		return err
	}
	return &dockerfile.StepError{File: j.df.Name, Line: line, Instruction: strings.TrimSpace(text), Err: err}
}

// imageID is the digest a state's config would have as an image: printed
// after each step as the classic builder prints intermediate image IDs.
func imageID(img dockerspec.DockerOCIImage) digest.Digest {
	data, _ := json.Marshal(img)
	return digest.FromBytes(data)
}

func cloneImage(img dockerspec.DockerOCIImage) dockerspec.DockerOCIImage {
	data, _ := json.Marshal(img)
	var out dockerspec.DockerOCIImage
	json.Unmarshal(data, &out)
	return out
}

// cached applies the cache entry of key to st. It reports a hit.
func (j *job) cached(st *state, key digest.Digest) bool {
	if j.opts.NoCache {
		return false
	}
	e, ok := j.b.cache.Get(key, func(e *cache.Entry) bool {
		for _, l := range e.Layers {
			if !j.b.images.HasLayer(l.Desc, l.ChainID) {
				return false
			}
		}
		return true
	})
	if !ok {
		return false
	}
	var img dockerspec.DockerOCIImage
	if json.Unmarshal(e.Config, &img) != nil {
		return false
	}
	st.img, st.layers, st.key = img, append([]image.Layer{}, e.Layers...), key
	st.out.printf(" ---> Using cache\n")
	return true
}

// commit records a step's result: a history entry (and layer, if own is
// set) on st, then the cache entry of key.
func (j *job) commit(st *state, key digest.Digest, createdBy string, own *image.Layer) {
	now := time.Now().UTC()
	h := ocispec.History{Created: &now, CreatedBy: createdBy, EmptyLayer: own == nil, Comment: stepMarker(key)}
	st.img.History = append(st.img.History, h)
	st.img.Created = &now
	if own != nil {
		st.layers = append(st.layers, *own)
		st.img.RootFS.DiffIDs = append(st.img.RootFS.DiffIDs, own.DiffID)
	}
	st.key = key
	data, _ := json.Marshal(st.img)
	j.b.cache.Put(key, &cache.Entry{Config: data, Layers: append([]image.Layer{}, st.layers...), Own: own, Description: createdBy})
}

// instructionText is the source text of a command, for step lines.
func instructionText(c instructions.Command) string {
	if s, ok := c.(fmt.Stringer); ok {
		return s.String()
	}
	return c.Name()
}
