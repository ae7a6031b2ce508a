package daemon

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/berth-dev/berth/internal/api"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/filters"
	"github.com/berth-dev/berth/internal/volume"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/mount"
	apivolume "github.com/moby/moby/api/types/volume"
)

var _ api.VolumeBackend = (*Daemon)(nil)

// volumeRefs counts running containers per volume, for driver-mounted
// volumes (unmounted when the count drops to zero).
type volumeRefs struct {
	sync.Mutex
	n map[string]int
}

func (d *Daemon) volumeEvent(name string, action events.Action) {
	d.events.Publish(events.VolumeEventType, action, name, map[string]string{"driver": volume.DriverName})
}

// VolumeCreate is POST /volumes/create.
func (d *Daemon) VolumeCreate(ctx context.Context, req apivolume.CreateRequest) (*apivolume.Volume, error) {
	v, created, err := d.volumes.Create(req.Name, req.Driver, req.DriverOpts, req.Labels)
	if err != nil {
		return nil, err
	}
	if created {
		d.volumeEvent(v.Name, events.ActionCreate)
	}
	return d.apiVolume(v, nil), nil
}

// VolumeInspect is GET /volumes/{name}.
func (d *Daemon) VolumeInspect(ctx context.Context, name string) (*apivolume.Volume, error) {
	v, err := d.volumes.Get(name)
	if err != nil {
		return nil, err
	}
	return d.apiVolume(v, nil), nil
}

// VolumeList is GET /volumes with Docker's filters: dangling, driver,
// label (and label!), name (a regular expression).
func (d *Daemon) VolumeList(ctx context.Context, f filters.Args) (*apivolume.ListResponse, error) {
	if err := f.Validate("dangling", "driver", "label", "label!", "name"); err != nil {
		return nil, err
	}
	dangling, err := danglingFilter(f)
	if err != nil {
		return nil, err
	}
	users := d.volumeUsers()
	resp := &apivolume.ListResponse{Volumes: []apivolume.Volume{}, Warnings: []string{}}
	for _, v := range d.volumes.List() {
		if dangling != nil && *dangling != (len(users[v.Name]) == 0) {
			continue
		}
		if !f.MatchAny("driver", v.Driver) || !f.MatchLabels("label", v.Labels) || !notLabels(f.Get("label!"), v.Labels) {
			continue
		}
		if names := f.Get("name"); len(names) > 0 && !anyRegexp(names, v.Name) { // unanchored, as Docker's filters.Match
			continue
		}
		resp.Volumes = append(resp.Volumes, *d.apiVolume(v, nil))
	}
	return resp, nil
}

// VolumeRemove is DELETE /volumes/{name}; force ignores a missing volume
// (and, as in Docker, never removes one that is in use).
func (d *Daemon) VolumeRemove(ctx context.Context, name string, force bool) error {
	if _, err := d.volumes.Get(name); err != nil {
		if force && errdefs.IsNotFound(err) {
			return nil
		}
		return err
	}
	if ids := d.volumeUsers()[name]; len(ids) > 0 {
		return errdefs.Conflict("remove %s: volume is in use - [%s]", name, strings.Join(ids, ", "))
	}
	if err := d.volumes.Remove(name); err != nil {
		return err
	}
	d.volumeEvent(name, events.ActionDestroy)
	return nil
}

// VolumesPrune is POST /volumes/prune: unused anonymous volumes, or every
// unused volume with all=true (Docker >= 23). The space reported is what
// the removed directories took on disk.
func (d *Daemon) VolumesPrune(ctx context.Context, f filters.Args) (*apivolume.PruneReport, error) {
	if err := f.Validate("label", "label!", "all"); err != nil {
		return nil, err
	}
	all := false
	for _, v := range f.Get("all") {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, errdefs.Invalid("invalid filter 'all=%s'", v)
		}
		all = b
	}
	users := d.volumeUsers()
	rep := &apivolume.PruneReport{VolumesDeleted: []string{}}
	for _, v := range d.volumes.List() {
		if len(users[v.Name]) > 0 || (!all && !v.Anonymous()) {
			continue
		}
		if !f.MatchLabels("label", v.Labels) || !notLabels(f.Get("label!"), v.Labels) {
			continue
		}
		size := d.volumes.Size(v.Name)
		if err := d.volumes.Remove(v.Name); err != nil {
			d.log.Warn("pruning volume", "volume", v.Name, "err", err)
			continue
		}
		d.volumeEvent(v.Name, events.ActionDestroy)
		rep.VolumesDeleted = append(rep.VolumesDeleted, v.Name)
		rep.SpaceReclaimed += uint64(size)
	}
	d.events.Publish(events.VolumeEventType, events.ActionPrune, "", map[string]string{"reclaimed": strconv.FormatUint(rep.SpaceReclaimed, 10)})
	return rep, nil
}

// volumeDiskUsage is system df's volume part: size and links per volume.
func (d *Daemon) volumeDiskUsage() *apivolume.DiskUsage {
	users := d.volumeUsers()
	du := &apivolume.DiskUsage{Items: []apivolume.Volume{}}
	for _, v := range d.volumes.List() {
		size := d.volumes.Size(v.Name)
		refs := int64(len(users[v.Name]))
		du.Items = append(du.Items, *d.apiVolume(v, &apivolume.UsageData{Size: size, RefCount: refs}))
		du.TotalCount++
		du.TotalSize += size
		if refs > 0 {
			du.ActiveCount++
		} else {
			du.Reclaimable += size
		}
	}
	return du
}

func (d *Daemon) apiVolume(v *volume.Volume, usage *apivolume.UsageData) *apivolume.Volume {
	labels, opts := v.Labels, v.Options
	if labels == nil {
		labels = map[string]string{}
	}
	if opts == nil {
		opts = map[string]string{}
	}
	return &apivolume.Volume{
		Name:       v.Name,
		Driver:     v.Driver,
		Mountpoint: d.volumes.Path(v.Name),
		CreatedAt:  v.CreatedString(),
		Labels:     labels,
		Options:    opts,
		Scope:      "local",
		UsageData:  usage,
	}
}

// volumeUsers maps each volume to the IDs of the containers (in any state)
// that mount it.
func (d *Daemon) volumeUsers() map[string][]string {
	out := map[string][]string{}
	for _, c := range d.containers.List() {
		c.Mu.Lock()
		for _, mp := range c.MountPoints {
			if mp.Type == mount.TypeVolume && !containsString(out[mp.Name], c.ID) {
				out[mp.Name] = append(out[mp.Name], c.ID)
			}
		}
		c.Mu.Unlock()
	}
	return out
}

// removeAnonymousVolumes deletes the anonymous volumes of a removed (or
// never created) container (rm -v, --rm) that no other container uses;
// named ones stay.
func (d *Daemon) removeAnonymousVolumes(mps []volume.MountPoint) {
	hasVolume := false
	for _, mp := range mps {
		hasVolume = hasVolume || mp.Type == mount.TypeVolume
	}
	if !hasVolume {
		return // the common case: no scan of every record
	}
	users := d.volumeUsers()
	for _, mp := range mps {
		if mp.Type != mount.TypeVolume || len(users[mp.Name]) > 0 {
			continue
		}
		v, err := d.volumes.Get(mp.Name)
		if err != nil || !v.Anonymous() {
			continue
		}
		if err := d.volumes.Remove(v.Name); err != nil {
			d.log.Warn("removing anonymous volume", "volume", v.Name, "err", err)
			continue
		}
		d.volumeEvent(v.Name, events.ActionDestroy)
	}
}

func notLabels(fs []string, labels map[string]string) bool {
	for _, f := range fs {
		k, v, hasV := strings.Cut(f, "=")
		got, ok := labels[k]
		if ok && (!hasV || got == v) {
			return false
		}
	}
	return true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// danglingFilter reads the "dangling" filter (nil when absent) with
// dockerd's error for a value that is no boolean.
func danglingFilter(f filters.Args) (*bool, error) {
	var dangling *bool
	for _, v := range f.Get("dangling") {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, errdefs.Invalid("invalid filter 'dangling=%s'", v)
		}
		dangling = &b
	}
	return dangling, nil
}
