package cli

import (
	"strings"
	"testing"
)

func TestParseThrottleAndWeightDevices(t *testing.T) {
	td, err := parseThrottleDevices([]string{"/dev/sda:1mb", "/dev/sdb:512"}, true)
	if err != nil || len(td) != 2 || td[0].Path != "/dev/sda" || td[0].Rate != 1<<20 || td[1].Rate != 512 {
		t.Fatalf("bps = %+v %v", td, err)
	}
	if td, err := parseThrottleDevices([]string{"/dev/sda:100"}, false); err != nil || td[0].Rate != 100 {
		t.Fatalf("iops = %+v %v", td, err)
	}
	for _, c := range []struct {
		v    string
		bps  bool
		want string
	}{
		{"/dev/sda", true, "bad format: /dev/sda"},
		{"sda:1mb", true, "bad format for device path: sda:1mb"},
		{"/dev/sda:fast", true, "invalid rate for device: /dev/sda:fast"},
		{"/dev/sda:1mb", false, "invalid rate for device: /dev/sda:1mb"},
	} {
		if _, err := parseThrottleDevices([]string{c.v}, c.bps); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.v, err, c.want)
		}
	}
	wd, err := parseWeightDevices([]string{"/dev/sda:200"})
	if err != nil || wd[0].Weight != 200 {
		t.Fatalf("weight = %+v %v", wd, err)
	}
	if _, err := parseWeightDevices([]string{"/dev/sda:5"}); err == nil {
		t.Fatal("weight 5 accepted (range 10-1000)")
	}
}

func TestRunFlagsCarryBlkioDevices(t *testing.T) {
	cfg, err := parseRun(t, "--device-write-bps", "/dev/vda:2mb", "--device-read-iops", "/dev/vda:70",
		"--blkio-weight-device", "/dev/vda:300", "busybox")
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.HostConfig.Resources
	if len(r.BlkioDeviceWriteBps) != 1 || r.BlkioDeviceWriteBps[0].Rate != 2<<20 ||
		len(r.BlkioDeviceReadIOps) != 1 || r.BlkioDeviceReadIOps[0].Rate != 70 ||
		len(r.BlkioWeightDevice) != 1 || r.BlkioWeightDevice[0].Weight != 300 {
		t.Fatalf("resources = %+v", r)
	}
}
