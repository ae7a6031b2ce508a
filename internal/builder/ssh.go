package builder

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/berth-dev/berth/internal/builder/buildcontext"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/moby/api/types/mount"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// RUN --mount=type=ssh: the step sees an agent socket (by default
// /run/buildkit/ssh_agent.N, with SSH_AUTH_SOCK naming the first) served by
// the daemon for that step only. It relays to the client's own agent
// socket or serves the forwarded keys from memory; the socket lives in a
// private temp dir outside the rootfs, so nothing of it reaches a layer,
// the history or the cache key (which holds the id and target only).

// sshMount prepares the n-th ssh mount of a RUN. ok is false when the id
// was not forwarded and the mount is optional.
func (j *job) sshMount(m *instructions.Mount, n int, rm *runMounts) (ok bool, key string, err error) {
	if m.Source != "" {
		return false, "", errors.New("ssh does not support source")
	}
	id := m.CacheID
	if id == "" {
		id = "default"
	}
	target := m.Target
	if target == "" {
		target = fmt.Sprintf("/run/buildkit/ssh_agent.%d", n)
	}
	src, have := j.bc.SSH[id]
	if !have {
		if m.Required {
			return false, "", fmt.Errorf("no SSH key %q forwarded from the client (berth build --ssh %s)", id, id)
		}
		return false, "", nil
	}
	mode := fs.FileMode(0o600)
	if m.Mode != nil {
		mode = fs.FileMode(*m.Mode)
	}
	uid, gid := 0, 0
	if m.UID != nil {
		uid = int(*m.UID)
	}
	if m.GID != nil {
		gid = int(*m.GID)
	}
	a, err := startSSHAgent(id, src, uid, gid, mode)
	if err != nil {
		return false, "", err
	}
	rm.releases = append(rm.releases, a.close)
	rm.mounts = append(rm.mounts, mount.Mount{Type: mount.TypeBind, Source: a.path, Target: target})
	if n == 0 {
		rm.env = append(rm.env, "SSH_AUTH_SOCK="+target)
	}
	return true, "ssh:" + id + ":" + target, nil
}

// sshAgent is one step's agent socket.
type sshAgent struct {
	dir, path string
	ln        net.Listener
	serve     func(net.Conn)
	mu        sync.Mutex
	conns     map[net.Conn]bool
	wg        sync.WaitGroup
}

func startSSHAgent(id string, src buildcontext.SSHSource, uid, gid int, mode fs.FileMode) (*sshAgent, error) {
	serve, err := agentServer(id, src)
	if err != nil {
		return nil, err
	}
	// A short path under the system temp dir: a unix socket path must fit
	// in 108 bytes, which a deep data root can exceed.
	dir, err := os.MkdirTemp("", "berth-ssh-")
	if err != nil {
		return nil, err
	}
	a := &sshAgent{dir: dir, path: filepath.Join(dir, "agent.sock"), serve: serve, conns: map[net.Conn]bool{}}
	if a.ln, err = net.Listen("unix", a.path); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := os.Chmod(a.path, mode); err == nil {
		err = os.Chown(a.path, uid, gid)
	}
	if err != nil {
		a.close()
		return nil, err
	}
	a.wg.Add(1)
	go a.accept()
	return a, nil
}

// agentServer is how a connection is served: relayed to the client's
// socket, or answered from a keyring of the forwarded keys.
func agentServer(id string, src buildcontext.SSHSource) (func(net.Conn), error) {
	if src.Socket != "" {
		fi, err := os.Stat(src.Socket)
		if err != nil || fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("--ssh %s: %s is not an agent socket on the daemon's host: berth forwards agent sockets only when the client and the daemon share the machine; forward key files instead (--ssh %s=KEYFILE)", id, src.Socket, id)
		}
		return func(c net.Conn) {
			up, err := net.Dial("unix", src.Socket)
			if err != nil {
				return
			}
			defer up.Close()
			done := make(chan struct{})
			go func() { io.Copy(up, c); up.(*net.UnixConn).CloseWrite(); close(done) }()
			io.Copy(c, up)
			c.Close() // the agent hung up: end the copy the other way too
			<-done
		}, nil
	}
	keyring := agent.NewKeyring()
	for k, data := range src.Keys {
		key, err := ssh.ParseRawPrivateKey(data)
		if err != nil {
			var pm *ssh.PassphraseMissingError
			if errors.As(err, &pm) {
				return nil, fmt.Errorf("--ssh %s: key %d is protected by a passphrase: add it to an agent and forward the agent (--ssh %s=$SSH_AUTH_SOCK)", id, k+1, id)
			}
			return nil, fmt.Errorf("--ssh %s: failed to parse key %d: %w", id, k+1, err)
		}
		if err := keyring.Add(agent.AddedKey{PrivateKey: key}); err != nil {
			return nil, fmt.Errorf("--ssh %s: %w", id, err)
		}
	}
	return func(c net.Conn) { agent.ServeAgent(keyring, c) }, nil
}

func (a *sshAgent) accept() {
	defer a.wg.Done()
	for {
		c, err := a.ln.Accept()
		if err != nil {
			return
		}
		a.mu.Lock()
		if a.conns == nil { // closing
			a.mu.Unlock()
			c.Close()
			return
		}
		a.conns[c] = true
		a.wg.Add(1)
		a.mu.Unlock()
		go func() {
			defer a.wg.Done()
			a.serve(c)
			c.Close()
			a.mu.Lock()
			delete(a.conns, c)
			a.mu.Unlock()
		}()
	}
}

// close stops the agent: the listener, every open connection, the socket.
func (a *sshAgent) close() {
	a.ln.Close()
	a.mu.Lock()
	for c := range a.conns {
		c.Close()
	}
	a.conns = nil
	a.mu.Unlock()
	a.wg.Wait()
	os.RemoveAll(a.dir)
}
