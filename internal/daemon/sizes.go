package daemon

import "path/filepath"

// rwAndImageSize is a container's rw layer size and its image's size (-1
// when the image is gone), for ps --size and inspect --size. Callers must
// not hold the container's lock: the walk can take seconds on a big layer,
// and start, stop and every ps would wait for it. The container's ID and
// image never change, so nothing needs the lock here.
func (d *Daemon) rwAndImageSize(id, imageID string) (rw, image int64) {
	rw = dirSize(filepath.Join(d.containers.Dir(id), "rw", "upper"))
	image = -1
	if img, err := d.images.Resolve(imageID); err == nil {
		image = img.Size
	}
	return rw, image
}
