package runtime

import (
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// statDevice is how a device path becomes major:minor; tests replace it.
var statDevice = func(path string) (major, minor int64, err error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, 0, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0, 0, errdefs.Invalid("%s is not a block device", path)
	}
	return int64(unix.Major(uint64(st.Rdev))), int64(unix.Minor(uint64(st.Rdev))), nil
}

// blockIO maps --blkio-weight, --blkio-weight-device and the
// --device-{read,write}-{bps,iops} throttles (Docker's getBlkioWeightDevices
// and getBlkioThrottleDevices); nil when none is set.
func blockIO(r *container.Resources) (*specs.LinuxBlockIO, error) {
	bio := &specs.LinuxBlockIO{}
	set := false
	if r.BlkioWeight != 0 {
		bio.Weight, set = ptr(r.BlkioWeight), true
	}
	for _, wd := range r.BlkioWeightDevice {
		if wd == nil {
			continue
		}
		major, minor, err := statDevice(wd.Path)
		if err != nil {
			return nil, errdefs.Invalid("invalid blkio weight device %s: %v", wd.Path, err)
		}
		d := specs.LinuxWeightDevice{Weight: ptr(wd.Weight)}
		d.Major, d.Minor = major, minor
		bio.WeightDevice, set = append(bio.WeightDevice, d), true
	}
	for _, t := range []struct {
		in  []*blkiodev.ThrottleDevice
		out *[]specs.LinuxThrottleDevice
	}{
		{r.BlkioDeviceReadBps, &bio.ThrottleReadBpsDevice},
		{r.BlkioDeviceWriteBps, &bio.ThrottleWriteBpsDevice},
		{r.BlkioDeviceReadIOps, &bio.ThrottleReadIOPSDevice},
		{r.BlkioDeviceWriteIOps, &bio.ThrottleWriteIOPSDevice},
	} {
		for _, td := range t.in {
			if td == nil {
				continue
			}
			major, minor, err := statDevice(td.Path)
			if err != nil {
				return nil, errdefs.Invalid("invalid device %s: %v", td.Path, err)
			}
			d := specs.LinuxThrottleDevice{Rate: td.Rate}
			d.Major, d.Minor = major, minor
			*t.out, set = append(*t.out, d), true
		}
	}
	if !set {
		return nil, nil
	}
	return bio, nil
}
