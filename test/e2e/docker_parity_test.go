package e2e

import (
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Differences from dockerd found by running the same docker CLI commands
// against both; each check is what Docker 28 answers.

// mustFail runs docker, wants a non-zero exit and stderr containing want.
func (d *daemon) mustFail(t *testing.T, want string, args ...string) {
	t.Helper()
	r := d.dk(args...)
	if r.Code == 0 || !strings.Contains(r.Stderr, want) {
		t.Errorf("docker %s: want a failure with %q, got %s", strings.Join(args, " "), want, r)
	}
}

func TestImageListFiltersAsDocker(t *testing.T) {
	d := startDaemon(t)
	id := map[string]string{}
	for _, n := range []string{"i1", "i2", "i3"} {
		id[n] = strings.TrimSpace(d.must(t, "import", baseTar, n))[len("sha256:"):][:12]
	}
	if got := d.must(t, "images", "-q", "--filter", "before=i2"); got != id["i1"]+"\n" {
		t.Errorf("before=i2: %q, want i1 %s", got, id["i1"])
	}
	if got := d.must(t, "images", "-q", "--filter", "since=i2"); got != id["i3"]+"\n" {
		t.Errorf("since=i2: %q, want i3 %s", got, id["i3"])
	}
	d.mustFail(t, "No such image: nope:latest", "images", "--filter", "before=nope")
	d.mustFail(t, "invalid filter 'dangling=foo'", "images", "--filter", "dangling=foo")

	// A reference filter shows only the names that match.
	d.must(t, "tag", "i3", "m:1")
	d.must(t, "tag", "i3", "m:2")
	if got := d.must(t, "images", "--format", "{{.Repository}}:{{.Tag}}", "m"); got != "m:1\nm:2\n" {
		t.Errorf("images m: %q", got)
	}
	if got := d.must(t, "images", "-q", "i3"); got != id["i3"]+"\n" {
		t.Errorf("images -q i3: %q", got)
	}

	// A container whose image name moved on is listed by the image's ID.
	d.must(t, "create", "--name", "c-m1", "m:1", "true")
	d.must(t, "tag", "i1", "m:1")
	if got := strings.TrimSpace(d.must(t, "ps", "-a", "--filter", "name=c-m1", "--format", "{{.Image}}")); got != id["i3"] {
		t.Errorf("ps IMAGE after m:1 moved: %q, want %s", got, id["i3"])
	}
	d.must(t, "rm", "c-m1")
}

func TestImageNamesAndChangesAsDocker(t *testing.T) {
	d := sharedDaemon(t)
	name := uniqueName(t)
	img := name + ":base"
	d.must(t, "import", "-c", "ONBUILD RUN echo built-on", "-c", "HEALTHCHECK --interval=7s CMD true", baseTar, img)
	t.Cleanup(func() { d.docker("rmi", "-f", img, name+":committed", name+":bar") })
	if got := d.inspect(t, img, "{{json .Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}}"); got != `["CMD-SHELL","true"] 7s` {
		t.Errorf("HEALTHCHECK change: %s", got)
	}
	d.mustFail(t, "bogus is not a valid change command", "import", "-c", "BOGUS x", baseTar, name+":bad")
	d.mustFail(t, "refusing to create an ambiguous tag using digest algorithm as name", "tag", img, "sha256:x")
	d.mustFail(t, "must be lowercase", "image", "inspect", "Up-"+name)
	d.mustFail(t, "No such image: "+name+"-nope:latest", "rmi", name+"-nope")

	// A container takes no ONBUILD; commit records the container's Cmd.
	ctr := name + "-c"
	d.must(t, "run", "--name", ctr, "--network", "none", img, "sh", "-c", "echo hi > /f")
	t.Cleanup(func() { d.docker("rm", "-f", ctr) })
	if got := d.inspect(t, ctr, "{{json .Config.OnBuild}}"); got != "null" && got != "[]" {
		t.Errorf("container OnBuild: %s", got)
	}
	if got := d.must(t, "ps", "-a", "--no-trunc", "--filter", "name="+ctr, "--format", "{{.Command}}"); got != `"sh -c 'echo hi > /f'"`+"\n" {
		t.Errorf("ps COMMAND quotes an argument with spaces: %q", got)
	}
	d.must(t, "commit", ctr, name+":committed")
	if got := strings.Split(d.must(t, "history", "--no-trunc", "--format", "{{.CreatedBy}}", name+":committed"), "\n")[0]; got != "sh -c echo hi > /f" {
		t.Errorf("commit history: %q", got)
	}
	if got := d.inspect(t, name+":committed", "{{json .Config.OnBuild}}"); got != "null" && got != "[]" {
		t.Errorf("committed OnBuild: %s", got)
	}

	// repo=NAME:TAG with tag=OTHER tags NAME:OTHER, as dockerd reads it.
	if code, body, _ := apiCall(t, d, "POST", "/images/"+img+"/tag?repo="+name+":foo&tag=bar", "", nil); code != 201 {
		t.Errorf("tag repo:tag + tag: %d %s", code, body)
	}
	d.must(t, "image", "inspect", name+":bar")
}

func TestVolumeAndSystemAsDocker(t *testing.T) {
	d := sharedDaemon(t)
	name := uniqueName(t)
	for _, v := range []string{"-v1", "-v2", "-v10"} {
		d.must(t, "volume", "create", name+v)
	}
	t.Cleanup(func() { d.docker("volume", "rm", name+"-v1", name+"-v2", name+"-v10") })
	// The name filter is an (unanchored) regular expression.
	if got := d.must(t, "volume", "ls", "-q", "--filter", "name=^"+name+"-v[12]$"); got != name+"-v1\n"+name+"-v2\n" {
		t.Errorf("volume ls name regexp: %q", got)
	}
	if code, body, _ := apiCall(t, d, "GET", "/v1.45/system/df?type=bogus", "", nil); code != 400 || !strings.Contains(body, "unknown object type: bogus") {
		t.Errorf("system df type=bogus: %d %s", code, body)
	}
	if got := d.must(t, "info", "--format", "{{json .Plugins.Volume}} {{json .RegistryConfig.InsecureRegistryCIDRs}}"); !regexp.MustCompile(`^\["local"\] \[.*"127\.0\.0\.0/8"`).MatchString(got) {
		t.Errorf("info: %q", got)
	}
}

func TestPsFiltersAsDocker(t *testing.T) {
	d := sharedDaemon(t)
	name := uniqueName(t)
	vol, web, bare := name+"-vol", name+"-web", name+"-bare"
	d.must(t, "volume", "create", vol)
	d.runD(t, "--name", web, "-v", vol+":/data", "-p", "127.0.0.1::80", "--expose", "9000", "busybox", "sleep", "300")
	d.runD(t, "--name", bare, "--network", "none", "busybox", "sleep", "300")
	t.Cleanup(func() {
		d.docker("rm", "-f", web, bare)
		d.docker("volume", "rm", vol)
	})
	ps := func(filter string) string {
		t.Helper()
		return strings.TrimSpace(d.must(t, "ps", "--filter", "name="+name, "--filter", filter, "--format", "{{.Names}}"))
	}
	for filter, want := range map[string]string{
		"volume=" + vol: web, "volume=/data": web, "expose=9000": web, "expose=80/tcp": web, "expose=80/udp": "",
		"network=bridge": web, "network=none": bare, "is-task=true": "",
	} {
		if got := ps(filter); got != want {
			t.Errorf("ps --filter %s: %q, want %q", filter, got, want)
		}
	}
	port := strings.TrimSpace(d.must(t, "inspect", "-f", `{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}`, web))
	if got := ps("publish=" + port); got != web {
		t.Errorf("ps --filter publish=%s: %q", port, got)
	}
	// A name matches with or without its leading slash.
	if got := strings.TrimSpace(d.must(t, "ps", "--filter", "name=/"+bare, "--format", "{{.Names}}")); got != bare {
		t.Errorf("ps --filter name=/%s: %q", bare, got)
	}
	d.mustFail(t, `parsing "abc"`, "ps", "--filter", "exited=abc")
}

// Every container has /.dockerenv (Docker's init layer puts it there),
// and it is no change of the container's: diff does not list it. Its
// record holds the defaults dockerd fills in.
func TestDockerenvInEveryContainer(t *testing.T) {
	d := sharedDaemon(t)
	name := uniqueName(t)
	d.must(t, "run", "--name", name, "--network", "none", "busybox", "test", "-f", "/.dockerenv")
	d.rmOnCleanup(t, name)
	if got := d.must(t, "diff", name); got != "" {
		t.Errorf("diff lists the init layer: %q", got)
	}
	// The defaults dockerd writes into the record at create.
	got := d.inspect(t, name, "{{.HostConfig.ShmSize}} {{.HostConfig.IpcMode}} {{.HostConfig.CgroupnsMode}} {{len .HostConfig.MaskedPaths}} {{len .HostConfig.ReadonlyPaths}}")
	if !regexp.MustCompile(`^67108864 private (host|private) [1-9][0-9]* [1-9][0-9]*$`).MatchString(got) {
		t.Errorf("HostConfig defaults: %q", got)
	}
}

// What could only fail at start is refused at create, as dockerd does,
// and no container is left behind.
func TestCreateRefusesWhatCannotStart(t *testing.T) {
	d := sharedDaemon(t)
	name := uniqueName(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--stop-signal", "BOGUS"}, "Invalid signal: BOGUS"},
		{[]string{"-w", "relative"}, "the working directory 'relative' is invalid, it needs to be an absolute path"},
		{[]string{"--cap-add", "BOGUS"}, `invalid CapAdd: unknown capability: "CAP_BOGUS"`},
		{[]string{"--mount", "type=bind,src=/no/such/dir-" + name + ",dst=/x"}, "bind source path does not exist"},
		{[]string{"--tmpfs", "relative"}, "is not an absolute path"},
		{[]string{"--ipc", "container:no-such-" + name}, "No such container: no-such-" + name},
	} {
		args := append(append([]string{"create", "--name", name}, c.args...), "busybox", "true")
		d.mustFail(t, c.want, args...)
		if r := d.dk("inspect", name); r.Code == 0 {
			t.Errorf("create %v failed but left a container", c.args)
			d.docker("rm", "-f", name)
		}
	}
}

// cp into a volume of a container that never started lands in the volume.
func TestCopyIntoVolumeOfCreatedContainer(t *testing.T) {
	d := sharedDaemon(t)
	name := uniqueName(t)
	vol := name + "-vol"
	d.must(t, "create", "--name", name, "-v", vol+":/vol", "busybox", "true")
	t.Cleanup(func() {
		d.docker("rm", "-f", name)
		d.docker("volume", "rm", vol)
	})
	src := filepath.Join(t.TempDir(), "note")
	os.WriteFile(src, []byte("into the volume\n"), 0o644)
	d.must(t, "cp", src, name+":/vol/")
	if got := d.must(t, "run", "--rm", "--network", "none", "-v", vol+":/v", "busybox", "cat", "/v/note"); got != "into the volume\n" {
		t.Fatalf("the volume holds %q", got)
	}
}

func TestLifecycleDetailsAsDocker(t *testing.T) {
	d := sharedDaemon(t)
	name := uniqueName(t)
	since := time.Now().Add(-time.Second).Format(time.RFC3339Nano)

	// Health check durations under 1ms would probe without pause.
	body := `{"Image":"busybox","Cmd":["true"],"Healthcheck":{"Test":["CMD","true"],"Interval":1000}}`
	if code, msg, _ := apiCall(t, d, "POST", "/containers/create", "application/json", []byte(body)); code != 400 || !strings.Contains(msg, "Interval in Healthcheck cannot be less than 1ms") {
		t.Errorf("health interval of 1µs: %d %s", code, msg)
	}
	d.mustFail(t, "failed to initialize logging driver: max-file cannot be less than 1", "create", "--log-opt", "max-file=0", "busybox", "true")
	// A numeric stop signal is taken at create, as dockerd.
	d.must(t, "create", "--name", name+"-sig", "--stop-signal", "99", "busybox", "true")
	d.rmOnCleanup(t, name+"-sig")

	// A policy restart shows as die/start, counted when decided.
	ctr := name + "-r"
	d.must(t, "run", "-d", "--name", ctr, "--network", "none", "--restart", "on-failure:1", "busybox", "sh", "-c", "exit 1")
	d.rmOnCleanup(t, ctr)
	deadline := time.Now().Add(10 * time.Second)
	for d.inspect(t, ctr, "{{.State.Status}} {{.RestartCount}}") != "exited 1" {
		if time.Now().After(deadline) {
			t.Fatalf("never settled: %s", d.inspect(t, ctr, "{{.State.Status}} {{.RestartCount}}"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	until := time.Now().Format(time.RFC3339Nano)
	got := strings.Fields(d.must(t, "events", "--since", since, "--until", until, "--filter", "container="+ctr, "--format", "{{.Action}}"))
	if strings.Join(got, " ") != "create start die start die" {
		t.Errorf("events of a policy restart: %v", got)
	}

	// rm of a paused container says so; rm -f logs the kill. Before that,
	// kill and update refusals in dockerd's words.
	p := name + "-p"
	d.runD(t, "--name", p, "--network", "none", "-m", "64m", "--memory-swap", "128m", "--cpus", "0.5", "busybox", "sleep", "300")
	d.mustFail(t, "the linux daemon does not support signal 99", "kill", "-s", "99", p)
	d.mustFail(t, "CPU Quota cannot be updated as NanoCPUs has already been set", "update", "--cpu-quota", "50000", p)
	if d.inspect(t, p, "{{.HostConfig.MemorySwap}}") == "134217728" { // swap limits supported here
		d.mustFail(t, "Memory limit should be smaller than already set memoryswap limit", "update", "--memory", "300m", p)
	}
	d.must(t, "pause", p)
	d.mustFail(t, "container is paused and must be unpaused first", "rm", p)
	d.must(t, "rm", "-f", p)
	if got := d.must(t, "events", "--since", since, "--until", time.Now().Format(time.RFC3339Nano), "--filter", "container="+p, "--filter", "event=kill", "--format", `{{index .Actor.Attributes "signal"}}`); got != "9\n" {
		t.Errorf("kill event of rm -f: %q", got)
	}
}

// Network details dockerd shows or refuses, on a user network of the test.
func TestNetworkDetailsAsDocker(t *testing.T) {
	d := sharedDaemon(t)
	name := uniqueName(t)
	d.mustFail(t, "invalid subnet 10.250.77.5/24: it should be 10.250.77.0/24", "network", "create", "--subnet", "10.250.77.5/24", name+"-bad")
	d.mustFail(t, "invalid filter: 'type'='foo'", "network", "ls", "--filter", "type=foo")

	net := name + "-net"
	d.must(t, "network", "create", net)
	t.Cleanup(func() { d.docker("network", "rm", net) })
	subnet, err := netip.ParsePrefix(strings.TrimSpace(d.must(t, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", net)))
	if err != nil || !subnet.Addr().Is4() {
		t.Fatalf("the network's subnet: %v %v", subnet, err)
	}
	// The subnet's broadcast address is never a container's.
	b := subnet.Masked().Addr().As4()
	for i := 0; i < 32-subnet.Bits(); i++ {
		b[3-i/8] |= 1 << (i % 8)
	}
	d.mustFail(t, "Address already in use", "create", "--network", net, "--ip", netip.AddrFrom4(b).String(), "busybox", "true")

	// /etc/hosts: --add-host before the container's own line, which names
	// the FQDN; resolv.conf asks names as they are (ndots:0).
	ctr := name + "-c"
	out := d.must(t, "run", "--name", ctr, "--network", net, "--hostname", "h1", "--domainname", "ex.com",
		"--add-host", "a.b:1.2.3.4", "--expose", "91", "busybox", "sh", "-c", "tail -2 /etc/hosts; grep options /etc/resolv.conf")
	d.rmOnCleanup(t, ctr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[0] != "1.2.3.4\ta.b" || !strings.HasSuffix(lines[1], "\th1.ex.com h1") || !strings.Contains(lines[2], "ndots:0") {
		t.Errorf("hosts and resolv.conf: %q", out)
	}
	// A stopped container lists no ports.
	if got := d.inspect(t, ctr, "{{json .NetworkSettings.Ports}}"); got != "{}" {
		t.Errorf("Ports of a stopped container: %s", got)
	}
	// Host networking is for containers made on it.
	d.mustFail(t, "cannot connect container to host network", "network", "connect", "host", ctr)
}
