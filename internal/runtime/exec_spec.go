package runtime

import (
	"slices"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// ExecProcessSpec builds the process for `exec` from the container's spec, as
// Docker's exec does: the container's env with cfg.Env on top, cfg.User (or
// the container's user), WorkingDir (or the container's), Tty, and all
// capabilities for a privileged exec. NoNewPrivileges, rlimits, the OOM score
// and the AppArmor/SELinux fields stay the container's. groupAdd is the
// container's HostConfig.GroupAdd, applied when cfg.User is resolved.
func ExecProcessSpec(base *specs.Spec, rootfs string, cfg *container.ExecCreateRequest, groupAdd ...string) (*specs.Process, error) {
	if base == nil || base.Process == nil {
		return nil, errdefs.Invalid("exec: the container has no process spec")
	}
	if len(cfg.Cmd) == 0 {
		return nil, errdefs.Invalid("No exec command specified")
	}
	bp := base.Process
	p := &specs.Process{
		Terminal:        cfg.Tty,
		User:            bp.User,
		Args:            slices.Clone(cfg.Cmd),
		Env:             slices.Clone(bp.Env),
		Cwd:             bp.Cwd,
		Capabilities:    bp.Capabilities,
		Rlimits:         bp.Rlimits,
		NoNewPrivileges: bp.NoNewPrivileges,
		ApparmorProfile: bp.ApparmorProfile,
		OOMScoreAdj:     bp.OOMScoreAdj,
		SelinuxLabel:    bp.SelinuxLabel,
	}
	p.User.AdditionalGids = slices.Clone(bp.User.AdditionalGids)
	if cfg.Tty && !slices.ContainsFunc(p.Env, func(e string) bool { return envKey(e) == "TERM" }) {
		p.Env = append(p.Env, "TERM=xterm")
	}
	p.Env = replaceOrAppendEnv(p.Env, cfg.Env)
	if cfg.WorkingDir != "" {
		p.Cwd = cfg.WorkingDir
	}
	if p.Cwd == "" {
		p.Cwd = "/"
	}
	if cfg.User != "" {
		u, err := resolveUser(rootfs, cfg.User, groupAdd)
		if err != nil {
			return nil, err
		}
		u.Umask = bp.User.Umask
		p.User = u
	}
	if cfg.Privileged {
		all := slices.Clone(availableCaps())
		p.Capabilities = &specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all}
	}
	if cfg.Tty && cfg.ConsoleSize != nil {
		p.ConsoleSize = &specs.Box{Height: cfg.ConsoleSize[0], Width: cfg.ConsoleSize[1]}
	}
	return p, nil
}
