package cli

import (
	"fmt"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
)

// blkioOptions fills the per-device block I/O settings of r from
// --blkio-weight-device and --device-{read,write}-{bps,iops}, with the
// docker CLI's validation and messages.
func (o *containerOptions) blkioOptions(r *container.Resources) error {
	var err error
	if r.BlkioWeightDevice, err = parseWeightDevices(o.blkioWeightDevice); err != nil {
		return err
	}
	for _, t := range []struct {
		vals []string
		out  *[]*blkiodev.ThrottleDevice
		bps  bool
	}{
		{o.devReadBps, &r.BlkioDeviceReadBps, true},
		{o.devWriteBps, &r.BlkioDeviceWriteBps, true},
		{o.devReadIOps, &r.BlkioDeviceReadIOps, false},
		{o.devWriteIOps, &r.BlkioDeviceWriteIOps, false},
	} {
		if *t.out, err = parseThrottleDevices(t.vals, t.bps); err != nil {
			return err
		}
	}
	return nil
}

func parseThrottleDevices(vals []string, bps bool) ([]*blkiodev.ThrottleDevice, error) {
	var out []*blkiodev.ThrottleDevice
	for _, v := range vals {
		path, rate, ok := strings.Cut(v, ":")
		if !ok || strings.Contains(rate, ":") {
			return nil, fmt.Errorf("bad format: %s", v)
		}
		if !strings.HasPrefix(path, "/dev/") {
			return nil, fmt.Errorf("bad format for device path: %s", v)
		}
		var n uint64
		if bps {
			r, err := units.RAMInBytes(rate)
			if err != nil || r < 0 {
				return nil, fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb", v)
			}
			n = uint64(r)
		} else {
			r, err := strconv.ParseUint(rate, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>. Number must be a positive integer", v)
			}
			n = r
		}
		out = append(out, &blkiodev.ThrottleDevice{Path: path, Rate: n})
	}
	return out, nil
}

func parseWeightDevices(vals []string) ([]*blkiodev.WeightDevice, error) {
	var out []*blkiodev.WeightDevice
	for _, v := range vals {
		path, w, ok := strings.Cut(v, ":")
		if !ok || !strings.HasPrefix(path, "/dev/") {
			return nil, fmt.Errorf("bad format: %s", v)
		}
		n, err := strconv.ParseUint(w, 10, 16)
		if err != nil || (n > 0 && (n < 10 || n > 1000)) {
			return nil, fmt.Errorf("invalid weight for device: %s", v)
		}
		out = append(out, &blkiodev.WeightDevice{Path: path, Weight: uint16(n)})
	}
	return out, nil
}
