package daemon

import (
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/volume"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/mount"
)

// resolveMounts turns -v, --mount, --volumes-from and the image's VOLUMEs
// into the container's mount points at create time, creating the named
// volumes it names and one anonymous volume per unclaimed VOLUME, as
// Docker's create does. On error the anonymous volumes made so far are
// removed again.
func (d *Daemon) resolveMounts(cfg *apicontainer.Config, hc *apicontainer.HostConfig) (mps []volume.MountPoint, retErr error) {
	var anon []string
	defer func() {
		if retErr != nil {
			for _, n := range anon {
				d.volumes.Remove(n)
			}
		}
	}()
	seen := map[string]bool{}
	add := func(mp volume.MountPoint) {
		mp.Destination = path.Clean(mp.Destination)
		seen[mp.Destination] = true
		mps = append(mps, mp)
	}
	getVolume := func(name string, opts, labels map[string]string) (string, error) {
		v, created, err := d.volumes.Create(name, "", opts, labels)
		if err != nil {
			return "", err
		}
		if created {
			if v.Anonymous() {
				anon = append(anon, v.Name)
			}
			d.volumeEvent(v.Name, events.ActionCreate)
		}
		return v.Name, nil
	}

	for _, b := range hc.Binds {
		parts := strings.Split(b, ":")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return nil, errdefs.Invalid("invalid volume specification: '%s'", b)
		}
		mp := volume.MountPoint{MountPoint: apicontainer.MountPoint{Destination: parts[1], RW: true}}
		if len(parts) == 3 {
			mp.Mode = parts[2]
			for _, o := range strings.Split(parts[2], ",") {
				switch o {
				case "ro":
					mp.RW = false
				case "nocopy":
					mp.NoCopy = true
				case "private", "rprivate", "shared", "rshared", "slave", "rslave":
					mp.Propagation = mount.Propagation(o)
				}
			}
		}
		if filepath.IsAbs(parts[0]) {
			mp.Type, mp.Source = mount.TypeBind, filepath.Clean(parts[0])
			if mp.Propagation == "" {
				mp.Propagation = mount.PropagationRPrivate
			}
			add(mp)
			continue
		}
		name, err := getVolume(parts[0], nil, nil)
		if err != nil {
			return nil, err
		}
		if mp.Mode == "" {
			mp.Mode = "z" // what Docker reports for a -v volume without options
		}
		mp.Type, mp.Name, mp.Driver, mp.Source, mp.Added = mount.TypeVolume, name, volume.DriverName, d.volumes.Path(name), true
		add(mp)
	}

	for _, m := range hc.Mounts {
		mp := volume.MountPoint{MountPoint: apicontainer.MountPoint{Type: m.Type, Destination: m.Target, RW: !m.ReadOnly}}
		switch m.Type {
		case mount.TypeBind:
			mp.Source, mp.Propagation = filepath.Clean(m.Source), mount.PropagationRPrivate
			if m.BindOptions != nil && m.BindOptions.Propagation != "" {
				mp.Propagation = m.BindOptions.Propagation
			}
		case mount.TypeTmpfs:
		case mount.TypeVolume:
			var opts, labels map[string]string
			if o := m.VolumeOptions; o != nil {
				if o.DriverConfig != nil {
					if o.DriverConfig.Name != "" && o.DriverConfig.Name != volume.DriverName {
						return nil, errdefs.NotFound("error looking up volume plugin %s: plugin %q not found", o.DriverConfig.Name, o.DriverConfig.Name)
					}
					opts = o.DriverConfig.Options
				}
				labels = o.Labels
				mp.NoCopy, mp.Subpath = o.NoCopy, o.Subpath
			}
			if m.Source == "" {
				labels = withLabel(labels, volume.AnonymousLabel, "")
			}
			name, err := getVolume(m.Source, opts, labels)
			if err != nil {
				return nil, err
			}
			mp.Name, mp.Driver, mp.Source, mp.Added = name, volume.DriverName, d.volumes.Path(name), true
			if _, err := mp.SourcePath(); err != nil {
				return nil, err
			}
		default:
			continue // the spec generator refuses it with Docker's message
		}
		add(mp)
	}

	// --tmpfs: listed in inspect's Mounts (as berth did before volumes);
	// the spec generator mounts them from HostConfig.Tmpfs.
	tmpfsDests := make([]string, 0, len(hc.Tmpfs))
	for dest := range hc.Tmpfs {
		tmpfsDests = append(tmpfsDests, dest)
	}
	sort.Strings(tmpfsDests)
	for _, dest := range tmpfsDests {
		add(volume.MountPoint{MountPoint: apicontainer.MountPoint{Type: mount.TypeTmpfs, Destination: dest, RW: true}})
	}

	for _, from := range hc.VolumesFrom {
		ref, mode, _ := strings.Cut(from, ":")
		switch mode {
		case "", "ro", "rw", "z", "Z":
		default:
			return nil, errdefs.Invalid("invalid mode for volumes-from: %s", mode)
		}
		src, err := d.containers.Get(ref)
		if err != nil {
			// 400, not 404: the docker CLI takes a 404 on create for a
			// missing image and would try to pull it.
			return nil, errdefs.As(errdefs.KindInvalid, err)
		}
		src.Mu.Lock()
		inherited := append([]volume.MountPoint(nil), src.MountPoints...)
		src.Mu.Unlock()
		for _, mp := range inherited {
			if mp.Type != mount.TypeVolume && mp.Type != mount.TypeBind || seen[mp.Destination] {
				continue
			}
			switch mode {
			case "ro":
				mp.RW = false
			case "rw":
				mp.RW = true
			}
			mp.Added = true
			add(mp)
		}
	}

	dests := make([]string, 0, len(cfg.Volumes))
	for dest := range cfg.Volumes {
		dests = append(dests, dest)
	}
	sort.Strings(dests)
	for _, dest := range dests {
		if !path.IsAbs(dest) {
			return nil, errdefs.Invalid("invalid mount config for type \"volume\": invalid mount path: '%s' mount path must be absolute", dest)
		}
		if seen[path.Clean(dest)] {
			continue
		}
		name, err := getVolume("", nil, map[string]string{volume.AnonymousLabel: ""})
		if err != nil {
			return nil, err
		}
		add(volume.MountPoint{MountPoint: apicontainer.MountPoint{Type: mount.TypeVolume, Name: name, Source: d.volumes.Path(name),
			Destination: dest, Driver: volume.DriverName, RW: true}, Added: true})
	}
	return mps, nil
}

func withLabel(labels map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for lk, lv := range labels {
		out[lk] = lv
	}
	return out
}

// specHostConfig is the HostConfig the spec generator sees at start: the
// container's own binds and tmpfs mounts as they are, and every volume
// (plus what --volumes-from brought) as a bind of its directory, mounted
// by the driver and filled from the image on first use. rootfs is the
// mounted rootfs (the image content to copy up).
func (d *Daemon) specHostConfig(c *container.Container, rootfs string) (*apicontainer.HostConfig, error) {
	if c.MountPoints == nil {
		return c.HostConfig, nil
	}
	hc := *c.HostConfig
	hc.Binds = nil
	for _, b := range c.HostConfig.Binds {
		if filepath.IsAbs(strings.SplitN(b, ":", 2)[0]) {
			hc.Binds = append(hc.Binds, b)
		}
	}
	hc.Mounts = nil
	for _, m := range c.HostConfig.Mounts {
		if m.Type != mount.TypeVolume {
			hc.Mounts = append(hc.Mounts, m)
		}
	}
	var mounted []string
	for _, mp := range c.MountPoints {
		if !mp.Added {
			continue
		}
		if mp.Type == mount.TypeVolume {
			if err := d.useVolume(mp, rootfs); err != nil {
				d.releaseVolumeNames(mounted)
				return nil, err
			}
			mounted = append(mounted, mp.Name)
			d.events.Publish(events.VolumeEventType, events.ActionMount, mp.Name, map[string]string{
				"container": c.ID, "destination": mp.Destination, "driver": volume.DriverName,
				"propagation": string(mp.Propagation), "read/write": strconv.FormatBool(mp.RW)})
		}
		sm, err := mp.SpecMount()
		if err != nil {
			d.releaseVolumeNames(mounted)
			return nil, err
		}
		hc.Mounts = append(hc.Mounts, sm)
	}
	return &hc, nil
}

// useVolume mounts a driver-mounted volume, takes a reference on it, and
// copies the image's content (and the directory's owner) into it when it
// is empty; an explicit uid/gid option still wins.
func (d *Daemon) useVolume(mp volume.MountPoint, rootfs string) error {
	v, err := d.volumes.Get(mp.Name)
	if err != nil {
		return err
	}
	if err := d.holdVolume(v); err != nil {
		return err
	}
	src, err := mp.SourcePath()
	if err != nil {
		return err
	}
	if mp.Subpath != "" {
		if _, err := os.Stat(src); err != nil {
			return errdefs.Invalid("cannot access path %s: %v", src, err)
		}
		return nil
	}
	if mp.NoCopy {
		return nil
	}
	imgDir, closeDir, err := volume.OpenInRoot(rootfs, mp.Destination)
	if err != nil {
		return err
	}
	defer closeDir()
	if imgDir == "" {
		return nil
	}
	copied, err := volume.CopyUp(imgDir, src)
	if err != nil {
		return err
	}
	if uid, gid, ok := v.Owner(); copied && ok {
		return os.Lchown(src, uid, gid)
	}
	return nil
}

// holdVolume mounts a driver-mounted volume (if no one has yet) and takes
// a reference on it; releaseVolumeNames gives it back.
func (d *Daemon) holdVolume(v *volume.Volume) error {
	// The count and the mount change together: a last release must not
	// unmount between another start's mount and its count.
	d.volRefs.Lock()
	defer d.volRefs.Unlock()
	if err := d.volumes.Mount(v); err != nil {
		return err
	}
	d.volRefs.n[v.Name]++
	return nil
}

// releaseVolumes drops the container's references when it stops; a
// driver-mounted volume is unmounted when no running container uses it.
func (d *Daemon) releaseVolumes(c *container.Container) {
	var names []string
	for _, mp := range c.MountPoints {
		if mp.Added && mp.Type == mount.TypeVolume {
			names = append(names, mp.Name)
			d.events.Publish(events.VolumeEventType, events.ActionUnmount, mp.Name, map[string]string{
				"container": c.ID, "driver": volume.DriverName})
		}
	}
	d.releaseVolumeNames(names)
}

func (d *Daemon) releaseVolumeNames(names []string) {
	for _, n := range names {
		d.volRefs.Lock()
		d.volRefs.n[n]--
		if d.volRefs.n[n] <= 0 {
			delete(d.volRefs.n, n)
			if v, err := d.volumes.Get(n); err == nil {
				if err := d.volumes.Unmount(v); err != nil {
					d.log.Warn("unmounting volume", "volume", n, "err", err)
				}
			}
		}
		d.volRefs.Unlock()
	}
}

// countVolumeRefs rebuilds the references of the containers that kept
// running while the daemon was down (called once after reconcile).
func (d *Daemon) countVolumeRefs() {
	for _, c := range d.containers.List() {
		c.Mu.Lock()
		if c.State.Running {
			for _, mp := range c.MountPoints {
				if mp.Added && mp.Type == mount.TypeVolume {
					d.volRefs.Lock()
					d.volRefs.n[mp.Name]++
					d.volRefs.Unlock()
				}
			}
		}
		c.Mu.Unlock()
	}
}

// inspectMounts is inspect's Mounts: the resolved mount points, or for a
// record from before volumes existed, what its HostConfig says.
func inspectMounts(c *container.Container) []apicontainer.MountPoint {
	if c.MountPoints == nil {
		return mountPoints(c.HostConfig)
	}
	out := make([]apicontainer.MountPoint, 0, len(c.MountPoints))
	for _, mp := range c.MountPoints {
		out = append(out, mp.MountPoint)
	}
	return out
}
