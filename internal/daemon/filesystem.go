package daemon

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/internal/api"
	"github.com/berth-dev/berth/internal/archive"
	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/image"
	"github.com/berth-dev/berth/internal/snapshot"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"golang.org/x/sys/unix"
)

// mountRW mounts the container's rw layer (in its record dir) over lowers on target. A
// --rm container's is volatile: its writes go with it, and unmounting it then costs no
// sync of the whole disk on the way to `run --rm` returning (snapshot.MountVolatile).
func mountRW(c *container.Container, lowers []string, dir, target string) error {
	upper, work := filepath.Join(dir, "rw/upper"), filepath.Join(dir, "rw/work")
	if c.HostConfig.AutoRemove {
		return snapshot.MountVolatile(lowers, upper, work, target)
	}
	return snapshot.Mount(lowers, upper, work, target)
}

// withRootfs runs fn with the container's merged rootfs: the live mount
// while it runs, or a temporary overlay mount while it is stopped.
func (d *Daemon) withRootfs(c *container.Container, fn func(rootfs string) error) error {
	c.Mu.Lock()
	running := c.State.Running
	c.Mu.Unlock()
	live := filepath.Join(d.bundleDir(c.ID), "rootfs")
	if running {
		return fn(live)
	}
	img, err := d.images.Resolve(c.ImageID)
	if err != nil {
		return err
	}
	lowers, err := d.images.LayerDirs(img)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(d.cfg.ExecRoot, "mnt-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := d.containers.Dir(c.ID)
	if err := mountRW(c, d.withInitLayer(lowers), dir, tmp); err != nil {
		return err
	}
	defer snapshot.Unmount(tmp)
	return fn(tmp)
}

func (d *Daemon) ContainerChanges(ctx context.Context, ref string) ([]apicontainer.FilesystemChange, error) {
	c, err := d.containers.Get(ref)
	if err != nil {
		return nil, err
	}
	img, err := d.images.Resolve(c.ImageID)
	if err != nil {
		return nil, err
	}
	lowers, err := d.images.LayerDirs(img)
	if err != nil {
		return nil, err
	}
	changes, err := snapshot.Changes(filepath.Join(d.containers.Dir(c.ID), "rw/upper"), lowers)
	if err != nil {
		return nil, err
	}
	return hideMountpoints(changes, c), nil
}

// hideMountpoints drops what the runtime created in the rw layer to mount
// over (/etc/hosts, /etc/hostname, /etc/resolv.conf, bind and tmpfs
// destinations), and directories left with no change below them, so a
// fresh container shows no changes, as in Docker.
func hideMountpoints(changes []apicontainer.FilesystemChange, c *container.Container) []apicontainer.FilesystemChange {
	hidden := map[string]bool{"/etc/hosts": true, "/etc/hostname": true, "/etc/resolv.conf": true, "/dev": true, "/proc": true, "/sys": true}
	for _, m := range mountPoints(c.HostConfig) {
		hidden[filepath.Clean(m.Destination)] = true
	}
	kept := changes[:0:0]
	for _, ch := range changes {
		if !hidden[ch.Path] {
			kept = append(kept, ch)
		}
	}
	out := kept[:0:0]
	for i, ch := range kept {
		if ch.Kind == apicontainer.ChangeModify && !hasChildChange(kept, i) && wasOnlyMountParent(ch.Path, hidden) {
			continue
		}
		out = append(out, ch)
	}
	return out
}

func hasChildChange(changes []apicontainer.FilesystemChange, i int) bool {
	prefix := strings.TrimSuffix(changes[i].Path, "/") + "/"
	for _, ch := range changes {
		if strings.HasPrefix(ch.Path, prefix) {
			return true
		}
	}
	return false
}

// wasOnlyMountParent reports whether dir holds a hidden mount point: its
// "modified" entry then comes from the runtime, not the container.
func wasOnlyMountParent(dir string, hidden map[string]bool) bool {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for p := range hidden {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

func (d *Daemon) ContainerExport(ctx context.Context, ref string, w io.Writer) error {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	err = d.withRootfs(c, func(rootfs string) error {
		rc, err := archive.Tar(rootfs, "/", archive.TarOptions{Contents: true})
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(w, rc)
		return err
	})
	if err == nil {
		d.containerEvent(c, events.ActionExport, nil)
	}
	return err
}

// pathError gives a missing path Docker's 404 wording, which the docker
// CLI turns into "Could not find the file ... in container ...".
func pathError(err error, path, ref string) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOENT) {
		return errdefs.NotFound("Could not find the file %s in container %s", path, ref)
	}
	if errors.Is(err, unix.ENOTDIR) {
		return errdefs.Invalid("%s: not a directory", path)
	}
	return err
}

func (d *Daemon) ContainerArchiveStat(ctx context.Context, ref, path string) (*apicontainer.PathStat, error) {
	c, err := d.containers.Get(ref)
	if err != nil {
		return nil, err
	}
	var st *apicontainer.PathStat
	err = d.withMountedView(c, func(rootfs string) error {
		st, err = archive.Stat(rootfs, path)
		return pathError(err, path, ref)
	})
	return st, err
}

// ContainerArchiveGet returns a tar of path. For a stopped container the
// temporary mount must outlive this call, so the tar is produced into a
// pipe while the mount is held.
func (d *Daemon) ContainerArchiveGet(ctx context.Context, ref, path string) (io.ReadCloser, *apicontainer.PathStat, error) {
	c, err := d.containers.Get(ref)
	if err != nil {
		return nil, nil, err
	}
	type result struct {
		st  *apicontainer.PathStat
		err error
	}
	ready := make(chan result, 1)
	pr, pw := io.Pipe()
	go func() {
		err := d.withMountedView(c, func(rootfs string) error {
			st, err := archive.Stat(rootfs, path)
			if err != nil {
				return pathError(err, path, ref)
			}
			rc, err := archive.Tar(rootfs, path, archive.TarOptions{})
			if err != nil {
				return err
			}
			defer rc.Close()
			ready <- result{st: st}
			_, err = io.Copy(pw, rc)
			pw.CloseWithError(err)
			return nil
		})
		if err != nil {
			ready <- result{err: err}
			pw.CloseWithError(err)
		}
	}()
	r := <-ready
	if r.err != nil {
		return nil, nil, r.err
	}
	d.containerEvent(c, events.ActionArchivePath, nil)
	return pr, r.st, nil
}

func (d *Daemon) ContainerArchivePut(ctx context.Context, ref, path string, noOverwriteDirNonDir, copyUIDGID bool, content io.Reader) (err error) {
	c, err := d.containers.Get(ref)
	if err != nil {
		return err
	}
	switch onMount, writable := d.mountAt(c, path); {
	case onMount && !writable:
		return errdefs.Forbidden("mounted volume is marked read-only")
	case !onMount && c.HostConfig.ReadonlyRootfs:
		return errdefs.Forbidden("container rootfs is marked read-only")
	}
	defer func() {
		if err == nil {
			d.containerEvent(c, events.ActionExtractToDir, nil)
		}
	}()
	return d.withMountedView(c, func(rootfs string) error {
		st, err := archive.Stat(rootfs, path)
		if err != nil {
			return pathError(err, path, ref)
		}
		if !st.Mode.IsDir() {
			return errdefs.Invalid("extraction point is not a directory")
		}
		dest := path
		if st.LinkTarget != "" {
			dest = st.LinkTarget
		}
		_, err = archive.Extract(rootfs, content, archive.ExtractOptions{Dir: dest, NoOverwriteDirNonDir: noOverwriteDirNonDir})
		return err
	})
}

// ContainerCommit makes an image from the container's rw layer.
func (d *Daemon) ContainerCommit(ctx context.Context, ref string, opts api.CommitOptions) (string, error) {
	c, err := d.containers.Get(ref)
	if err != nil {
		return "", err
	}
	parent, err := d.images.Resolve(c.ImageID)
	if err != nil {
		return "", err
	}
	lowers, err := d.images.LayerDirs(parent)
	if err != nil {
		return "", err
	}
	c.Mu.Lock()
	pause := opts.Pause && c.State.Running && !c.State.Paused
	cfg := *c.Config
	c.Mu.Unlock()
	// As Docker: the history line is the container's own Cmd (not the
	// entrypoint, not what --change sets).
	createdBy := strings.Join(cfg.Cmd, " ")
	if pause {
		// Paused for the copy only: the record keeps its state, the events
		// show the pause as Docker's do.
		if err := d.runtimeFor(c).Pause(ctx, c.ID); err == nil {
			d.lockedEvent(c, events.ActionPause, nil)
			defer func() {
				if d.runtimeFor(c).Resume(ctx, c.ID) == nil {
					d.lockedEvent(c, events.ActionUnPause, nil)
				}
			}()
		}
	}
	if opts.Config != nil {
		cfg = mergeCommitConfig(cfg, *opts.Config)
	}
	imgCfg := parent.Config.Config
	imgCfg.User, imgCfg.Env, imgCfg.Entrypoint, imgCfg.Cmd = cfg.User, cfg.Env, cfg.Entrypoint, cfg.Cmd
	imgCfg.WorkingDir, imgCfg.Labels, imgCfg.StopSignal = cfg.WorkingDir, cfg.Labels, cfg.StopSignal
	imgCfg.ExposedPorts = map[string]struct{}{}
	for p := range cfg.ExposedPorts {
		imgCfg.ExposedPorts[p.String()] = struct{}{}
	}
	imgCfg.Volumes = cfg.Volumes
	imgCfg.OnBuild = cfg.OnBuild
	if cfg.Healthcheck != nil {
		h := cfg.Healthcheck
		imgCfg.Healthcheck = &dockerspec.HealthcheckConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries}
	}
	if err := image.ApplyChanges(&imgCfg, opts.Changes); err != nil {
		return "", err
	}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(snapshot.DiffTar(pw, filepath.Join(d.containers.Dir(c.ID), "rw/upper"), lowers))
	}()
	ref2 := opts.Repo
	if ref2 != "" {
		ref2 = image.JoinRepoTag(opts.Repo, opts.Tag)
	}
	img, err := d.images.Commit(ctx, parent, pr, imgCfg, image.CommitOptions{Ref: ref2, Comment: opts.Comment, Author: opts.Author, CreatedBy: createdBy})
	pr.Close()
	if err != nil {
		return "", err
	}
	id := img.ID.String()
	d.imageEvent(events.ActionCreate, id, id, nil)
	imageRef := ""
	if ref2 != "" {
		d.tagEvent(id, ref2)
		imageRef = familiarTagged(ref2)
	}
	d.lockedEvent(c, events.ActionCommit, map[string]string{"comment": opts.Comment, "imageID": id, "imageRef": imageRef})
	return id, nil
}

// mergeCommitConfig overlays the non-empty fields of a commit's --config.
func mergeCommitConfig(base, over apicontainer.Config) apicontainer.Config {
	if over.User != "" {
		base.User = over.User
	}
	if len(over.Env) > 0 {
		base.Env = over.Env
	}
	if len(over.Cmd) > 0 {
		base.Cmd = over.Cmd
	}
	if len(over.Entrypoint) > 0 {
		base.Entrypoint = over.Entrypoint
	}
	if over.WorkingDir != "" {
		base.WorkingDir = over.WorkingDir
	}
	if len(over.Labels) > 0 {
		base.Labels = over.Labels
	}
	if len(over.ExposedPorts) > 0 {
		base.ExposedPorts = over.ExposedPorts
	}
	if over.StopSignal != "" {
		base.StopSignal = over.StopSignal
	}
	return base
}
