package runtime

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/opencontainers/runtime-spec/specs-go"
)

func baseInput(t *testing.T) SpecInput {
	t.Helper()
	return SpecInput{
		ID:          "0123456789abcdef0123",
		Config:      &container.Config{Cmd: []string{"sh"}},
		HostConfig:  &container.HostConfig{NetworkMode: "none"},
		RootfsPath:  t.TempDir(),
		CgroupsPath: "/berth/x",
	}
}

func gen(t *testing.T, mod func(*SpecInput)) *specs.Spec {
	t.Helper()
	in := baseInput(t)
	if mod != nil {
		mod(&in)
	}
	s, err := Generate(in)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return s
}

func findMount(s *specs.Spec, dest string) *specs.Mount {
	for i := range s.Mounts {
		if s.Mounts[i].Destination == dest {
			return &s.Mounts[i]
		}
	}
	return nil
}

func TestCapabilities(t *testing.T) {
	tests := []struct {
		name       string
		add, drop  []string
		privileged bool
		want       []string // exact set, or nil to use check
		check      func(t *testing.T, caps []string)
		wantErr    string
	}{
		{name: "default", want: defaultCaps},
		{name: "add lower without prefix", add: []string{"net_admin"}, check: func(t *testing.T, c []string) {
			if !slices.Contains(c, "CAP_NET_ADMIN") || len(c) != 15 {
				t.Fatalf("caps %v", c)
			}
		}},
		{name: "drop with prefix", drop: []string{"CAP_CHOWN", "kill"}, check: func(t *testing.T, c []string) {
			if slices.Contains(c, "CAP_CHOWN") || slices.Contains(c, "CAP_KILL") || len(c) != 12 {
				t.Fatalf("caps %v", c)
			}
		}},
		{name: "drop all add one", drop: []string{"all"}, add: []string{"chown"}, want: []string{"CAP_CHOWN"}},
		{name: "drop all", drop: []string{"ALL"}, want: []string{}},
		{name: "add all drop one", add: []string{"ALL"}, drop: []string{"sys_admin"}, check: func(t *testing.T, c []string) {
			if slices.Contains(c, "CAP_SYS_ADMIN") || !slices.Contains(c, "CAP_NET_ADMIN") {
				t.Fatalf("caps %v", c)
			}
		}},
		{name: "privileged", privileged: true, want: availableCaps()},
		{name: "unknown", add: []string{"bogus"}, wantErr: `unknown capability: "CAP_BOGUS"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := baseInput(t)
			in.HostConfig.CapAdd, in.HostConfig.CapDrop, in.HostConfig.Privileged = tc.add, tc.drop, tc.privileged
			s, err := Generate(in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errdefs.IsInvalid(err) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := s.Process.Capabilities
			if !slices.Equal(c.Bounding, c.Effective) || !slices.Equal(c.Bounding, c.Permitted) {
				t.Fatalf("sets differ: %+v", c)
			}
			if tc.want != nil && !slices.Equal(c.Effective, tc.want) {
				t.Fatalf("caps = %v, want %v", c.Effective, tc.want)
			}
			if tc.check != nil {
				tc.check(t, c.Effective)
			}
		})
	}
}

func TestPrivileged(t *testing.T) {
	s := gen(t, func(in *SpecInput) { in.HostConfig.Privileged = true })
	if s.Linux.MaskedPaths != nil || s.Linux.ReadonlyPaths != nil {
		t.Fatalf("masked %v readonly %v", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
	}
	if s.Linux.Seccomp != nil {
		t.Fatal("privileged has seccomp")
	}
	if slices.Contains(findMount(s, "/sys").Options, "ro") {
		t.Fatal("/sys is ro")
	}
	if len(s.Linux.Devices) == 0 || !s.Linux.Resources.Devices[0].Allow {
		t.Fatalf("devices %d rules %+v", len(s.Linux.Devices), s.Linux.Resources.Devices)
	}
	if !slices.ContainsFunc(s.Linux.Devices, func(d specs.LinuxDevice) bool { return d.Path == "/dev/null" }) {
		t.Fatal("no /dev/null in host devices")
	}
}

func TestDefaults(t *testing.T) {
	s := gen(t, nil)
	for _, p := range []string{"/proc/kcore", "/proc/keys", "/sys/firmware", "/proc/interrupts", "/sys/devices/virtual/powercap"} {
		if !slices.Contains(s.Linux.MaskedPaths, p) {
			t.Errorf("missing masked path %s", p)
		}
	}
	if !slices.Equal(s.Linux.ReadonlyPaths, []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) {
		t.Errorf("readonly %v", s.Linux.ReadonlyPaths)
	}
	if !slices.Contains(findMount(s, "/sys").Options, "ro") {
		t.Error("/sys not ro")
	}
	if shm := findMount(s, "/dev/shm"); shm == nil || !slices.Contains(shm.Options, "size=67108864") {
		t.Errorf("/dev/shm %+v", shm)
	}
	var types []specs.LinuxNamespaceType
	for _, n := range s.Linux.Namespaces {
		types = append(types, n.Type)
		if n.Path != "" {
			t.Errorf("namespace %s has path %s", n.Type, n.Path)
		}
	}
	for _, want := range []specs.LinuxNamespaceType{specs.MountNamespace, specs.NetworkNamespace, specs.UTSNamespace, specs.PIDNamespace, specs.IPCNamespace} {
		if !slices.Contains(types, want) {
			t.Errorf("missing namespace %s", want)
		}
	}
	if len(s.Linux.Resources.Devices) != 8 || s.Linux.Resources.Devices[0].Allow {
		t.Errorf("device rules %+v", s.Linux.Resources.Devices)
	}
	if s.Hostname != "0123456789ab" || s.Process.Cwd != "/" || s.Linux.CgroupsPath != "/berth/x" {
		t.Errorf("hostname %q cwd %q cgroups %q", s.Hostname, s.Process.Cwd, s.Linux.CgroupsPath)
	}
	if s.Process.Rlimits != nil {
		t.Errorf("default rlimits %v: must inherit the daemon's", s.Process.Rlimits)
	}
	if s.Process.NoNewPrivileges {
		t.Error("no-new-privileges on by default")
	}
}

func TestNamespacesByMode(t *testing.T) {
	has := func(s *specs.Spec, typ specs.LinuxNamespaceType) (string, bool) {
		for _, n := range s.Linux.Namespaces {
			if n.Type == typ {
				return n.Path, true
			}
		}
		return "", false
	}
	s := gen(t, func(in *SpecInput) { in.HostConfig.NetworkMode = "host"; in.HostConfig.PidMode = "host" })
	if _, ok := has(s, specs.NetworkNamespace); ok {
		t.Error("host network has a netns")
	}
	if _, ok := has(s, specs.PIDNamespace); ok {
		t.Error("host pid has a pidns")
	}
	host, _ := os.Hostname()
	if s.Hostname != host {
		t.Errorf("hostname %q, want host's %q", s.Hostname, host)
	}
	s = gen(t, func(in *SpecInput) { in.HostConfig.NetworkMode = "bridge"; in.NetNSPath = "/run/netns/x" })
	if p, _ := has(s, specs.NetworkNamespace); p != "/run/netns/x" {
		t.Errorf("netns path %q", p)
	}
	s = gen(t, func(in *SpecInput) { in.HostConfig.IpcMode = "none" })
	if findMount(s, "/dev/shm") != nil {
		t.Error("ipc none still has /dev/shm")
	}
}

func TestSeccomp(t *testing.T) {
	custom := `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["chmod"],"action":"SCMP_ACT_ERRNO"}]}`
	tests := []struct {
		opt     string
		check   func(t *testing.T, sc *specs.LinuxSeccomp)
		wantErr bool
	}{
		{opt: "", check: func(t *testing.T, sc *specs.LinuxSeccomp) {
			if sc == nil || sc.DefaultAction != specs.ActErrno || len(sc.Syscalls) < 10 {
				t.Fatalf("default profile %+v", sc)
			}
		}},
		{opt: "seccomp=unconfined", check: func(t *testing.T, sc *specs.LinuxSeccomp) {
			if sc != nil {
				t.Fatal("unconfined has a filter")
			}
		}},
		{opt: "seccomp=" + custom, check: func(t *testing.T, sc *specs.LinuxSeccomp) {
			if sc == nil || sc.DefaultAction != specs.ActAllow || len(sc.Syscalls) != 1 || sc.Syscalls[0].Names[0] != "chmod" {
				t.Fatalf("custom %+v", sc)
			}
		}},
		{opt: "seccomp={not json", wantErr: true},
		{opt: "bogus=1", wantErr: true},
		{opt: "apparmor=unconfined", check: func(t *testing.T, sc *specs.LinuxSeccomp) {
			if sc == nil {
				t.Fatal("apparmor opt dropped seccomp")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.opt, func(t *testing.T) {
			in := baseInput(t)
			if tc.opt != "" {
				in.HostConfig.SecurityOpt = []string{tc.opt}
			}
			s, err := Generate(in)
			if tc.wantErr {
				if err == nil || !errdefs.IsInvalid(err) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s.Linux.Seccomp)
		})
	}
}

func TestNoNewPrivileges(t *testing.T) {
	for _, opt := range []string{"no-new-privileges", "no-new-privileges=true", "no-new-privileges:true"} {
		s := gen(t, func(in *SpecInput) { in.HostConfig.SecurityOpt = []string{opt} })
		if !s.Process.NoNewPrivileges {
			t.Errorf("%s: not set", opt)
		}
	}
	s := gen(t, func(in *SpecInput) { in.HostConfig.SecurityOpt = []string{"no-new-privileges=false"} })
	if s.Process.NoNewPrivileges {
		t.Error("=false set it")
	}
}

func TestBinds(t *testing.T) {
	host := t.TempDir()
	missing := filepath.Join(t.TempDir(), "made", "by", "v")
	s := gen(t, func(in *SpecInput) {
		in.HostConfig.Binds = []string{host + ":/data:ro", missing + ":/w", host + ":/z:rw,Z"}
	})
	if m := findMount(s, "/data"); m == nil || m.Source != host || m.Type != "bind" || !slices.Equal(m.Options, []string{"rbind", "ro", "rprivate"}) {
		t.Errorf("/data %+v", m)
	}
	if m := findMount(s, "/w"); m == nil || !slices.Equal(m.Options, []string{"rbind", "rprivate"}) {
		t.Errorf("/w %+v", m)
	}
	if st, err := os.Stat(missing); err != nil || !st.IsDir() {
		t.Errorf("-v did not create the missing source: %v", err)
	}
	if m := findMount(s, "/z"); m == nil || slices.Contains(m.Options, "ro") {
		t.Errorf("/z %+v", m)
	}

	in := baseInput(t)
	in.HostConfig.Mounts = []mount.Mount{{Type: mount.TypeBind, Source: "/nonexistent-berth-x", Target: "/x"}}
	_, err := Generate(in)
	if err == nil || err.Error() != `invalid mount config for type "bind": bind source path does not exist: /nonexistent-berth-x` {
		t.Errorf("--mount missing source: %v", err)
	}
	in.HostConfig.Mounts = []mount.Mount{{Type: mount.TypeVolume, Source: "vol", Target: "/x"}}
	if _, err := Generate(in); errdefs.KindOf(err) != errdefs.KindNotImplemented {
		t.Errorf("volume mount: %v", err)
	}
	in.HostConfig.Mounts = []mount.Mount{{Type: mount.TypeBind, Source: host, Target: "/m", ReadOnly: true}}
	s, err = Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	if m := findMount(s, "/m"); m == nil || !slices.Contains(m.Options, "ro") {
		t.Errorf("--mount ro %+v", m)
	}
}

func TestTmpfs(t *testing.T) {
	s := gen(t, func(in *SpecInput) {
		in.HostConfig.Tmpfs = map[string]string{"/run": "rw,size=64m,mode=1777", "/x": "exec"}
		in.HostConfig.Mounts = []mount.Mount{{Type: mount.TypeTmpfs, Target: "/t", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20, Mode: 0o700}}}
	})
	if m := findMount(s, "/run"); m == nil || m.Type != "tmpfs" || !slices.Equal(m.Options, []string{"noexec", "nosuid", "nodev", "rprivate", "rw", "size=64m", "mode=1777"}) {
		t.Errorf("/run %+v", m)
	}
	if m := findMount(s, "/x"); m == nil || slices.Contains(m.Options, "noexec") || !slices.Contains(m.Options, "exec") {
		t.Errorf("/x %+v", m)
	}
	if m := findMount(s, "/t"); m == nil || !slices.Contains(m.Options, "size=1048576") || !slices.Contains(m.Options, "mode=700") {
		t.Errorf("/t %+v", m)
	}
}

func TestReadonlyRootfsAndEtcFiles(t *testing.T) {
	s := gen(t, func(in *SpecInput) {
		in.HostConfig.ReadonlyRootfs = true
		in.HostsPath, in.ResolvConfPath = "/tmp/hosts", "/tmp/resolv"
	})
	if !s.Root.Readonly {
		t.Error("root not ro")
	}
	if m := findMount(s, "/etc/hosts"); m == nil || m.Source != "/tmp/hosts" || !slices.Contains(m.Options, "ro") {
		t.Errorf("/etc/hosts %+v", m)
	}
	if findMount(s, "/etc/hostname") != nil {
		t.Error("empty HostnamePath still mounted")
	}
	if slices.Contains(findMount(s, "/dev/shm").Options, "ro") {
		t.Error("/dev/shm made ro")
	}
}

func TestUlimitsAndResources(t *testing.T) {
	nano := int64(1500000000)
	pids := int64(100)
	s := gen(t, func(in *SpecInput) {
		hc := in.HostConfig
		hc.Ulimits = []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}}
		hc.Memory = 64 << 20
		hc.NanoCPUs = nano
		hc.CPUShares = 512
		hc.PidsLimit = &pids
		hc.CpusetCpus = "0"
		hc.OomScoreAdj = 100
		hc.Sysctls = map[string]string{"net.core.somaxconn": "1024"}
	})
	if !slices.Equal(s.Process.Rlimits, []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 2048}}) {
		t.Errorf("rlimits %+v", s.Process.Rlimits)
	}
	r := s.Linux.Resources
	if *r.Memory.Limit != 64<<20 || *r.CPU.Quota != 150000 || *r.CPU.Period != 100000 || *r.CPU.Shares != 512 || *r.Pids.Limit != 100 || r.CPU.Cpus != "0" {
		t.Errorf("resources %+v %+v %+v", r.Memory, r.CPU, r.Pids)
	}
	if *s.Process.OOMScoreAdj != 100 || s.Linux.Sysctl["net.core.somaxconn"] != "1024" {
		t.Errorf("oom %v sysctl %v", *s.Process.OOMScoreAdj, s.Linux.Sysctl)
	}
}

func TestEnvArgsInit(t *testing.T) {
	s := gen(t, func(in *SpecInput) {
		in.Config.Env = []string{"FOO=bar", "HOSTNAME=override"}
		in.Config.Tty = true
		in.Config.Hostname = "web"
		in.Config.Entrypoint = []string{"/bin/entry"}
		in.Config.Cmd = []string{"a", "b"}
		in.Config.WorkingDir = "/srv"
	})
	want := []string{"PATH=" + DefaultPathEnv, "HOSTNAME=override", "TERM=xterm", "FOO=bar"}
	if !slices.Equal(s.Process.Env, want) {
		t.Errorf("env %v, want %v", s.Process.Env, want)
	}
	if !slices.Equal(s.Process.Args, []string{"/bin/entry", "a", "b"}) || s.Process.Cwd != "/srv" || !s.Process.Terminal || s.Hostname != "web" {
		t.Errorf("process %+v hostname %q", s.Process, s.Hostname)
	}
	s = gen(t, func(in *SpecInput) {
		in.Config.Env = []string{"PATH=/custom"}
		in.InitPath = "/usr/bin/berth-shim"
		yes := true
		in.HostConfig.Init = &yes
	})
	if s.Process.Env[0] != "PATH=/custom" {
		t.Errorf("PATH not replaced: %v", s.Process.Env)
	}
	if !slices.Equal(s.Process.Args, []string{"/sbin/docker-init", "init", "--", "sh"}) {
		t.Errorf("init args %v", s.Process.Args)
	}
	if m := findMount(s, "/sbin/docker-init"); m == nil || m.Source != "/usr/bin/berth-shim" || !slices.Contains(m.Options, "ro") {
		t.Errorf("init mount %+v", m)
	}

	in := baseInput(t)
	in.Config.Cmd = nil
	if _, err := Generate(in); err == nil || !strings.Contains(err.Error(), "no command specified") {
		t.Errorf("empty cmd: %v", err)
	}
}

func TestExecProcessSpec(t *testing.T) {
	in := baseInput(t)
	writeEtc(t, in.RootfsPath)
	in.Config.Env = []string{"A=1"}
	in.HostConfig.SecurityOpt = []string{"no-new-privileges"}
	in.HostConfig.GroupAdd = []string{"audio"}
	base, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ExecProcessSpec(base, in.RootfsPath, &container.ExecCreateRequest{
		Cmd: []string{"ls"}, Env: []string{"A=2", "B=3"}, User: "alice", WorkingDir: "/tmp", Tty: true, Privileged: true,
	}, in.HostConfig.GroupAdd...)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.Env, "A=2") || !slices.Contains(p.Env, "B=3") || !slices.Contains(p.Env, "TERM=xterm") || slices.Contains(p.Env, "A=1") {
		t.Errorf("env %v", p.Env)
	}
	if p.User.UID != 1000 || p.User.GID != 1000 || !slices.Equal(p.User.AdditionalGids, []uint32{1000, 27, 29}) {
		t.Errorf("user %+v", p.User)
	}
	if p.Cwd != "/tmp" || !p.Terminal || !p.NoNewPrivileges || len(p.Capabilities.Effective) != len(availableCaps()) {
		t.Errorf("process %+v", p)
	}
	p, err = ExecProcessSpec(base, in.RootfsPath, &container.ExecCreateRequest{Cmd: []string{"ls"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.User.UID != 0 || p.Cwd != "/" || len(p.Capabilities.Effective) != 14 {
		t.Errorf("default exec %+v", p)
	}
}
