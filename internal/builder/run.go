package builder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/builder/cache"
	"github.com/berth-dev/berth/internal/builder/dockerfile"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/moby/api/types/mount"
)

// runStep is RUN: a container on the stage's layers whose upper dir becomes
// the step's layer.
func (j *job) runStep(ctx context.Context, i int, st *state, scope *dockerfile.Scope, c *instructions.RunCommand) error {
	sc := dockerfile.StageConfig{Image: &st.img}
	args := runArgs(sc.Shell(), c.ShellDependantCmdLine)
	runArgsKV := scope.RunArgs(st.img.Config.Env)
	createdBy := "RUN "
	if len(runArgsKV) > 0 {
		createdBy += fmt.Sprintf("|%d %s ", len(runArgsKV), strings.Join(runArgsKV, " "))
	}
	createdBy += strings.TrimRight(strings.Join(args, " "), "\n")

	network := instructions.GetNetwork(c)
	if network == instructions.NetworkDefault && j.opts.NetworkMode != "" {
		network = j.opts.NetworkMode
	}
	mounts, err := j.prepareMounts(ctx, i, instructions.GetMounts(c))
	if err != nil {
		return err
	}
	defer mounts.release()
	script, err := j.shebangScript(c.ShellDependantCmdLine, mounts)
	if err != nil {
		return err
	}
	if script != nil {
		args = script
	}
	key := cache.Key(st.key, createdBy, "network="+network, mounts.key)
	if j.cached(st, key) || j.sourceHit(st, key) {
		return nil
	}
	env := append(scope.Env(st.img.Config.Env), mounts.env...)
	id := randomID()
	st.out.printf(" ---> Running in %s\n", id[:12])
	layer, err := j.b.runContainer(ctx, runSpec{
		id: id, layers: st.layers, args: args, env: env,
		workdir: st.img.Config.WorkingDir, user: st.img.Config.User,
		network: network, mounts: mounts.mounts, out: st.out,
		display: strings.Join(args, " "),
	})
	if err != nil {
		return err
	}
	st.out.printf(" ---> Removed intermediate container %s\n", id[:12])
	j.commit(st, key, createdBy, layer)
	return nil
}

// runArgs is the argv of a RUN. Shell-form heredocs go to the shell as
// part of the script (the shell reads them itself); a RUN that is only a
// heredoc runs the heredoc's body as the script.
func runArgs(shell []string, c instructions.ShellDependantCmdLine) []string {
	if !c.PrependShell {
		return append([]string{}, c.CmdLine...)
	}
	script := strings.Join(c.CmdLine, " ")
	if len(c.Files) == 1 && strings.HasPrefix(strings.TrimSpace(script), "<<") &&
		strings.Trim(strings.TrimSpace(script), "<-'\"") == c.Files[0].Name {
		body := c.Files[0].Data
		if c.Files[0].Chomp {
			body = chompTabs(body)
		}
		return append(append([]string{}, shell...), body)
	}
	for _, f := range c.Files {
		script += "\n" + f.Data + f.Name
	}
	return append(append([]string{}, shell...), script)
}

func chompTabs(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimLeft(l, "\t")
	}
	return strings.Join(lines, "\n")
}

func randomID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// runMounts are a RUN's --mount's, ready for the container.
type runMounts struct {
	mounts   []mount.Mount
	env      []string
	key      string
	releases []func()
}

func (m *runMounts) release() {
	for i := len(m.releases) - 1; i >= 0; i-- {
		m.releases[i]()
	}
}

// prepareMounts turns RUN --mount flags into container mounts. Secrets
// add nothing to the cache key but their ids, never their contents.
func (j *job) prepareMounts(ctx context.Context, i int, specs []*instructions.Mount) (*runMounts, error) {
	rm := &runMounts{}
	var keys []string
	sshMounts := 0
	ok := false
	defer func() {
		if !ok {
			rm.release()
		}
	}()
	for _, m := range specs {
		switch m.Type {
		case instructions.MountTypeSecret:
			id := m.CacheID
			if id == "" {
				id = path.Base(m.Target)
			}
			src, have := j.bc.Secrets[id]
			if !have {
				if m.Required {
					return nil, fmt.Errorf("secret %s: not provided (berth build --secret id=%s,src=FILE)", id, id)
				}
				continue
			}
			keys = append(keys, "secret:"+id+":"+m.Target)
			if m.Env != nil && *m.Env != "" {
				data, err := os.ReadFile(src)
				if err != nil {
					return nil, err
				}
				rm.env = append(rm.env, *m.Env+"="+string(data))
				if m.Target == "" {
					continue
				}
			}
			target := m.Target
			if target == "" {
				target = "/run/secrets/" + id
			}
			if err := secretFileMode(src, m); err != nil {
				return nil, err
			}
			rm.mounts = append(rm.mounts, mount.Mount{Type: mount.TypeBind, Source: src, Target: target, ReadOnly: true})
		case instructions.MountTypeCache:
			id := m.CacheID
			if id == "" {
				id = m.Target
			}
			dir := j.b.cacheMountsDir() + "/" + cacheMountName(id)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			keys = append(keys, "cache:"+id+":"+m.Target)
			rm.mounts = append(rm.mounts, mount.Mount{Type: mount.TypeBind, Source: dir, Target: m.Target, ReadOnly: m.ReadOnly})
		case instructions.MountTypeTmpfs:
			keys = append(keys, "tmpfs:"+m.Target)
			rm.mounts = append(rm.mounts, mount.Mount{Type: mount.TypeTmpfs, Target: m.Target, TmpfsOptions: &mount.TmpfsOptions{SizeBytes: m.SizeLimit}})
		case instructions.MountTypeBind:
			src, key, release, err := j.bindSource(ctx, i, m)
			if err != nil {
				return nil, err
			}
			rm.releases = append(rm.releases, release)
			keys = append(keys, "bind:"+key+":"+m.Target)
			// A writable bind gets an overlay whose writes are dropped.
			rm.mounts = append(rm.mounts, mount.Mount{Type: mount.TypeBind, Source: src, Target: m.Target, ReadOnly: m.ReadOnly})
		case instructions.MountTypeSSH:
			mounted, key, err := j.sshMount(m, sshMounts, rm)
			sshMounts++
			if err != nil {
				return nil, err
			}
			if mounted {
				keys = append(keys, key)
			}
		default:
			return nil, fmt.Errorf("RUN --mount=type=%s is not supported by berth", m.Type)
		}
	}
	sort.Strings(keys)
	rm.key = strings.Join(keys, "\x00")
	ok = true
	return rm, nil
}

func cacheMountName(id string) string {
	return hex.EncodeToString([]byte(id))
}

func secretFileMode(src string, m *instructions.Mount) error {
	mode := os.FileMode(0o400)
	if m.Mode != nil {
		mode = os.FileMode(*m.Mode)
	}
	if err := os.Chmod(src, mode); err != nil {
		return err
	}
	uid, gid := 0, 0
	if m.UID != nil {
		uid = int(*m.UID)
	}
	if m.GID != nil {
		gid = int(*m.GID)
	}
	return os.Chown(src, uid, gid)
}

// shebangScript handles `RUN <<EOF` whose body starts with "#!": like
// BuildKit, the body becomes an executable file (mounted read-only under
// /dev/pipes) run by its own interpreter instead of the shell. nil when
// the RUN is not such a heredoc.
func (j *job) shebangScript(c instructions.ShellDependantCmdLine, rm *runMounts) ([]string, error) {
	if !c.PrependShell || len(c.Files) != 1 || !strings.HasPrefix(c.Files[0].Data, "#!") ||
		strings.Trim(strings.TrimSpace(strings.Join(c.CmdLine, " ")), "<-'\"") != c.Files[0].Name {
		return nil, nil
	}
	f, err := os.CreateTemp(j.b.tmpDir(), "heredoc-")
	if err != nil {
		return nil, err
	}
	rm.releases = append(rm.releases, func() { os.Remove(f.Name()) })
	body := c.Files[0].Data
	if c.Files[0].Chomp {
		body = chompTabs(body)
	}
	if _, err := f.WriteString(body); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Chmod(f.Name(), 0o755); err != nil {
		return nil, err
	}
	target := "/dev/pipes/" + c.Files[0].Name
	rm.mounts = append(rm.mounts, mount.Mount{Type: mount.TypeBind, Source: f.Name(), Target: target, ReadOnly: true})
	return []string{target}, nil
}
