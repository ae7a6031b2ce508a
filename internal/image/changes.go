package image

import (
	"encoding/json"
	"path"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// Instructions `docker import --change` and `docker commit --change` accept.
var changeCommands = map[string]bool{
	"cmd": true, "entrypoint": true, "env": true, "expose": true, "label": true,
	"onbuild": true, "stopsignal": true, "user": true, "volume": true, "workdir": true,
}

var knownInstructions = map[string]bool{
	"add": true, "arg": true, "copy": true, "from": true, "healthcheck": true,
	"maintainer": true, "run": true, "shell": true,
}

// ApplyChanges applies Dockerfile instructions (one per entry) to cfg.
func ApplyChanges(cfg *dockerspec.DockerOCIImageConfig, changes []string) error {
	cmdSet := false
	for i, change := range changes {
		line := strings.TrimSpace(change)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		if w, r, ok := strings.Cut(line, "\t"); ok && len(w) < len(word) {
			word, rest = w, r
		}
		rest = strings.TrimSpace(rest)
		cmd := strings.ToLower(word)
		if !changeCommands[cmd] {
			if knownInstructions[cmd] {
				return errdefs.Invalid("%s is not a valid change command", cmd)
			}
			return errdefs.Invalid("dockerfile parse error line %d: unknown instruction: %s", i+1, strings.ToUpper(word))
		}
		switch cmd {
		case "cmd":
			cfg.Cmd = execOrShell(rest)
			cmdSet = true
		case "entrypoint":
			cfg.Entrypoint = execOrShell(rest)
			if !cmdSet {
				cfg.Cmd = nil
			}
		case "env":
			kvs, err := keyValues(rest, "ENV")
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				cfg.Env = setEnv(cfg.Env, kv[0], kv[1])
			}
		case "label":
			kvs, err := keyValues(rest, "LABEL")
			if err != nil {
				return err
			}
			if cfg.Labels == nil {
				cfg.Labels = map[string]string{}
			}
			for _, kv := range kvs {
				cfg.Labels[kv[0]] = kv[1]
			}
		case "expose":
			if cfg.ExposedPorts == nil {
				cfg.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range strings.Fields(rest) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				cfg.ExposedPorts[strings.ToLower(p)] = struct{}{}
			}
		case "onbuild":
			cfg.OnBuild = append(cfg.OnBuild, rest)
		case "stopsignal":
			cfg.StopSignal = rest
		case "user":
			cfg.User = rest
		case "volume":
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			vols := jsonArray(rest)
			if vols == nil {
				vols = strings.Fields(rest)
			}
			for _, v := range vols {
				cfg.Volumes[v] = struct{}{}
			}
		case "workdir":
			wd := unquote(rest)
			if !path.IsAbs(wd) {
				wd = path.Join("/", cfg.WorkingDir, wd)
			}
			cfg.WorkingDir = wd
		}
	}
	return nil
}

func jsonArray(s string) []string {
	if !strings.HasPrefix(s, "[") {
		return nil
	}
	var out []string
	if json.Unmarshal([]byte(s), &out) != nil {
		return nil
	}
	return out
}

// execOrShell reads the JSON (exec) form or wraps the shell form.
func execOrShell(s string) []string {
	if a := jsonArray(s); a != nil {
		return a
	}
	return []string{"/bin/sh", "-c", s}
}

func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if name, _, _ := strings.Cut(e, "="); name == k {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

// keyValues parses "k=v k2="v 2"" or the legacy "k value with spaces".
func keyValues(s, instr string) ([][2]string, error) {
	words := splitWords(s)
	if len(words) == 0 {
		return nil, errdefs.Invalid("%s requires at least one argument", instr)
	}
	if !strings.Contains(words[0], "=") {
		k, v, _ := strings.Cut(s, " ")
		if strings.TrimSpace(v) == "" && instr == "ENV" {
			return nil, errdefs.Invalid("ENV must have two arguments")
		}
		return [][2]string{{unquote(k), unquote(strings.TrimSpace(v))}}, nil
	}
	var out [][2]string
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, errdefs.Invalid("Syntax error - can't find = in %q. Must be of the form: name=value", w)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// splitWords splits on blanks outside quotes, removing quotes and escapes.
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	in := false
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\' && quote != '\'':
			esc = true
			in = true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote = r
			in = true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

func unquote(s string) string {
	w := splitWords(s)
	if len(w) == 1 {
		return w[0]
	}
	return s
}
