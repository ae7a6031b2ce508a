package dockerfile

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// DefaultShell is the shell of shell-form RUN/CMD/ENTRYPOINT.
var DefaultShell = []string{"/bin/sh", "-c"}

// DefaultPath is set when the base image has no PATH, as BuildKit does.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// StageConfig is what a stage's config-only instructions change, plus
// whether CMD was set in this stage (ENTRYPOINT resets an inherited CMD).
type StageConfig struct {
	Image  *dockerspec.DockerOCIImage
	CmdSet bool
}

// Shell is the stage's current shell.
func (s *StageConfig) Shell() []string {
	if len(s.Image.Config.Shell) > 0 {
		return s.Image.Config.Shell
	}
	return DefaultShell
}

// ShellArgs turns a shell-dependent command line into argv.
func (s *StageConfig) ShellArgs(c instructions.ShellDependantCmdLine) []string {
	if c.PrependShell {
		return append(append([]string{}, s.Shell()...), strings.Join(c.CmdLine, " "))
	}
	return append([]string{}, c.CmdLine...)
}

// EnsurePath adds Docker's default PATH to an image without one.
func EnsurePath(img *dockerspec.DockerOCIImage) {
	for _, e := range img.Config.Env {
		if strings.HasPrefix(e, "PATH=") {
			return
		}
	}
	img.Config.Env = append([]string{DefaultPath}, img.Config.Env...)
}

// SetEnv replaces or appends KEY=VALUE.
func SetEnv(env []string, k, v string) []string {
	for i, e := range env {
		if ek, _, _ := strings.Cut(e, "="); ek == k {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

// Apply applies a config-only instruction (already expanded) and returns
// the history text it leaves. ok is false for instructions that need the
// filesystem (RUN, COPY, ADD) or have none (ARG).
func (s *StageConfig) Apply(cmd instructions.Command) (createdBy string, ok bool, err error) {
	cfg := &s.Image.Config
	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		var parts []string
		for _, kv := range c.Env {
			cfg.Env = SetEnv(cfg.Env, kv.Key, kv.Value)
			parts = append(parts, kv.Key+"="+kv.Value)
		}
		return "ENV " + strings.Join(parts, " "), true, nil
	case *instructions.LabelCommand:
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		var parts []string
		for _, kv := range c.Labels {
			cfg.Labels[kv.Key] = kv.Value
			parts = append(parts, kv.Key+"="+kv.Value)
		}
		return "LABEL " + strings.Join(parts, " "), true, nil
	case *instructions.MaintainerCommand:
		s.Image.Author = c.Maintainer
		return "MAINTAINER " + c.Maintainer, true, nil
	case *instructions.CmdCommand:
		cfg.Cmd = s.ShellArgs(c.ShellDependantCmdLine)
		s.CmdSet = true
		return fmt.Sprintf("CMD %q", cfg.Cmd), true, nil
	case *instructions.EntrypointCommand:
		if c.CmdLine == nil {
			cfg.Entrypoint = nil
		} else {
			cfg.Entrypoint = s.ShellArgs(c.ShellDependantCmdLine)
		}
		// An ENTRYPOINT resets a CMD inherited from the base image.
		if !s.CmdSet {
			cfg.Cmd = nil
		}
		return fmt.Sprintf("ENTRYPOINT %q", cfg.Entrypoint), true, nil
	case *instructions.WorkdirCommand:
		cfg.WorkingDir = ResolveWorkdir(cfg.WorkingDir, c.Path)
		return "WORKDIR " + cfg.WorkingDir, true, nil
	case *instructions.UserCommand:
		cfg.User = c.User
		return "USER " + c.User, true, nil
	case *instructions.ExposeCommand:
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		var ports []string
		for _, p := range c.Ports {
			for _, one := range strings.Fields(p) {
				spec, err := portSpec(one)
				if err != nil {
					return "", true, err
				}
				for _, sp := range spec {
					cfg.ExposedPorts[sp] = struct{}{}
					ports = append(ports, sp)
				}
			}
		}
		sort.Strings(ports)
		return "EXPOSE " + strings.Join(ports, " "), true, nil
	case *instructions.VolumeCommand:
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			v = strings.TrimSpace(v)
			if v == "" {
				return "", true, fmt.Errorf("VOLUME specified can not be an empty string")
			}
			cfg.Volumes[v] = struct{}{}
		}
		return fmt.Sprintf("VOLUME %v", c.Volumes), true, nil
	case *instructions.StopSignalCommand:
		if err := validSignal(c.Signal); err != nil {
			return "", true, err
		}
		cfg.StopSignal = c.Signal
		return "STOPSIGNAL " + c.Signal, true, nil
	case *instructions.HealthCheckCommand:
		h := *c.Health
		cfg.Healthcheck = &h
		return fmt.Sprintf("HEALTHCHECK %v", healthText(cfg.Healthcheck)), true, nil
	case *instructions.ShellCommand:
		cfg.Shell = append([]string{}, c.Shell...)
		return fmt.Sprintf("SHELL %v", c.Shell), true, nil
	case *instructions.OnbuildCommand:
		cfg.OnBuild = append(cfg.OnBuild, c.Expression)
		return "ONBUILD " + c.Expression, true, nil
	}
	return "", false, nil
}

// ResolveWorkdir resolves a WORKDIR against the current one.
func ResolveWorkdir(cur, p string) string {
	if !path.IsAbs(p) {
		if cur == "" {
			cur = "/"
		}
		p = path.Join(cur, p)
	}
	return path.Clean(p)
}

// portSpec turns "80", "80/udp" or "8000-8002/tcp" into "80/tcp" forms.
func portSpec(p string) ([]string, error) {
	num, proto, _ := strings.Cut(p, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return nil, fmt.Errorf("invalid proto: %s", proto)
	}
	lo, hi, isRange := strings.Cut(num, "-")
	var a, b int
	if _, err := fmt.Sscanf(lo, "%d", &a); err != nil || a < 0 || a > 65535 {
		return nil, fmt.Errorf("invalid containerPort: %s", num)
	}
	b = a
	if isRange {
		if _, err := fmt.Sscanf(hi, "%d", &b); err != nil || b < a || b > 65535 {
			return nil, fmt.Errorf("invalid containerPort: %s", num)
		}
	}
	var out []string
	for i := a; i <= b; i++ {
		out = append(out, fmt.Sprintf("%d/%s", i, proto))
	}
	return out, nil
}

func validSignal(s string) error {
	if s == "" {
		return fmt.Errorf("invalid signal: empty")
	}
	if n := 0; func() bool { _, err := fmt.Sscanf(s, "%d", &n); return err == nil }() {
		return nil
	}
	if !strings.HasPrefix(strings.ToUpper(s), "SIG") && !strings.HasPrefix(strings.ToUpper(s), "RTMIN") {
		s = "SIG" + s
	}
	if strings.Trim(strings.ToUpper(s), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-") != "" {
		return fmt.Errorf("invalid signal: %s", s)
	}
	return nil
}

// healthText is BuildKit's history text of a HEALTHCHECK.
func healthText(h *dockerspec.HealthcheckConfig) string {
	return fmt.Sprintf("&{%q %q %q %q %q %d}", h.Test, h.Interval, h.Timeout, h.StartPeriod, h.StartInterval, h.Retries)
}
