package daemon

import (
	"os"
	"path/filepath"
)

// makeInitLayer prepares the directory every container's rootfs has as
// its topmost read-only layer, above the image's: it holds /.dockerenv,
// which Docker's init layer puts in every container and which scripts
// test to know they run in one. Docker's init layer also adds /etc/mtab
// and mount points for /etc/hosts and the like, but only where the image
// lacks them; a layer shared by all images cannot ask, so it holds nothing
// that could hide an image's own file (COMPATIBILITY.md). Shared and never
// written through overlay, it costs a container nothing to have.
func makeInitLayer(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.OpenFile(filepath.Join(dir, ".dockerenv"), os.O_CREATE|os.O_RDONLY, 0o755)
	if err != nil {
		return "", err
	}
	f.Close()
	return dir, nil
}

// withInitLayer puts the init layer over an image's layer dirs (top first,
// overlay's order).
func (d *Daemon) withInitLayer(lowers []string) []string {
	return append([]string{d.initLayer}, lowers...)
}
