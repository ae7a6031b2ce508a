package e2e

import (
	"os"
	"strings"
	"testing"
)

// statusField runs a container with args and returns one field of /proc/self/status.
func statusField(t *testing.T, d *daemon, field string, args ...string) string {
	t.Helper()
	run := append(append([]string{"run", "--rm"}, args...), "busybox", "grep", "^"+field+":", "/proc/self/status")
	out := d.must(t, run...)
	_, v, ok := strings.Cut(out, ":")
	if !ok {
		t.Fatalf("no %s in /proc/self/status: %q", field, out)
	}
	return strings.TrimSpace(v)
}

func TestSecurityDefaults(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	cases := []struct {
		name  string
		args  []string
		field string
		want  string
	}{
		{"default caps", nil, "CapEff", "00000000a80425fb"},
		{"default bounding set", nil, "CapBnd", "00000000a80425fb"},
		{"default seccomp", nil, "Seccomp", "2"},
		{"default no-new-privs off", nil, "NoNewPrivs", "0"},
		{"privileged", []string{"--privileged"}, "CapEff", allCaps(t)},
		{"privileged seccomp off", []string{"--privileged"}, "Seccomp", "0"},
		{"cap-drop ALL", []string{"--cap-drop", "ALL"}, "CapEff", "0000000000000000"},
		{"cap-add NET_ADMIN", []string{"--cap-add", "NET_ADMIN"}, "CapEff", "00000000a80435fb"},
		{"cap-drop ALL cap-add CHOWN", []string{"--cap-drop", "ALL", "--cap-add", "CHOWN"}, "CapEff", "0000000000000001"},
		{"seccomp unconfined", []string{"--security-opt", "seccomp=unconfined"}, "Seccomp", "0"},
		{"no-new-privileges", []string{"--security-opt", "no-new-privileges"}, "NoNewPrivs", "1"},
		{"non-root has no effective caps", []string{"-u", "1000"}, "CapEff", "0000000000000000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := statusField(t, d, c.field, c.args...); got != c.want {
				t.Fatalf("%s with %v = %s, want %s", c.field, c.args, got, c.want)
			}
		})
	}
}

// allCaps is CapEff of a fully privileged process on this kernel: the host's bounding set.
func allCaps(t *testing.T) string {
	t.Helper()
	b, err := readFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(b, "\n") {
		if v, ok := strings.CutPrefix(l, "CapBnd:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no CapBnd in /proc/self/status")
	return ""
}

func TestMaskedAndReadonlyPaths(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	cases := []struct {
		name, script, want string
		needs              string // host path the case needs (the runtime skips masks on missing paths)
	}{
		// Masked files are hidden behind /dev/null: a char device with nothing to read.
		{"kcore masked", "[ -c /proc/kcore ] && echo chardev; wc -c < /proc/kcore", "chardev\n0\n", "/proc/kcore"},
		{"timer_list masked", "[ -c /proc/timer_list ] && echo chardev; wc -c < /proc/timer_list", "chardev\n0\n", "/proc/timer_list"},
		{"proc/sys read-only", "(echo x > /proc/sys/kernel/domainname) 2>/dev/null && echo writable || echo ro", "ro\n", ""},
		{"proc/sysrq-trigger read-only", "grep -q ' /proc/sysrq-trigger .* ro,' /proc/mounts && echo ro", "ro\n", "/proc/sysrq-trigger"},
		{"sys read-only", "grep ' /sys ' /proc/mounts | grep -q ' ro,' && echo ro", "ro\n", ""},
		{"no /proc/acpi content", "ls /proc/acpi 2>/dev/null | wc -l", "0\n", ""},
		{"dev is minimal", "ls /dev | sort | tr '\\n' ' '", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.needs != "" {
				if _, err := os.Stat(c.needs); err != nil {
					t.Skipf("host has no %s", c.needs)
				}
			}
			r := d.dk("run", "--rm", "busybox", "sh", "-c", c.script)
			if c.name == "dev is minimal" {
				for _, want := range []string{"null", "zero", "full", "random", "urandom", "tty", "pts", "shm"} {
					if !strings.Contains(" "+r.Stdout, " "+want+" ") {
						t.Fatalf("/dev lacks %s: %q", want, r.Stdout)
					}
				}
				if strings.Contains(r.Stdout, " sda ") || strings.Contains(r.Stdout, " vda ") || strings.Contains(r.Stdout, " mem ") {
					t.Fatalf("/dev exposes host devices: %q", r.Stdout)
				}
				return
			}
			if r.Code != 0 || r.Stdout != c.want {
				t.Fatalf("%s: %s\nwant stdout %q", c.script, r, c.want)
			}
		})
	}
	// --privileged lifts the masks.
	if out := d.must(t, "run", "--rm", "--privileged", "busybox", "sh", "-c", "[ -c /proc/timer_list ] && echo chardev || echo file"); out != "file\n" {
		t.Fatalf("/proc/timer_list with --privileged: %q, want the real file", out)
	}
}
