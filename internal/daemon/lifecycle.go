package daemon

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/filters"
	"github.com/berth-dev/berth/internal/snapshot"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

const defaultStopTimeout = 10

// ContainerStop sends the stop signal, waits, then SIGKILLs.
func (d *Daemon) ContainerStop(ctx context.Context, ref, signal string, timeout *int) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	return d.stop(ctx, c, signal, timeout)
}

func (d *Daemon) stop(ctx context.Context, c *container.Container, signal string, timeout *int) error {
	c.Mu.Lock()
	if c.State.Restarting {
		c.ManuallyStopped = true
		c.State.Restarting = false
		d.containers.Save(c)
		c.Mu.Unlock()
		return nil
	}
	if !c.State.Running {
		c.Mu.Unlock()
		return errdefs.NotModified("container already stopped")
	}
	c.ManuallyStopped = true
	d.containers.Save(c)
	if signal == "" {
		signal = c.Config.StopSignal
	}
	if signal == "" {
		signal = "SIGTERM"
	}
	t := defaultStopTimeout
	if c.Config.StopTimeout != nil {
		t = *c.Config.StopTimeout
	}
	if timeout != nil {
		t = *timeout
	}
	done, paused := c.Done, c.State.Paused
	c.Mu.Unlock()
	sig, err := parseSignal(signal)
	if err != nil {
		return err
	}
	d.containerEvent(c, events.ActionKill, map[string]string{"signal": itoa(int(sig))})
	if err := d.runtimeFor(c).Kill(ctx, c.ID, sig, false); err == nil {
		if paused {
			d.runtimeFor(c).Resume(ctx, c.ID)
		}
		if waitDone(done, t) {
			d.containerEvent(c, events.ActionStop, nil)
			return nil
		}
	}
	d.containerEvent(c, events.ActionKill, map[string]string{"signal": "9"})
	d.runtimeFor(c).Kill(ctx, c.ID, syscall.SIGKILL, true)
	if paused {
		d.runtimeFor(c).Resume(ctx, c.ID)
	}
	if !waitDoneReaping(done, 30) {
		return errdefs.Unavailable("container %s did not exit after SIGKILL", c.ID[:12])
	}
	d.containerEvent(c, events.ActionStop, nil)
	return nil
}

// waitDone waits up to secs seconds (forever when negative) for done.
func waitDone(done chan struct{}, secs int) bool {
	if done == nil {
		return true
	}
	if secs < 0 {
		<-done
		return true
	}
	select {
	case <-done:
		return true
	case <-time.After(time.Duration(secs) * time.Second):
		return false
	}
}

// ContainerRestart stops (if running) and starts the container again.
func (d *Daemon) ContainerRestart(ctx context.Context, ref, signal string, timeout *int) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	c.Mu.Lock()
	c.RestartingByHand = true
	c.Mu.Unlock()
	defer func() {
		c.Mu.Lock()
		c.RestartingByHand = false
		c.Mu.Unlock()
	}()
	if err := d.stop(ctx, c, signal, timeout); err != nil && errdefs.KindOf(err) != errdefs.KindNotModified {
		return err
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	if c.State.Running {
		return nil
	}
	c.ManuallyStopped = false
	c.State.Restarting = false
	if err := d.startLocked(c); err != nil {
		return err
	}
	d.containerEvent(c, events.ActionRestart, nil)
	return nil
}

// ContainerKill sends a signal. Like Docker, a kill counts as a manual stop
// for the restart policy.
func (d *Daemon) ContainerKill(ctx context.Context, ref, signal string) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	if signal == "" {
		signal = "SIGKILL"
	}
	sig, err := parseSignal(signal)
	if err != nil {
		if n, nerr := strconv.Atoi(signal); nerr == nil && n > 0 {
			// A number the kernel has no signal for, in dockerd's words.
			return errdefs.Invalid("cannot kill container: %s: the linux daemon does not support signal %d", ref, n)
		}
		return err
	}
	c.Mu.Lock()
	if !c.State.Running {
		c.Mu.Unlock()
		return errdefs.Conflict("cannot kill container: %s: container %s is not running", ref, c.ID)
	}
	paused := c.State.Paused
	if sig == syscall.SIGKILL || sig == syscall.SIGTERM || sig == syscall.SIGINT {
		c.ManuallyStopped = true
		d.containers.Save(c)
	}
	c.Mu.Unlock()
	if err := d.runtimeFor(c).Kill(ctx, c.ID, sig, false); err != nil {
		return err
	}
	if paused && sig == syscall.SIGKILL {
		d.runtimeFor(c).Resume(ctx, c.ID)
	}
	d.containerEvent(c, events.ActionKill, map[string]string{"signal": itoa(int(sig))})
	return nil
}

func (d *Daemon) ContainerPause(ctx context.Context, ref string) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	switch {
	case !c.State.Running:
		return errdefs.Conflict("container %s is not running", c.ID)
	case c.State.Paused:
		return errdefs.Conflict("container %s is already paused", c.ID)
	}
	if err := d.runtimeFor(c).Pause(ctx, c.ID); err != nil {
		return err
	}
	c.State.Paused = true
	d.containers.Save(c)
	d.containerEvent(c, events.ActionPause, nil)
	return nil
}

func (d *Daemon) ContainerUnpause(ctx context.Context, ref string) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	if !c.State.Running || !c.State.Paused {
		return errdefs.Conflict("container %s is not paused", c.ID)
	}
	if err := d.runtimeFor(c).Resume(ctx, c.ID); err != nil {
		return err
	}
	c.State.Paused = false
	d.containers.Save(c)
	d.containerEvent(c, events.ActionUnPause, nil)
	return nil
}

func (d *Daemon) ContainerRename(ctx context.Context, ref, newName string) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	if newName == "" {
		return errdefs.Invalid("Neither old nor new names may be empty")
	}
	if err := container.ValidateName(newName); err != nil {
		return err
	}
	if !strings.HasPrefix(newName, "/") {
		newName = "/" + newName
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	old := c.Name
	if old == newName {
		return errdefs.Invalid("Renaming a container with the same name as its current name")
	}
	if err := d.containers.Rename(c, newName); err != nil {
		return err
	}
	if err := d.containers.Save(c); err != nil {
		return err
	}
	d.containerEvent(c, events.ActionRename, map[string]string{"oldName": old})
	return nil
}

// ContainerRemove deletes a container; a running one only with force.
func (d *Daemon) ContainerRemove(ctx context.Context, ref string, force, removeVolumes, removeLink bool) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	if removeLink {
		return errdefs.NotImplemented("links are not supported")
	}
	c.Mu.Lock()
	running := c.State.Running
	if running && !force {
		paused := c.State.Paused
		c.Mu.Unlock()
		if paused {
			return errdefs.Conflict("cannot remove container %q: container is paused and must be unpaused first", ref)
		}
		return errdefs.Conflict("cannot remove container %q: container is running: stop the container before removing or force remove", ref)
	}
	if c.State.Removing {
		c.Mu.Unlock()
		return errdefs.Conflict("removal of container %s is already in progress", c.ID)
	}
	c.ManuallyStopped = true
	c.State.Restarting = false
	done, paused := c.Done, c.State.Paused
	c.Mu.Unlock()
	if running {
		if d.runtimeFor(c).Kill(ctx, c.ID, syscall.SIGKILL, true) == nil {
			d.lockedEvent(c, events.ActionKill, map[string]string{"signal": "9"})
		}
		if paused {
			d.runtimeFor(c).Resume(ctx, c.ID)
		}
		if !waitDoneReaping(done, 30) {
			return errdefs.Unavailable("could not kill running container %s, cannot remove", c.ID)
		}
		// handleExit may have removed it already (--rm).
		if _, err := d.containers.Get(c.ID); err != nil {
			return nil
		}
	}
	if err := d.removeContainer(c); err != nil {
		return err
	}
	if removeVolumes {
		d.removeAnonymousVolumes(c.MountPoints)
	}
	return nil
}

// removeContainer deletes a stopped container's files and record. The
// record is marked Removing first, so a crash half-way is finished by the
// next start-up instead of leaving a half-deleted container.
func (d *Daemon) removeContainer(c *container.Container) error {
	c.Mu.Lock()
	if c.State.Running {
		// A start slipped in between the caller's check and now.
		c.Mu.Unlock()
		return errdefs.Conflict("cannot remove container %q: container is running: stop the container before removing or force remove", c.Name)
	}
	c.State.Removing = true
	d.containers.Save(c)
	bundle := d.bundleDir(c.ID)
	if err := snapshot.Unmount(filepath.Join(bundle, "rootfs")); err != nil {
		c.State.Removing = false
		c.State.Dead = true
		d.containers.Save(c)
		c.Mu.Unlock()
		return errdefs.Conflict("unable to remove filesystem for %s: %v", c.ID, err)
	}
	// Out of the index under c.Mu; the slow part (runtime delete, bundle,
	// rw layer) runs unlocked so ps, inspect and a prune's other
	// containers never wait for it. The record stays marked Removing on
	// disk until its directory goes: a crash is finished at next start.
	d.containers.Forget(c)
	d.forgetExecs(c)
	d.detachAll(c)
	d.resetBackoff(c.ID)
	rt := d.runtimeFor(c)
	autoRemove, mounts := c.HostConfig.AutoRemove, c.MountPoints
	c.Mu.Unlock()
	trash, err := d.removeContainerFiles(rt, c.ID, bundle)
	if err != nil {
		return err
	}
	if autoRemove {
		// --rm takes the container's anonymous volumes with it, as in
		// Docker. Outside c.Mu: finding a volume's users locks the other
		// containers, and a start holding one of those may wait for c.
		d.removeAnonymousVolumes(mounts)
	}
	// Waiters (docker run --rm waits for "removed") hear of it only now
	// that the volumes are gone too.
	c.Mu.Lock()
	d.containerEvent(c, events.ActionDestroy, nil)
	d.notifyWaiters(c, true)
	c.Mu.Unlock()
	d.deleteTrash(trash) // still before returning: a prune's report is then exact
	return nil
}

// ContainersPrune removes every stopped container matching the filters.
func (d *Daemon) ContainersPrune(ctx context.Context, f filters.Args) (*apicontainer.PruneReport, error) {
	if err := f.Validate("until", "label", "label!"); err != nil {
		return nil, err
	}
	until, err := untilFilter(f)
	if err != nil {
		return nil, err
	}
	report := &apicontainer.PruneReport{}
	for _, c := range d.containers.List() {
		c.Mu.Lock()
		skip := c.State.Running || c.State.Restarting || c.State.Removing ||
			(!until.IsZero() && c.Created.After(until)) ||
			!f.MatchLabels("label", c.Config.Labels) || matchesAnyLabel(f.Get("label!"), c.Config.Labels)
		c.Mu.Unlock()
		if skip {
			continue
		}
		size := d.containerDiskSize(c) // the whole dir: rw layer, logs, record
		if err := d.removeContainer(c); err != nil {
			continue
		}
		report.ContainersDeleted = append(report.ContainersDeleted, c.ID)
		report.SpaceReclaimed += uint64(size)
	}
	d.events.Publish(events.ContainerEventType, events.ActionPrune, "", map[string]string{"reclaimed": itoa(int(report.SpaceReclaimed))})
	return report, nil
}

// waiter is one ContainerWait request.
type waiter struct {
	cond apicontainer.WaitCondition
	ch   chan apicontainer.WaitResponse
}

// ContainerWait registers a wait before returning, so a container that
// exits right after (docker run's attach-then-start) is never missed.
func (d *Daemon) ContainerWait(ctx context.Context, ref string, cond apicontainer.WaitCondition) (<-chan apicontainer.WaitResponse, error) {
	c, err := d.containers.Get(ref)
	if err != nil {
		return nil, err
	}
	switch cond {
	case "", apicontainer.WaitConditionNotRunning:
		cond = apicontainer.WaitConditionNotRunning
	case apicontainer.WaitConditionNextExit, apicontainer.WaitConditionRemoved:
	default:
		return nil, errdefs.Invalid("invalid condition: %q", cond)
	}
	ch := make(chan apicontainer.WaitResponse, 1)
	c.Mu.Lock()
	defer c.Mu.Unlock()
	if cond == apicontainer.WaitConditionNotRunning && !c.State.Running && !c.State.Restarting {
		ch <- waitResponse(c)
		return ch, nil
	}
	d.mu.Lock()
	d.waiters[c.ID] = append(d.waiters[c.ID], &waiter{cond: cond, ch: ch})
	d.mu.Unlock()
	return ch, nil
}

func waitResponse(c *container.Container) apicontainer.WaitResponse {
	r := apicontainer.WaitResponse{StatusCode: int64(c.State.ExitCode)}
	if c.State.Error != "" {
		r.Error = &apicontainer.WaitExitError{Message: c.State.Error}
	}
	return r
}

// notifyWaiters answers the waits a stop (or, with removed, a removal)
// satisfies. c.Mu is held.
func (d *Daemon) notifyWaiters(c *container.Container, removed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var keep []*waiter
	for _, w := range d.waiters[c.ID] {
		if removed || w.cond != apicontainer.WaitConditionRemoved {
			r := waitResponse(c)
			if removed {
				// As dockerd: removal ends the container's error with it
				// (else `docker run --rm` of a command that cannot start
				// prints "Error waiting for container" after the error).
				r.Error = nil
			}
			w.ch <- r
			continue
		}
		keep = append(keep, w)
	}
	if len(keep) == 0 || removed {
		delete(d.waiters, c.ID)
	} else {
		d.waiters[c.ID] = keep
	}
}
