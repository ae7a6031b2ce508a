package daemon

import (
	"fmt"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	apicontainer "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// joinedNamespaces resolves --pid container:X and --ipc container:X to the
// running donor's namespace files, and --ipc container:X's /dev/shm to the
// donor's shareable tmpfs (ipc_shm.go), with Docker's errors. c.Mu is
// held; the donor's lock is taken briefly, as joinedNetNS does.
func (d *Daemon) joinedNamespaces(c *container.Container) (map[specs.LinuxNamespaceType]string, string, error) {
	hc := c.HostConfig
	paths := map[specs.LinuxNamespaceType]string{}
	shm := ""
	if hc.PidMode.IsContainer() {
		pid, _, _, err := d.namespaceDonor(c, hc.PidMode.Container())
		if err != nil {
			return nil, "", err
		}
		paths[specs.PIDNamespace] = fmt.Sprintf("/proc/%d/ns/pid", pid)
	}
	if hc.IpcMode.IsContainer() {
		ref := hc.IpcMode.Container()
		pid, donorID, donor, err := d.namespaceDonor(c, ref)
		if err != nil {
			return nil, "", err
		}
		if !donor.IsShareable() && !donor.IsHost() {
			return nil, "", errdefs.Invalid("container %s: non-shareable IPC (hint: use IpcMode:shareable for the donor container)", ref)
		}
		paths[specs.IPCNamespace] = fmt.Sprintf("/proc/%d/ns/ipc", pid)
		if donor.IsShareable() {
			shm = d.shmDir(donorID)
		}
	}
	return paths, shm, nil
}

// namespaceDonor finds the running container ref whose namespaces c
// joins: its init's pid, ID and IPC mode.
func (d *Daemon) namespaceDonor(c *container.Container, ref string) (int, string, apicontainer.IpcMode, error) {
	other, err := d.containers.Get(ref)
	if err != nil {
		return 0, "", "", errdefs.Invalid("No such container: %s", ref)
	}
	if other.ID == c.ID {
		return 0, "", "", errdefs.Invalid("cannot join own namespaces")
	}
	other.Mu.Lock()
	defer other.Mu.Unlock()
	switch {
	case other.State.Restarting:
		return 0, "", "", errdefs.Conflict("Container %s is restarting, wait until the container is running", other.ID)
	case !other.State.Running || other.State.Pid <= 0:
		return 0, "", "", errdefs.Conflict("container %s is not running", other.ID)
	}
	return other.State.Pid, other.ID, other.HostConfig.IpcMode, nil
}
