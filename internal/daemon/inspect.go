package daemon

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/api"
	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/filters"
	"github.com/berth-dev/berth/internal/health"
	"github.com/docker/go-units"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/storage"
	digest "github.com/opencontainers/go-digest"
)

func itoa(n int) string { return strconv.Itoa(n) }

func apiTime(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// statusString is the human STATUS column Docker computes server-side.
func statusString(c *container.Container) string {
	s := c.State
	switch c.Status() {
	case apicontainer.StateRemoving:
		return "Removal In Progress"
	case apicontainer.StateDead:
		return "Dead"
	case apicontainer.StateRestarting:
		return fmt.Sprintf("Restarting (%d) %s ago", s.ExitCode, units.HumanDuration(time.Since(s.FinishedAt)))
	case apicontainer.StatePaused:
		return "Up " + units.HumanDuration(time.Since(s.StartedAt)) + " (Paused)"
	case apicontainer.StateRunning:
		return "Up " + units.HumanDuration(time.Since(s.StartedAt)) + healthSuffix(s.Health)
	case apicontainer.StateCreated:
		return "Created"
	}
	return fmt.Sprintf("Exited (%d) %s ago", s.ExitCode, units.HumanDuration(time.Since(s.FinishedAt)))
}

func (d *Daemon) ContainerInspect(ctx context.Context, ref string, size bool) (*apicontainer.InspectResponse, error) {
	c, err := d.containers.Get(ref)
	if err != nil {
		return nil, err
	}
	c.Mu.Lock()
	s := c.State
	dir := d.containers.Dir(c.ID)
	cfg := *c.Config
	hc := *c.HostConfig
	r := &apicontainer.InspectResponse{
		ID:      c.ID,
		Created: apiTime(c.Created),
		Path:    c.Path,
		Args:    append([]string{}, c.Args...),
		State: &apicontainer.State{
			Status: c.Status(), Running: s.Running, Paused: s.Paused, Restarting: s.Restarting,
			OOMKilled: s.OOMKilled, Dead: s.Dead, Pid: s.Pid, ExitCode: s.ExitCode, Error: s.Error,
			StartedAt: apiTime(s.StartedAt), FinishedAt: apiTime(s.FinishedAt),
			Health: health.Copy(s.Health),
		},
		Image:          c.ImageID,
		ResolvConfPath: c.ResolvConfPath,
		HostnamePath:   c.HostnamePath,
		HostsPath:      c.HostsPath,
		LogPath:        c.LogPath,
		Name:           c.Name,
		RestartCount:   c.RestartCount,
		Driver:         "overlay2",
		Platform:       "linux",
		ExecIDs:        d.execIDs(c),
		HostConfig:     &hc,
		GraphDriver: &storage.DriverData{Name: "overlay2", Data: map[string]string{
			"UpperDir":  filepath.Join(dir, "rw", "upper"),
			"WorkDir":   filepath.Join(dir, "rw", "work"),
			"MergedDir": filepath.Join(d.bundleDir(c.ID), "rootfs"),
		}},
		Mounts:          inspectMounts(c),
		Config:          &cfg,
		NetworkSettings: d.networkSettings(c),
	}
	c.Mu.Unlock()
	if size {
		// Walked unlocked (sizes.go): a big rw layer must not stall the
		// container's start, stop or ps.
		rw, img := d.rwAndImageSize(c.ID, r.Image)
		root := rw
		if img >= 0 {
			root += img
		}
		r.SizeRw, r.SizeRootFs = &rw, &root
	}
	return r, nil
}

func mountPoints(hc *apicontainer.HostConfig) []apicontainer.MountPoint {
	out := []apicontainer.MountPoint{}
	for _, b := range hc.Binds {
		parts := strings.Split(b, ":")
		if len(parts) < 2 {
			continue
		}
		mp := apicontainer.MountPoint{Type: mount.TypeBind, Source: parts[0], Destination: parts[1], RW: true, Propagation: mount.PropagationRPrivate}
		if len(parts) > 2 {
			mp.Mode = parts[2]
			for _, o := range strings.Split(parts[2], ",") {
				if o == "ro" {
					mp.RW = false
				}
			}
		}
		out = append(out, mp)
	}
	for _, m := range hc.Mounts {
		out = append(out, apicontainer.MountPoint{Type: m.Type, Source: m.Source, Destination: m.Target, RW: !m.ReadOnly})
	}
	for dest := range hc.Tmpfs {
		out = append(out, apicontainer.MountPoint{Type: mount.TypeTmpfs, Destination: dest, RW: true})
	}
	return out
}

func (d *Daemon) ContainerList(ctx context.Context, opts api.ContainerListOptions) ([]apicontainer.Summary, error) {
	f := opts.Filters
	if err := f.Validate("id", "name", "label", "label!", "exited", "status", "ancestor", "before", "since",
		"volume", "network", "publish", "expose", "health", "isolation", "is-task"); err != nil {
		return nil, err
	}
	if err := validateHealthFilter(f); err != nil {
		return nil, err
	}
	for _, st := range f.Get("status") {
		if err := apicontainer.ValidateContainerState(apicontainer.ContainerState(st)); err != nil {
			return nil, errdefs.Invalid("invalid filter 'status=%s'", st)
		}
	}
	for _, v := range f.Get("exited") {
		if _, err := strconv.Atoi(v); err != nil {
			return nil, errdefs.Invalid("%s", err.Error())
		}
	}
	for _, v := range f.Get("is-task") {
		if _, err := strconv.ParseBool(v); err != nil {
			return nil, errdefs.Invalid("invalid filter 'is-task=%s'", v)
		}
	}
	ports := map[string]map[string]bool{}
	for _, key := range []string{"publish", "expose"} {
		ports[key] = map[string]bool{}
		for _, v := range f.Get(key) {
			list, err := portFilterValues(key, v)
			if err != nil {
				return nil, err
			}
			for _, p := range list {
				ports[key][p] = true
			}
		}
	}
	var before, since time.Time
	if v := f.Get("before"); len(v) > 0 {
		c, err := d.containers.Get(v[0])
		if err != nil {
			return nil, err
		}
		before = c.Created
	}
	if v := f.Get("since"); len(v) > 0 {
		c, err := d.containers.Get(v[0])
		if err != nil {
			return nil, err
		}
		since = c.Created
	}
	var ancestors []string
	for _, a := range f.Get("ancestor") {
		img, err := d.images.Resolve(a)
		if err != nil {
			continue
		}
		ancestors = append(ancestors, img.ID.String())
	}
	// As Docker: a limit (ps -n, -l), before/since, status and exited
	// filters all look at stopped containers too.
	all := opts.All || opts.Limit > 0 || !before.IsZero() || !since.IsZero() ||
		len(f.Get("status")) > 0 || len(f.Get("exited")) > 0
	out := []apicontainer.Summary{}
	for _, c := range d.containers.List() {
		c.Mu.Lock()
		s, ok := d.summary(c, opts, f, all, before, since, ancestors)
		c.Mu.Unlock()
		ok = ok && matchesRowFilters(s, f, ports)
		if ok && opts.Size {
			// Walked unlocked (sizes.go).
			var img int64
			s.SizeRw, img = d.rwAndImageSize(c.ID, s.ImageID)
			if img >= 0 {
				s.SizeRootFs = s.SizeRw + img
			}
		}
		if ok {
			out = append(out, s)
		}
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
	}
	return out, nil
}

// matchesRowFilters applies the ps filters that look at a row's mounts,
// networks and ports, as dockerd does: volume (name, source or
// destination), network (name or ID prefix), publish and expose (port or
// range, "/tcp" by default), is-task (berth runs no swarm tasks).
func matchesRowFilters(s apicontainer.Summary, f filters.Args, ports map[string]map[string]bool) bool {
	if vs := f.Get("volume"); len(vs) > 0 {
		found := false
		for _, m := range s.Mounts {
			found = found || contains(vs, m.Name) && m.Name != "" || contains(vs, m.Source) && m.Source != "" || contains(vs, m.Destination)
		}
		if !found {
			return false
		}
	}
	if ns := f.Get("network"); len(ns) > 0 {
		found := false
		for name, ep := range s.NetworkSettings.Networks {
			for _, n := range ns {
				found = found || n == name || (ep != nil && n != "" && strings.HasPrefix(ep.NetworkID, n))
			}
		}
		if !found {
			return false
		}
	}
	if len(ports["publish"]) > 0 || len(ports["expose"]) > 0 {
		found := false
		for _, p := range s.Ports {
			found = found || ports["publish"][fmt.Sprintf("%d/%s", p.PublicPort, p.Type)] ||
				ports["expose"][fmt.Sprintf("%d/%s", p.PrivatePort, p.Type)]
		}
		if !found {
			return false
		}
	}
	for _, v := range f.Get("is-task") {
		if task, _ := strconv.ParseBool(v); task {
			return false
		}
	}
	return true
}

// portFilterValues expands a publish/expose filter value ("80", "80/udp",
// "8000-8002/tcp") into "PORT/PROTO" keys.
func portFilterValues(key, v string) ([]string, error) {
	spec, proto, _ := strings.Cut(v, "/")
	if proto == "" {
		proto = "tcp"
	}
	a, b, err := parsePortRange(spec)
	if err != nil {
		return nil, errdefs.Invalid("invalid filter '%s=%s'", key, v)
	}
	var out []string
	for p := a; p <= b; p++ {
		out = append(out, fmt.Sprintf("%d/%s", p, strings.ToLower(proto)))
	}
	return out, nil
}

// listedImage is the IMAGE column of c's row: the name it was created
// from while that name still means its image, else the image's ID (as
// Docker, after an rmi -f or a tag moved to another image).
func (d *Daemon) listedImage(c *container.Container) string {
	if c.ImageID == "" || c.Config.Image == c.ImageID {
		return c.Config.Image
	}
	if id, err := digest.Parse(c.ImageID); err == nil && !d.images.ResolvesTo(c.Config.Image, id) {
		return c.ImageID
	}
	return c.Config.Image
}

// summary builds c's row if it passes the filters. c.Mu is held.
func (d *Daemon) summary(c *container.Container, opts api.ContainerListOptions, f filters.Args, all bool, before, since time.Time, ancestors []string) (apicontainer.Summary, bool) {
	status := c.Status()
	if !all && status != apicontainer.StateRunning && status != apicontainer.StatePaused && status != apicontainer.StateRestarting {
		return apicontainer.Summary{}, false
	}
	name := strings.TrimPrefix(c.Name, "/")
	switch {
	case !before.IsZero() && !c.Created.Before(before),
		!since.IsZero() && !c.Created.After(since),
		!f.MatchAny("status", string(status)),
		!f.MatchLabels("label", c.Config.Labels),
		f.Has("label!") && matchesAnyLabel(f.Get("label!"), c.Config.Labels),
		f.Has("id") && !anyPrefix(f.Get("id"), c.ID),
		f.Has("name") && !anyRegexp(f.Get("name"), name) && !anyRegexp(f.Get("name"), "/"+name),
		f.Has("exited") && (status != apicontainer.StateExited || !f.MatchAny("exited", itoa(c.State.ExitCode))),
		f.Has("ancestor") && !contains(ancestors, c.ImageID),
		f.Has("health") && !f.MatchAny("health", string(healthStatus(c))):
		return apicontainer.Summary{}, false
	}
	// dockerd quotes an argument holding a space: "sh -c 'exit 2'".
	cmd := c.Path
	for _, a := range c.Args {
		if strings.Contains(a, " ") {
			a = "'" + a + "'"
		}
		cmd += " " + a
	}
	labels := c.Config.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	s := apicontainer.Summary{
		ID: c.ID, Names: []string{c.Name}, Image: d.listedImage(c), ImageID: c.ImageID,
		Command: cmd, Created: c.Created.Unix(), Ports: d.portSummaries(c),
		Labels: labels, State: status, Status: statusString(c),
		NetworkSettings: &apicontainer.NetworkSettingsSummary{Networks: d.networkSettings(c).Networks},
		Mounts:          inspectMounts(c),
	}
	s.HostConfig.NetworkMode = string(c.HostConfig.NetworkMode)
	if c.State.Health != nil {
		s.Health = &apicontainer.HealthSummary{Status: c.State.Health.Status, FailingStreak: c.State.Health.FailingStreak}
	}
	return s, true
}

func matchesAnyLabel(fs []string, labels map[string]string) bool {
	for _, f := range fs {
		k, v, hasV := strings.Cut(f, "=")
		if got, ok := labels[k]; ok && (!hasV || got == v) {
			return true
		}
	}
	return false
}

func anyPrefix(ps []string, s string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func anyRegexp(res []string, s string) bool {
	for _, r := range res {
		if re, err := regexp.Compile(r); err == nil && re.MatchString(s) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// dirSize sums regular file sizes under dir (0 when missing).
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			if info, err := e.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// untilFilter parses the prune "until" filter: a unix timestamp, an RFC3339
// time or a duration ago ("24h").
func untilFilter(f filters.Args) (time.Time, error) {
	v := f.Get("until")
	if len(v) == 0 {
		return time.Time{}, nil
	}
	return parseTimeArg(v[0])
}

func parseTimeArg(s string) (time.Time, error) {
	if dur, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-dur), nil
	}
	if sec, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(0, int64(sec*1e9)), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errdefs.Invalid("invalid time value %q", s)
}
