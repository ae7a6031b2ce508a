package daemon

import (
	"context"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/shimclient"
	"github.com/berth-dev/berth/internal/shimproto"
	"github.com/berth-dev/berth/internal/snapshot"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/events"
)

// ContainerStart starts a created or exited container.
func (d *Daemon) ContainerStart(ctx context.Context, ref string) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	c.Mu.Lock()
	switch {
	case c.State.Removing:
		c.Mu.Unlock()
		return errdefs.Conflict("container is marked for removal and cannot be started")
	case c.State.Paused:
		c.Mu.Unlock()
		return errdefs.Conflict("cannot start a paused container, try unpause instead")
	case c.State.Running:
		c.Mu.Unlock()
		return errdefs.NotModified("container already started")
	}
	c.ManuallyStopped = false
	c.State.Restarting = false
	d.resetBackoff(c.ID)
	err = d.startLocked(c)
	autoRemove := c.HostConfig.AutoRemove
	c.Mu.Unlock()
	if err != nil && autoRemove {
		// As Docker: a --rm container that cannot start is removed, which
		// also ends `docker run`'s wait for the "removed" condition.
		if rmErr := d.removeContainer(c); rmErr != nil {
			d.log.Warn("removing container after failed start", "id", c.ID, "err", rmErr)
		}
	}
	return err
}

// startLocked mounts the rootfs, writes the bundle, starts the shim and the
// container, and begins watching it. c.Mu is held.
func (d *Daemon) startLocked(c *container.Container) (retErr error) {
	ctx := context.Background()
	bundle := d.bundleDir(c.ID)
	rootfs := filepath.Join(bundle, "rootfs")
	for _, f := range []string{shimproto.ExitFile, shimproto.SocketFile, shimproto.PidFile, shimproto.ShimPid} {
		os.Remove(filepath.Join(bundle, f))
	}
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return err
	}
	img, err := d.images.Resolve(c.ImageID)
	if err != nil {
		return err
	}
	lowers, err := d.images.LayerDirs(img)
	if err != nil {
		return err
	}
	dir := d.containers.Dir(c.ID)
	snapshot.Unmount(rootfs)
	if err := mountRW(c, d.withInitLayer(lowers), dir, rootfs); err != nil {
		return err
	}
	netns, err := d.setupNetwork(c)
	if err != nil {
		snapshot.Unmount(rootfs)
		c.State.Error = err.Error()
		c.State.ExitCode = runtime.StartFailureExitCode(err.Error())
		d.containers.Save(c)
		return err
	}
	defer func() {
		if retErr != nil {
			d.teardownNetwork(c)
			d.failPendingAttaches(c.ID)
			d.unmountShm(c.ID)
			snapshot.Unmount(rootfs)
			c.State.Error = retErr.Error()
			c.State.ExitCode = runtime.StartFailureExitCode(retErr.Error())
			d.containers.Save(c)
		}
	}()
	specHC, err := d.specHostConfig(c, rootfs)
	if err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			d.releaseVolumes(c)
		}
	}()
	nsPaths, shmSource, err := d.joinedNamespaces(c)
	if err != nil {
		return err
	}
	if own, err := d.mountShareableShm(c); err != nil {
		return err
	} else if own != "" {
		shmSource = own
	}
	spec, err := runtime.Generate(runtime.SpecInput{
		ID:             c.ID,
		Config:         c.Config,
		HostConfig:     specHC,
		RootfsPath:     rootfs,
		HostnamePath:   c.HostnamePath,
		HostsPath:      c.HostsPath,
		ResolvConfPath: c.ResolvConfPath,
		InitPath:       d.shimPath,
		CgroupsPath:    d.cgroupsPath(c),
		NetNSPath:      netns,
		NamespacePaths: nsPaths,
		ShmSource:      shmSource,
	})
	if err != nil {
		return err
	}
	rt := d.runtimeFor(c)
	seccompKey, seccompCached := d.seccompBPF.Apply(rt, spec)
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), specJSON, 0o600); err != nil {
		return err
	}
	maxSize, maxFile := d.logRotation(c)
	shimCfg := shimproto.Config{
		ID:              c.ID,
		Bundle:          bundle,
		Runtime:         rt.Binary,
		RuntimeRoot:     rt.Root,
		Tty:             c.Config.Tty,
		OpenStdin:       c.Config.OpenStdin,
		StdinOnce:       c.Config.StdinOnce,
		LogDriver:       c.HostConfig.LogConfig.Type,
		LogPath:         c.LogPath,
		LogMaxSize:      maxSize,
		LogMaxFile:      maxFile,
		CgroupMemoryDir: d.cgroupMemoryDir(c),
	}
	if f, exe := rt.ForShim(shimproto.RuntimeFD); f != nil {
		shimCfg.RuntimeExe, shimCfg.RuntimeFile = exe, f
	}
	if err := shimclient.Start(ctx, d.shimPath, bundle, shimCfg); err != nil {
		return errdefs.Invalid("failed to create task for container: %s", runtime.DockerMessage(err.Error()))
	}
	if !seccompCached {
		d.seccompBPF.Learn(rt, c.ID, seccompKey)
	}
	d.connectPendingAttaches(c)
	pid, err := shimclient.StartContainer(ctx, bundle)
	if err != nil {
		d.runtimeFor(c).Delete(ctx, c.ID, true)
		return errdefs.Invalid("failed to start container: %v", err)
	}
	now := time.Now().UTC()
	c.State = container.State{Running: true, Pid: pid, StartedAt: now, FinishedAt: c.State.FinishedAt, Health: c.State.Health}
	c.HasBeenStarted = true
	done := make(chan struct{})
	c.Done = done
	d.startHealth(c)
	if err := d.containers.Save(c); err != nil {
		d.log.Error("saving container record", "id", c.ID, "err", err)
	}
	d.containerEvent(c, events.ActionStart, nil)
	d.watch(c, done)
	return nil
}

// logRotation resolves json-file rotation: per-container --log-opt, then
// the daemon's --log-opt, then berth's default (on: 10m x 3).
func (d *Daemon) logRotation(c *container.Container) (int64, int) {
	get := func(k, def string) string {
		if v, ok := c.HostConfig.LogConfig.Config[k]; ok {
			return v
		}
		if v, ok := d.cfg.LogOpts[k]; ok {
			return v
		}
		return def
	}
	size, err := units.RAMInBytes(get("max-size", defaultLogMaxSize))
	if err != nil || size < 0 {
		size = 0
	}
	files, err := strconv.Atoi(get("max-file", defaultLogMaxFile))
	if err != nil || files < 1 {
		files = 1
	}
	return size, files
}

// cgroupsPath is the container's cgroup: under its --cgroup-parent when
// given (cgroupfs style, as dockerd with the cgroupfs driver), else the
// daemon's --cgroup-parent, else one parent for all of berth's containers
// (/berth), so tests can find (and remove) what they created. c.Mu is held (HostConfig may be replaced by update).
func (d *Daemon) cgroupsPath(c *container.Container) string {
	parent := "/berth"
	if p := d.cfg.CgroupParent; p != "" {
		parent = path.Join("/", p)
	}
	if p := c.HostConfig.CgroupParent; p != "" {
		parent = path.Join("/", p)
	}
	return path.Join(parent, c.ID)
}

func (d *Daemon) cgroupMemoryDir(c *container.Container) string { return d.cgroupDir("memory", c) }

func (d *Daemon) cgroupPidsDir(c *container.Container) string { return d.cgroupDir("pids", c) }

// cgroupDir is the container's cgroup directory for a v1 controller, or
// its one directory under cgroup v2. c.Mu is held.
func (d *Daemon) cgroupDir(controller string, c *container.Container) string {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return filepath.Join("/sys/fs/cgroup", d.cgroupsPath(c))
	}
	return filepath.Join("/sys/fs/cgroup", controller, d.cgroupsPath(c))
}

// watch waits for the container's exit through its shim, in the
// background. On daemon shutdown it stops watching; the shim keeps going.
func (d *Daemon) watch(c *container.Container, done chan struct{}) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		exit, err := shimclient.Wait(d.ctx, d.bundleDir(c.ID))
		if d.ctx.Err() != nil {
			return
		}
		if err != nil {
			exit = shimproto.Exit{ExitCode: 255, Error: err.Error(), ExitedAt: time.Now().UTC().Format(time.RFC3339Nano)}
		}
		d.handleExit(c, done, exit)
	}()
}

// handleExit records the exit, releases the rootfs, tells waiters, and
// applies --rm and the restart policy.
func (d *Daemon) handleExit(c *container.Container, done chan struct{}, exit shimproto.Exit) {
	c.Mu.Lock()
	if c.Done != done || !c.State.Running {
		c.Mu.Unlock()
		return
	}
	finished, err := time.Parse(time.RFC3339Nano, exit.ExitedAt)
	if err != nil {
		finished = time.Now().UTC()
	}
	ran := finished.Sub(c.State.StartedAt)
	d.stopHealth(c.ID)
	c.State.Running = false
	c.State.Paused = false
	c.State.Pid = 0
	c.State.ExitCode = exit.ExitCode
	c.State.OOMKilled = exit.OOMKilled
	c.State.Error = exit.Error
	c.State.FinishedAt = finished
	snapshot.Unmount(filepath.Join(d.bundleDir(c.ID), "rootfs"))
	d.unmountShm(c.ID)
	d.releaseVolumes(c)
	d.teardownNetwork(c)
	delay, restart := d.restartDecision(c, ran)
	c.State.Restarting = restart
	if restart {
		c.RestartCount++ // counted when the restart is decided, as dockerd
	}
	if err := d.containers.Save(c); err != nil {
		d.log.Error("saving container record", "id", c.ID, "err", err)
	}
	close(done)
	if exit.OOMKilled {
		d.containerEvent(c, events.ActionOOM, nil)
	}
	d.containerEvent(c, events.ActionDie, map[string]string{"exitCode": strconv.Itoa(exit.ExitCode), "execDuration": strconv.Itoa(int(ran.Seconds()))})
	d.notifyWaiters(c, false)
	autoRemove := c.HostConfig.AutoRemove && !restart && !c.RestartingByHand
	c.Mu.Unlock()

	if autoRemove {
		if err := d.removeContainer(c); err != nil {
			d.log.Error("auto-removing container", "id", c.ID, "err", err)
		}
		return
	}
	if restart {
		d.scheduleRestart(c, delay)
	}
}

// restartDecision applies the restart policy with Docker's back-off: 100ms
// doubling up to a minute, reset when the container ran for 10s or more.
func (d *Daemon) restartDecision(c *container.Container, ran time.Duration) (time.Duration, bool) {
	p := c.HostConfig.RestartPolicy
	restart := false
	switch p.Name {
	case "always", "unless-stopped":
		restart = !c.ManuallyStopped
	case "on-failure":
		restart = !c.ManuallyStopped && c.State.ExitCode != 0 &&
			(p.MaximumRetryCount == 0 || c.RestartCount < p.MaximumRetryCount)
	}
	if !restart || c.State.Removing {
		return 0, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.backoff == nil {
		d.backoff = map[string]time.Duration{}
	}
	delay := d.backoff[c.ID]
	switch {
	case ran >= 10*time.Second || delay == 0:
		delay = 100 * time.Millisecond
	default:
		delay *= 2
		if delay > time.Minute {
			delay = time.Minute
		}
	}
	d.backoff[c.ID] = delay
	return delay, true
}

// resetBackoff forgets the restart back-off: a user's start begins afresh.
func (d *Daemon) resetBackoff(id string) {
	d.mu.Lock()
	delete(d.backoff, id)
	d.mu.Unlock()
}

func (d *Daemon) scheduleRestart(c *container.Container, delay time.Duration) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		select {
		case <-time.After(delay):
		case <-d.ctx.Done():
			return
		}
		c.Mu.Lock()
		defer c.Mu.Unlock()
		if !c.State.Restarting || c.State.Running || c.ManuallyStopped || c.State.Removing {
			return
		}
		// A policy restart shows as start (no "restart" event: that is a
		// user's docker restart), as dockerd's.
		if err := d.startLocked(c); err != nil {
			d.log.Warn("restarting container", "id", c.ID, "err", err)
			c.State.Restarting = false
			d.containers.Save(c)
			return
		}
	}()
}

// reconcile runs once at start-up: containers whose shim is alive are
// adopted; those that exited while the daemon was down get their real exit
// status (and their restart policy applied).
func (d *Daemon) reconcile() {
	// Temporary rootfs mounts (cp/export of a stopped container) left by a
	// daemon that died while using them.
	if stale, err := filepath.Glob(filepath.Join(d.cfg.ExecRoot, "mnt-*")); err == nil {
		for _, dir := range stale {
			snapshot.Unmount(dir)
			os.Remove(dir)
		}
	}
	for _, c := range d.containers.List() {
		c.Mu.Lock()
		running := c.State.Running
		restarting := c.State.Restarting
		if c.State.Removing {
			c.Mu.Unlock()
			if err := d.removeContainer(c); err != nil {
				d.log.Warn("finishing interrupted removal", "id", c.ID, "err", err)
			}
			continue
		}
		done := make(chan struct{})
		c.Done = done
		c.Mu.Unlock()
		bundle := d.bundleDir(c.ID)
		if !running {
			if rt := d.runtimeFor(c); rt.HasState(c.ID) {
				// A start the crash cut off before its record said
				// running: the runtime (and maybe the process) exists,
				// the record does not know it, and every later start
				// would fail with "already exists". It never answered:
				// undo it (the shim sees the exit and goes).
				d.log.Info("undoing a start interrupted by the daemon's death", "id", c.ID)
				rt.Delete(d.ctx, c.ID, true)
			}
			// A start cut off even before the runtime was called leaves
			// the rootfs mounted (one syscall when it is not).
			snapshot.Unmount(filepath.Join(bundle, "rootfs"))
		}
		switch {
		case running && shimclient.Alive(bundle):
			c.Mu.Lock()
			d.startHealth(c)
			c.Mu.Unlock()
			d.watch(c, done)
		case running:
			exit, err := shimclient.ReadExit(bundle)
			if err != nil || exit == nil {
				exit = &shimproto.Exit{ExitCode: 255, Error: "container's shim is gone (host reboot or crash)", ExitedAt: time.Now().UTC().Format(time.RFC3339Nano)}
			}
			d.handleExit(c, done, *exit)
		case restarting:
			d.scheduleRestart(c, 100*time.Millisecond)
		}
	}
}

func (d *Daemon) containerEvent(c *container.Container, action events.Action, extra map[string]string) {
	attrs := map[string]string{"name": strings.TrimPrefix(c.Name, "/"), "image": c.Config.Image}
	for k, v := range c.Config.Labels {
		attrs[k] = v
	}
	for k, v := range extra {
		attrs[k] = v
	}
	d.events.Publish(events.ContainerEventType, action, c.ID, attrs)
}

// lockedEvent is containerEvent for a caller that does not hold c.Mu.
func (d *Daemon) lockedEvent(c *container.Container, action events.Action, extra map[string]string) {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	d.containerEvent(c, action, extra)
}
