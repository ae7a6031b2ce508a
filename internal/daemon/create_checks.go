package daemon

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/runtime"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// checkStartable refuses at create what could only fail at start, with
// dockerd's messages: Docker refuses these before making the container,
// and a create that succeeds for a container that can never start leaves
// a record behind. Nothing is created or changed here.
func (d *Daemon) checkStartable(cfg *apicontainer.Config, hc *apicontainer.HostConfig) error {
	// A number is taken as it is (dockerd falls back to SIGKILL at stop
	// for one it cannot send); a name must be known.
	if cfg.StopSignal != "" {
		if _, err := strconv.Atoi(cfg.StopSignal); err != nil {
			if _, err := parseSignal(cfg.StopSignal); err != nil {
				return err
			}
		}
	}
	if hc := cfg.Healthcheck; hc != nil {
		for _, f := range []struct {
			name string
			d    time.Duration
		}{{"Interval", hc.Interval}, {"Timeout", hc.Timeout}, {"StartPeriod", hc.StartPeriod}, {"StartInterval", hc.StartInterval}} {
			if f.d != 0 && f.d < time.Millisecond {
				return errdefs.Invalid("%s in Healthcheck cannot be less than 1ms", f.name)
			}
		}
		if hc.Retries < 0 {
			return errdefs.Invalid("Retries in Healthcheck cannot be negative")
		}
	}
	if cfg.WorkingDir != "" && !path.IsAbs(cfg.WorkingDir) {
		return errdefs.Invalid("the working directory '%s' is invalid, it needs to be an absolute path", cfg.WorkingDir)
	}
	if !hc.Privileged {
		if err := runtime.CheckCaps(hc.CapAdd, hc.CapDrop); err != nil {
			return err
		}
	}
	for _, b := range hc.Binds {
		parts := strings.Split(b, ":")
		if len(parts) >= 2 && parts[1] != "" && !path.IsAbs(parts[1]) {
			typ := "volume"
			if filepath.IsAbs(parts[0]) {
				typ = "bind"
			}
			return errdefs.Invalid("invalid volume specification: '%s': invalid mount config for type %q: invalid mount path: '%s' mount path must be absolute", b, typ, parts[1])
		}
	}
	for _, m := range hc.Mounts {
		switch m.Type {
		case mount.TypeBind, mount.TypeVolume, mount.TypeTmpfs:
		default:
			return errdefs.Invalid("invalid mount config for type %q: mount type unknown", m.Type)
		}
		if m.Target == "" {
			return errdefs.Invalid("invalid mount config for type %q: field Target must not be empty", m.Type)
		}
		if !path.IsAbs(m.Target) {
			return errdefs.Invalid("invalid mount config for type %q: invalid mount path: '%s' mount path must be absolute", m.Type, m.Target)
		}
		if m.Type == mount.TypeBind && m.Source != "" && (m.BindOptions == nil || !m.BindOptions.CreateMountpoint) {
			if !filepath.IsAbs(m.Source) {
				return errdefs.Invalid("invalid mount config for type \"bind\": invalid mount path: '%s' mount path must be absolute", m.Source)
			}
			if _, err := os.Stat(m.Source); errors.Is(err, fs.ErrNotExist) {
				return errdefs.Invalid("invalid mount config for type \"bind\": bind source path does not exist: %s", filepath.Clean(m.Source))
			}
		}
	}
	for dest := range hc.Tmpfs {
		if !path.IsAbs(dest) {
			return errdefs.Invalid("invalid mount config: tmpfs destination %q is not an absolute path", dest)
		}
	}
	for _, mode := range []string{string(hc.IpcMode), string(hc.PidMode)} {
		if ref, ok := strings.CutPrefix(mode, "container:"); ok {
			if _, err := d.containers.Get(ref); err != nil {
				return errdefs.Invalid("No such container: %s", ref)
			}
		}
	}
	return nil
}
