package volume

import (
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// MountPoint is one of a container's mounts as the daemon resolved it at
// create time: inspect's MountPoint plus what start needs again.
type MountPoint struct {
	apicontainer.MountPoint
	// Subpath is --mount volume-subpath: only that directory of the volume.
	Subpath string `json:"Subpath,omitempty"`
	// NoCopy is volume-nocopy (or -v ...:nocopy): no copy-up of image content.
	NoCopy bool `json:"NoCopy,omitempty"`
	// Added marks mounts the volume code puts into the spec itself
	// (volumes, --volumes-from); the others are HostConfig's own binds and
	// tmpfs mounts that the spec generator already handles.
	Added bool `json:"Added,omitempty"`
}

// SourcePath is the host path to bind: the volume directory, or the
// subpath inside it (which must stay inside and exist, as in Docker).
func (m MountPoint) SourcePath() (string, error) {
	if m.Subpath == "" {
		return m.Source, nil
	}
	clean := filepath.Clean("/" + m.Subpath)
	if clean == "/" || strings.Contains(m.Subpath, "..") || filepath.IsAbs(m.Subpath) {
		return "", errdefs.Invalid("invalid volume subpath %q: must be a relative path inside the volume", m.Subpath)
	}
	return filepath.Join(m.Source, clean), nil
}

// SpecMount is the bind mount that puts m into a container.
func (m MountPoint) SpecMount() (mount.Mount, error) {
	src, err := m.SourcePath()
	if err != nil {
		return mount.Mount{}, err
	}
	out := mount.Mount{Type: mount.TypeBind, Source: src, Target: m.Destination, ReadOnly: !m.RW}
	if m.Propagation != "" {
		out.BindOptions = &mount.BindOptions{Propagation: m.Propagation}
	}
	return out, nil
}
