package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// outsideHost is a second "host": a network namespace joined to the real
// host by a veth pair, on a subnet the test picks. Tests reach published
// ports from it and use it as the egress target; it never routes anywhere
// else.
type outsideHost struct {
	ns       string
	hostVeth string
	hostIP   netip.Addr // the host's end
	ip       netip.Addr // the outside host's address
}

func newOutsideHost(t *testing.T) *outsideHost {
	t.Helper()
	n := netSeq.Add(1)
	p := freeTestSubnet()
	o := &outsideHost{
		ns:       fmt.Sprintf("berth-e2e-out-%d-%d", os.Getpid(), n),
		hostVeth: fmt.Sprintf("beo%d%d", os.Getpid()%100000, n),
		hostIP:   p.Addr().Next(),
	}
	o.ip = o.hostIP.Next()
	peer := o.hostVeth + "p"
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", o.hostVeth).Run()
		exec.Command("ip", "netns", "del", o.ns).Run()
	})
	for _, args := range [][]string{
		{"netns", "add", o.ns},
		{"link", "add", o.hostVeth, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", o.ns},
		{"addr", "add", o.hostIP.String() + "/24", "dev", o.hostVeth},
		{"link", "set", o.hostVeth, "up"},
		{"-n", o.ns, "addr", "add", o.ip.String() + "/24", "dev", peer},
		{"-n", o.ns, "link", "set", peer, "up"},
		{"-n", o.ns, "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	return o
}

// run runs busybox inside the outside host.
func (o *outsideHost) run(args ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", o.ns, "/bin/busybox"}, args...)...).CombinedOutput()
	return string(out), err
}

// serveHTTP starts busybox httpd in the outside host serving body on
// port; it is stopped (by pid) when t ends.
func (o *outsideHost) serveHTTP(t *testing.T, port int, body string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", o.ns, "/bin/busybox", "httpd", "-f", "-p", fmt.Sprintf("%s:%d", o.ip, port), "-h", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
}

// udpEcho builds a static UDP echo server to bind-mount into containers
// (busybox has no UDP server applet).
func udpEcho(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	prog := "package main\n\nimport (\"net\"; \"os\")\n\nfunc main() {\n\tpc, err := net.ListenPacket(\"udp\", \":\"+os.Args[1])\n\tif err != nil { panic(err) }\n\tbuf := make([]byte, 2048)\n\tfor {\n\t\tn, addr, err := pc.ReadFrom(buf)\n\t\tif err != nil { return }\n\t\tpc.WriteTo(buf[:n], addr)\n\t}\n}\n"
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "udpecho")
	cmd := exec.Command("go", "build", "-o", bin, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GO111MODULE=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build udpecho: %v: %s", err, out)
	}
	return bin
}
