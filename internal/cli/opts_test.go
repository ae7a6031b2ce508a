package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

func parseRun(t *testing.T, args ...string) (*containerConfig, error) {
	t.Helper()
	var o containerOptions
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.Bool("detach", false, "")
	addContainerFlags(fs, &o)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("flag parse: %v", err)
	}
	return o.parse(fs, fs.Args())
}

func TestParseRunFlags(t *testing.T) {
	t.Setenv("FROM_HOST", "hv")
	cfg, err := parseRun(t, "-e", "A=1", "-e", "FROM_HOST", "-e", "UNSET_XYZ", "-w", "/w", "-u", "1:2",
		"--name", "n", "-l", "k=v", "--rm", "--init", "-i", "-t", "--hostname", "h.example.com",
		"--read-only", "--tmpfs", "/run:size=1m", "-v", "/a:/b:ro", "-v", "/anon",
		"--ulimit", "nofile=10:20", "--network", "host", "--cap-add", "NET_ADMIN", "--cap-drop", "ALL",
		"--privileged", "--log-driver", "json-file", "--log-opt", "max-size=1m", "-m", "64m", "--cpus", "1.5",
		"--pids-limit", "100", "--shm-size", "128m", "--sysctl", "net.ipv4.ip_forward=1", "-p", "127.0.0.1:8080:80",
		"--stop-signal", "SIGINT", "--stop-timeout", "3", "--entrypoint", "/bin/sh", "--group-add", "wheel",
		"busybox", "echo", "hi")
	if err != nil {
		t.Fatal(err)
	}
	c, h := cfg.Config, cfg.HostConfig
	if !reflect.DeepEqual(c.Env, []string{"A=1", "FROM_HOST=hv"}) {
		t.Errorf("Env = %v", c.Env)
	}
	if c.Image != "busybox" || !reflect.DeepEqual(c.Cmd, []string{"echo", "hi"}) {
		t.Errorf("image/cmd = %q %v", c.Image, c.Cmd)
	}
	if !reflect.DeepEqual(c.Entrypoint, []string{"/bin/sh"}) || c.WorkingDir != "/w" || c.User != "1:2" {
		t.Errorf("entrypoint/workdir/user = %v %q %q", c.Entrypoint, c.WorkingDir, c.User)
	}
	if !c.Tty || !c.OpenStdin || !c.AttachStdin || !c.StdinOnce || !c.AttachStdout || !c.AttachStderr {
		t.Errorf("stdio flags wrong: %+v", c)
	}
	if c.Hostname != "h" || c.Domainname != "example.com" {
		t.Errorf("hostname split = %q %q", c.Hostname, c.Domainname)
	}
	if c.Labels["k"] != "v" || c.StopSignal != "SIGINT" || c.StopTimeout == nil || *c.StopTimeout != 3 {
		t.Errorf("labels/stop = %v %q %v", c.Labels, c.StopSignal, c.StopTimeout)
	}
	if _, ok := c.Volumes["/anon"]; !ok || !reflect.DeepEqual(h.Binds, []string{"/a:/b:ro"}) {
		t.Errorf("volumes/binds = %v %v", c.Volumes, h.Binds)
	}
	if !h.AutoRemove || h.Init == nil || !*h.Init || !h.ReadonlyRootfs || !h.Privileged {
		t.Errorf("hostconfig bools wrong: %+v", h)
	}
	if h.Tmpfs["/run"] != "size=1m" || h.NetworkMode != "host" || h.LogConfig.Type != "json-file" || h.LogConfig.Config["max-size"] != "1m" {
		t.Errorf("tmpfs/net/log = %v %q %+v", h.Tmpfs, h.NetworkMode, h.LogConfig)
	}
	if h.Memory != 64*1024*1024 || h.NanoCPUs != 1500000000 || h.PidsLimit == nil || *h.PidsLimit != 100 || h.ShmSize != 128*1024*1024 {
		t.Errorf("resources = mem %d cpus %d pids %v shm %d", h.Memory, h.NanoCPUs, h.PidsLimit, h.ShmSize)
	}
	if len(h.Ulimits) != 1 || h.Ulimits[0].Name != "nofile" || h.Ulimits[0].Soft != 10 || h.Ulimits[0].Hard != 20 {
		t.Errorf("ulimits = %+v", h.Ulimits)
	}
	if h.Sysctls["net.ipv4.ip_forward"] != "1" || !reflect.DeepEqual(h.GroupAdd, []string{"wheel"}) {
		t.Errorf("sysctls/groups = %v %v", h.Sysctls, h.GroupAdd)
	}
	if !reflect.DeepEqual(h.CapAdd, []string{"NET_ADMIN"}) || !reflect.DeepEqual(h.CapDrop, []string{"ALL"}) {
		t.Errorf("caps = %v %v", h.CapAdd, h.CapDrop)
	}
	p80 := network.MustParsePort("80/tcp")
	if b := h.PortBindings[p80]; len(b) != 1 || b[0].HostPort != "8080" || b[0].HostIP.String() != "127.0.0.1" {
		t.Errorf("port bindings = %v", h.PortBindings)
	}
	if _, ok := c.ExposedPorts[p80]; !ok {
		t.Errorf("exposed = %v", c.ExposedPorts)
	}
}

func TestParseRunDefaults(t *testing.T) {
	cfg, err := parseRun(t, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	c, h := cfg.Config, cfg.HostConfig
	if c.AttachStdin || !c.AttachStdout || !c.AttachStderr || c.OpenStdin || c.StdinOnce {
		t.Errorf("default attach wrong: %+v", c)
	}
	if h.Init != nil || c.Entrypoint != nil || c.Cmd == nil && len(c.Cmd) != 0 || h.RestartPolicy.Name != "no" {
		t.Errorf("defaults: init=%v entrypoint=%v restart=%+v", h.Init, c.Entrypoint, h.RestartPolicy)
	}
}

func TestParseRunEmptyEntrypointResets(t *testing.T) {
	cfg, err := parseRun(t, "--entrypoint", "", "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Config.Entrypoint, []string{""}) {
		t.Errorf("Entrypoint = %#v", cfg.Config.Entrypoint)
	}
}

func TestParseRunErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--restart", "always", "--rm", "x"}, "conflicting options: cannot specify both --restart and --rm"},
		{[]string{"--restart", "on-failure:x", "x"}, "invalid restart policy format: maximum retry count must be an integer"},
		{[]string{"--restart", ":3", "x"}, "invalid restart policy format: no policy provided before colon"},
		{[]string{"-a", "foo", "x"}, `invalid argument "foo" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`},
		{[]string{"--security-opt", "seccomp", "x"}, `Invalid --security-opt: "seccomp"`},
		{[]string{"--memory-swappiness", "101", "x"}, "invalid value: 101. Valid memory swappiness range is 0-100"},
		{[]string{"--tmpfs", "rel", "x"}, `invalid argument "rel" for "--tmpfs" flag: invalid mount path: 'rel' mount path must be absolute`},
	} {
		_, err := parseRun(t, tc.args...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestParseRestartPolicy(t *testing.T) {
	for in, want := range map[string]container.RestartPolicy{
		"":               {},
		"no":             {Name: "no"},
		"always":         {Name: "always"},
		"on-failure:5":   {Name: "on-failure", MaximumRetryCount: 5},
		"unless-stopped": {Name: "unless-stopped"},
	} {
		got, err := parseRestartPolicy(in)
		if err != nil || got != want {
			t.Errorf("%q: got %+v, %v; want %+v", in, got, err, want)
		}
	}
}

func TestSeccompFileContentIsSent(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "prof.json")
	if err := os.WriteFile(f, []byte("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseRun(t, "--security-opt", "seccomp="+f, "--security-opt", "no-new-privileges", "x")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`seccomp={"defaultAction":"SCMP_ACT_ALLOW"}`, "no-new-privileges"}
	if !reflect.DeepEqual(cfg.HostConfig.SecurityOpt, want) {
		t.Errorf("SecurityOpt = %q", cfg.HostConfig.SecurityOpt)
	}
}

func TestEnvAndLabelFiles(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, "env")
	os.WriteFile(env, []byte("# comment\nA=1\n\nB=two words\n"), 0o644)
	labels := filepath.Join(dir, "labels")
	os.WriteFile(labels, []byte("x=y\nflag\n"), 0o644)
	cfg, err := parseRun(t, "--env-file", env, "-e", "C=3", "--label-file", labels, "x")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Config.Env, []string{"A=1", "B=two words", "C=3"}) {
		t.Errorf("Env = %q", cfg.Config.Env)
	}
	if cfg.Config.Labels["x"] != "y" || cfg.Config.Labels["flag"] != "" {
		t.Errorf("Labels = %v", cfg.Config.Labels)
	}
}

func TestParseMount(t *testing.T) {
	m, err := parseMount("type=bind,source=/src,target=/dst,readonly,bind-propagation=rshared")
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != "bind" || m.Source != "/src" || m.Target != "/dst" || !m.ReadOnly || m.BindOptions.Propagation != "rshared" {
		t.Errorf("mount = %+v", m)
	}
	m, err = parseMount("type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1777")
	if err != nil || m.TmpfsOptions.SizeBytes != 1<<20 || m.TmpfsOptions.Mode != 0o1777 {
		t.Errorf("tmpfs mount = %+v, %v", m, err)
	}
	if _, err := parseMount("type=bind,target=/x"); err == nil {
		t.Error("bind without source accepted")
	}
}

func TestParsePublishRanges(t *testing.T) {
	_, b, err := parsePorts([]string{"8000-8001:9000-9001/udp", "[::1]:53:53"}, []string{"7000-7001"})
	if err != nil {
		t.Fatal(err)
	}
	if got := b[network.MustParsePort("9001/udp")]; len(got) != 1 || got[0].HostPort != "8001" {
		t.Errorf("range binding = %v", got)
	}
	if got := b[network.MustParsePort("53/tcp")]; len(got) != 1 || got[0].HostIP.String() != "::1" {
		t.Errorf("ipv6 binding = %v", got)
	}
	if _, _, err := parsePorts([]string{"1:2:3:4"}, nil); err == nil {
		t.Error("bad spec accepted")
	}
}
