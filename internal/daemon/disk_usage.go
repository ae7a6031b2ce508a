package daemon

import (
	"context"

	"github.com/berth-dev/berth/internal/api"
	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/diskusage"
	apicontainer "github.com/moby/moby/api/types/container"
	apiimage "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
)

// `system df` in allocated bytes, so that every RECLAIMABLE is what the
// matching prune gives back:
//   - images: Size is everything an image needs on disk (snapshots, blobs,
//     pushed gzip forms); the total counts each object once.
//   - containers: SizeRw is the whole container directory (rw layer, json
//     logs and their rotations, hosts/resolv.conf, record), so logs are
//     counted in the column the docker CLI already shows.
//   - build cache: the layers and cache mounts only the cache keeps.

var apiListAllWithSize = api.ContainerListOptions{All: true, Size: true}

func (d *Daemon) DiskUsage(ctx context.Context) (*system.DiskUsage, error) {
	du := &system.DiskUsage{ImageUsage: d.imageDiskUsage()}
	cu, err := d.containerDiskUsage(ctx)
	if err != nil {
		return nil, err
	}
	du.ContainerUsage = cu
	du.VolumeUsage = d.volumeDiskUsage()
	du.BuildCacheUsage = d.buildCacheUsage()
	return du, nil
}

// imageDiskUsage: Reclaimable is what `image prune -a` frees (what neither
// an image in use nor the build cache needs). The docker CLI computes RECLAIMABLE itself as
// LayersSize - sum(Size - SharedSize) over images in use, so an image in
// use reports as shared what an image in use listed before it also holds:
// then the CLI's sum is the union of what images in use hold, and its
// RECLAIMABLE matches ours. Unused images keep Docker's meaning (shared
// with any other image).
func (d *Daemon) imageDiskUsage() *apiimage.DiskUsage {
	du := &apiimage.DiskUsage{Items: []apiimage.Summary{}}
	counts := d.imageContainerCounts()
	onDisk, total := d.images.OnDisk()
	heldByActive := map[string]bool{}
	cacheHeld := map[string]int64{} // what image prune leaves to builder prune
	var activeBytes int64
	for _, img := range d.images.List() {
		s := d.images.Summary(img)
		s.Containers = int64(counts[img.ID.String()])
		use := onDisk[img.ID]
		s.Size, s.SharedSize = use.Size, use.Shared
		for _, o := range use.Objects {
			if o.Retained {
				cacheHeld[o.Key] = o.Size
			}
		}
		if s.Containers > 0 {
			du.ActiveCount++
			var owned int64
			for _, o := range use.Objects {
				if !heldByActive[o.Key] {
					heldByActive[o.Key] = true
					owned += o.Size
				}
			}
			s.SharedSize = use.Size - owned
			activeBytes += owned
		}
		du.Items = append(du.Items, s)
		du.TotalCount++
	}
	du.TotalSize = total
	du.Reclaimable = total - activeBytes
	for key, size := range cacheHeld {
		if !heldByActive[key] {
			du.Reclaimable -= size
		}
	}
	return du
}

// containerDiskSize is what removing c frees in the data root.
func (d *Daemon) containerDiskSize(c *container.Container) int64 {
	return diskusage.Allocated(d.containers.Dir(c.ID))
}

func (d *Daemon) containerDiskUsage(ctx context.Context) (*apicontainer.DiskUsage, error) {
	du := &apicontainer.DiskUsage{}
	list, err := d.ContainerList(ctx, apiListAllWithSize)
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		c.SizeRw = diskusage.Allocated(d.containers.Dir(c.ID))
		du.Items = append(du.Items, c)
		du.TotalCount++
		du.TotalSize += c.SizeRw
		if c.State == apicontainer.StateRunning || c.State == apicontainer.StatePaused {
			du.ActiveCount++
		} else {
			du.Reclaimable += c.SizeRw
		}
	}
	return du, nil
}
