package dockerfile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// TargetIndex is the index of the stage named target ("" = the last one).
func (df *Dockerfile) TargetIndex(target string) (int, error) {
	if target == "" {
		return len(df.Stages) - 1, nil
	}
	for i, s := range df.Stages {
		if strings.EqualFold(s.Name, target) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("failed to reach build target %s in Dockerfile", target)
}

// StageRef resolves a stage reference (name or index, as in COPY --from or
// FROM) seen from stage at: the index of an earlier stage, or -1 when ref
// names an image instead.
func (df *Dockerfile) StageRef(ref string, at int) int {
	for i := 0; i < at && i < len(df.Stages); i++ {
		if df.Stages[i].Name != "" && strings.EqualFold(df.Stages[i].Name, ref) {
			return i
		}
	}
	if n, err := strconv.Atoi(ref); err == nil && n >= 0 && n < at {
		return n
	}
	return -1
}

// Deps are the earlier stages stage i reads from: its base and every
// COPY --from / RUN --mount from= that names a stage. FROM names are
// compared after meta-arg expansion by the caller (baseStage).
func (df *Dockerfile) Deps(i int, baseStage int) []int {
	seen := map[int]bool{}
	var out []int
	add := func(j int) {
		if j >= 0 && !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	add(baseStage)
	for _, c := range df.Stages[i].Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			if c.From != "" {
				add(df.StageRef(c.From, i))
			}
		case *instructions.RunCommand:
			// Mounts are parsed by Expand; the builder expands again with
			// the real args before running the step.
			c.Expand(func(w string) (string, error) { return w, nil })
			for _, m := range instructions.GetMounts(c) {
				if m.From != "" {
					add(df.StageRef(m.From, i))
				}
			}
		}
	}
	return out
}

// Needed lists the stages target transitively depends on (target
// included), in Dockerfile order. bases[i] is stage i's base stage or -1.
func (df *Dockerfile) Needed(target int, bases []int) []int {
	need := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if need[i] {
			return
		}
		need[i] = true
		for _, d := range df.Deps(i, bases[i]) {
			visit(d)
		}
	}
	visit(target)
	var out []int
	for i := range df.Stages {
		if need[i] {
			out = append(out, i)
		}
	}
	return out
}
