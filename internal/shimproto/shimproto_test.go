package shimproto

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestConfigRoundTrip(t *testing.T) {
	for _, c := range []Config{
		{},
		{
			ID: "abc", Bundle: "/run/b dir/\"q\"\n", Runtime: "/usr/sbin/runc", RuntimeRoot: "/run/r=x",
			RuntimeArgs: []string{"--systemd-cgroup", "a=b", "", "é\x00\xff"}, RuntimeFD: 4, RuntimeExe: "/run/x/.crun-sealed/fd4/crun",
			Tty: true, OpenStdin: true, StdinOnce: true,
			LogDriver: "json-file", LogPath: "/var/lib/x-json.log", LogMaxSize: 10 << 20, LogMaxFile: 3,
			CgroupMemoryDir: "/sys/fs/cgroup/memory/berth/abc",
		},
	} {
		got, err := ParseConfig(MarshalConfig(c))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, c)
		}
	}
}

func TestParseConfigRejects(t *testing.T) {
	for _, bad := range []string{"id\n", "id=unquoted\n", "tty=maybe\n", "log_max_file=x\n", "nope=\"1\"\n"} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestExitJSONMatchesEncodingJSON(t *testing.T) {
	for _, e := range []Exit{
		{ExitCode: 137, ExitedAt: "2024-01-02T03:04:05.123456789Z", OOMKilled: true},
		{ExitCode: -1, Error: "runc: \"bad\"\n\t<x> & \x01 é \u2028 \xff"},
	} {
		want, _ := json.Marshal(e)
		got := AppendExitJSON(nil, e)
		if string(got) != string(want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
		var back Exit
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatal(err)
		}
	}
}
