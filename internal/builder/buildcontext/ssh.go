package buildcontext

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// SSHDir is the reserved top-level directory of the context tar in which
// `berth build --ssh` sends what it forwards, one directory per id: a file
// SSHSocketFile holding the path of the client's agent socket (usable only
// when client and daemon share the machine), or private key files named
// SSHKeyPrefix+N. Like SecretsDir it is taken out of the context before
// anything else reads it.
const (
	SSHDir        = ".berth-build-ssh"
	SSHSocketFile = "socket"
	SSHKeyPrefix  = "key-"
)

// SSHSource is what the client forwards for one --ssh id.
type SSHSource struct {
	Socket string   // the client's agent socket, a path on the daemon's host
	Keys   [][]byte // private keys (PEM / OpenSSH format)
}

// takeSSH moves SSHDir out of the context and reads it into c.SSH.
func (c *Context) takeSSH() error {
	c.SSH = map[string]SSHSource{}
	src := filepath.Join(c.Dir, SSHDir)
	if _, err := os.Lstat(src); err != nil {
		return nil
	}
	dst := filepath.Join(c.tmp, "ssh")
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	ids, err := os.ReadDir(dst)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !id.IsDir() {
			continue
		}
		dir := filepath.Join(dst, id.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		sort.Slice(files, func(i, j int) bool { return files[i].Name() < files[j].Name() })
		var s SSHSource
		for _, f := range files {
			if !f.Type().IsRegular() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, f.Name()))
			if err != nil {
				return err
			}
			switch {
			case f.Name() == SSHSocketFile:
				s.Socket = strings.TrimSpace(string(data))
			case strings.HasPrefix(f.Name(), SSHKeyPrefix):
				s.Keys = append(s.Keys, data)
			}
		}
		if s.Socket == "" && len(s.Keys) == 0 {
			return fmt.Errorf("--ssh %s: nothing forwarded", id.Name())
		}
		c.SSH[id.Name()] = s
	}
	// The key files are in memory now; nothing of them stays on disk.
	return os.RemoveAll(dst)
}
