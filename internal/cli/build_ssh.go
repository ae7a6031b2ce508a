package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/internal/builder/buildcontext"
	"golang.org/x/crypto/ssh"
)

// sshExtras turns `--ssh default|ID[=SOCKET|KEYFILE[,KEYFILE...]]` into
// context entries under buildcontext.SSHDir. Keys are sent (the daemon
// serves them from memory for the RUN steps that mount them); an agent
// socket is sent by path, which only works when the daemon runs on the
// same machine: any daemon address but a unix socket is refused.
func sshExtras(specs []string, host string) ([]extraEntry, error) {
	var out []extraEntry
	seen := map[string]bool{}
	for _, spec := range specs {
		id, paths, hasPaths := strings.Cut(spec, "=")
		if id == "" || strings.ContainsAny(id, "/\\") || id == "." || id == ".." {
			return nil, fmt.Errorf("invalid ssh id in %q", spec)
		}
		if seen[id] {
			return nil, fmt.Errorf("--ssh %s given twice", id)
		}
		seen[id] = true
		var list []string
		if hasPaths {
			list = strings.Split(paths, ",")
		} else {
			sock := os.Getenv("SSH_AUTH_SOCK")
			if sock == "" {
				return nil, errors.New("invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set")
			}
			list = []string{sock}
		}
		dir := buildcontext.SSHDir + "/" + id + "/"
		for k, p := range list {
			fi, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("--ssh %s: %w", id, err)
			}
			if fi.Mode()&fs.ModeSocket != 0 {
				if len(list) > 1 {
					return nil, fmt.Errorf("--ssh %s: an agent socket cannot be combined with other paths", id)
				}
				if !strings.HasPrefix(host, "unix://") {
					return nil, fmt.Errorf("--ssh %s: the agent socket %s can be forwarded only to a daemon on this machine (unix socket), not %s; forward key files instead (--ssh %s=KEYFILE)", id, p, host, id)
				}
				abs, err := filepath.Abs(p)
				if err != nil {
					return nil, err
				}
				out = append(out, extraEntry{name: dir + buildcontext.SSHSocketFile, data: []byte(abs), mode: 0o400})
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("--ssh %s: %w", id, err)
			}
			if _, err := ssh.ParseRawPrivateKey(data); err != nil {
				var pm *ssh.PassphraseMissingError
				if errors.As(err, &pm) {
					return nil, fmt.Errorf("--ssh %s: %s is protected by a passphrase: add it to ssh-agent and forward the agent (--ssh %s)", id, p, id)
				}
				return nil, fmt.Errorf("--ssh %s: %s is not a private key: %w", id, p, err)
			}
			out = append(out, extraEntry{name: fmt.Sprintf("%s%s%d", dir, buildcontext.SSHKeyPrefix, k), data: data, mode: 0o400})
		}
	}
	return out, nil
}
