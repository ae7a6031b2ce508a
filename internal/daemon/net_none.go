package daemon

import (
	"fmt"
	"os"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/network"
	"github.com/berth-dev/berth/internal/network/bridge"
	"github.com/moby/moby/api/types/events"
	"golang.org/x/sys/unix"
)

// Docker's way to give a `--network none` container a network: it cannot
// be connected while it is on "none" (ErrConflictNoNetwork), but it can be
// disconnected from "none" first, running or not; then `network connect`
// works like for any container, and a running one gets its interface at
// once. berth records "disconnected from none" as an empty network mode.

const errNoneConflict = "container cannot be connected to multiple networks with one of the networks in private (none) mode"

// disconnectNone handles `network disconnect none C`. c.Mu is held.
func (d *Daemon) disconnectNone(c *container.Container) error {
	if string(c.HostConfig.NetworkMode) != network.None {
		return errdefs.Forbidden("container %s is not connected to the network %s", c.ID, network.None)
	}
	c.HostConfig.NetworkMode = ""
	return d.containers.Save(c)
}

// adoptRuntimeNetNS pins the network namespace the runtime made for a
// running container that had no network of berth's, so network connect
// can plug interfaces into it and its exit unpins it like any other.
// c.Mu is held.
func (d *Daemon) adoptRuntimeNetNS(c *container.Container) (*netState, error) {
	m := d.nets
	st := &netState{NetNS: m.netnsPath(c.ID), Links: map[string]linkState{}}
	f, err := os.OpenFile(st.NetNS, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return nil, err
	}
	f.Close()
	src := "/proc/" + itoa(c.State.Pid) + "/ns/net"
	if err := unix.Mount(src, st.NetNS, "none", unix.MS_BIND, ""); err != nil {
		os.Remove(st.NetNS)
		return nil, fmt.Errorf("pin the container's network namespace: %w", err)
	}
	if err := m.saveState(c.ID, st); err != nil {
		bridge.DeleteNetNS(st.NetNS)
		return nil, err
	}
	m.mu.Lock()
	m.states[c.ID] = st
	m.mu.Unlock()
	return st, nil
}

// disconnectNoneNetwork is `network disconnect none C`, with its event.
// c.Mu is held.
func (d *Daemon) disconnectNoneNetwork(c *container.Container, n *network.Record) error {
	if err := d.disconnectNone(c); err != nil {
		return err
	}
	d.networkEvent(n, events.ActionDisconnect, map[string]string{"container": c.ID})
	return nil
}
