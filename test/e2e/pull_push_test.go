package e2e

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/moby/moby/client"
)

// TestPullPushRoundTrip: an image imported from a busybox rootfs goes to a
// loopback registry with docker push, is removed, comes back with docker
// pull (by tag and by digest) and runs.
func TestPullPushRoundTrip(t *testing.T) {
	d := startDaemon(t)
	reg := startPullRegistry(t, "")
	d.busybox(t)
	ref := reg.Addr + "/e2e/bb:v1"
	d.must(t, "tag", "busybox", ref)

	out := d.must(t, "push", ref)
	m := regexp.MustCompile(`v1: digest: (sha256:[0-9a-f]{64}) size: \d+`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "The push refers to repository ["+reg.Addr+"/e2e/bb]") || !strings.Contains(out, "Pushed") {
		t.Fatalf("push output:\n%s", out)
	}
	pushed := m[1]
	// A second push finds every blob there already.
	if out := d.must(t, "push", ref); !strings.Contains(out, "Layer already exists") || !strings.Contains(out, pushed) {
		t.Fatalf("second push output:\n%s", out)
	}

	d.must(t, "rmi", ref, "busybox")
	out = d.must(t, "pull", ref)
	for _, want := range []string{"v1: Pulling from e2e/bb", "Pull complete", "Digest: " + pushed, "Status: Downloaded newer image for " + ref} {
		if !strings.Contains(out, want) {
			t.Fatalf("pull output lacks %q:\n%s", want, out)
		}
	}
	if out := d.must(t, "pull", ref); !strings.Contains(out, "Status: Image is up to date for "+ref) {
		t.Fatalf("second pull output:\n%s", out)
	}
	if got := d.must(t, "image", "inspect", "-f", "{{json .RepoDigests}}", ref); !strings.Contains(got, reg.Addr+"/e2e/bb@"+pushed) {
		t.Fatalf("RepoDigests = %s, want %s@%s", got, reg.Addr+"/e2e/bb", pushed)
	}
	out = d.must(t, "images", "--digests", reg.Addr+"/e2e/bb")
	if !regexp.MustCompile(regexp.QuoteMeta(reg.Addr+"/e2e/bb") + `\s+v1\s+` + pushed).MatchString(out) {
		t.Fatalf("images --digests:\n%s", out)
	}
	if got := d.must(t, "run", "--rm", ref, "echo", "pulled"); got != "pulled\n" {
		t.Fatalf("run printed %q", got)
	}

	// A pulled image (gzip layers as the registry served them) saves and loads.
	saved := filepath.Join(t.TempDir(), "pulled.tar")
	d.must(t, "save", "-o", saved, ref)

	// By digest, into a store that has nothing of it.
	d2 := startDaemon(t)
	byDigest := reg.Addr + "/e2e/bb@" + pushed
	out = d2.must(t, "pull", byDigest)
	if !strings.Contains(out, "Digest: "+pushed) || !strings.Contains(out, "Status: Downloaded newer image for "+byDigest) {
		t.Fatalf("pull by digest output:\n%s", out)
	}
	if got := d2.must(t, "run", "--rm", byDigest, "echo", "by digest"); got != "by digest\n" {
		t.Fatalf("run by digest printed %q", got)
	}
	// rmi by digest drops that reference, and the image it was the last name of.
	out = d2.must(t, "rmi", byDigest)
	if !strings.Contains(out, "Untagged: "+byDigest) || !strings.Contains(out, "Deleted: sha256:") {
		t.Fatalf("rmi by digest:\n%s", out)
	}
	d2.must(t, "load", "-i", saved)
	if got := d2.must(t, "run", "--rm", ref, "echo", "loaded"); got != "loaded\n" {
		t.Fatalf("run of the loaded image printed %q", got)
	}
	// distribution inspect (moby client) asks the registry.
	di, err := d2.client(t).DistributionInspect(context.Background(), ref, client.DistributionInspectOptions{})
	if err != nil || di.Descriptor.Digest.String() != pushed || len(di.Platforms) != 1 || di.Platforms[0].OS != "linux" {
		t.Fatalf("distribution inspect: %+v, %v", di, err)
	}
	// Registries other than Docker Hub have no search API: dockerd's error.
	if r := d2.dk("search", reg.Addr+"/e2e"); r.Code == 0 || !strings.Contains(r.Stderr, "Unexpected status code 404") {
		t.Fatalf("search: %s", r)
	}
}

// TestPullOnRun: docker run of an image the daemon lacks pulls it first.
func TestPullOnRun(t *testing.T) {
	d := startDaemon(t)
	reg := startPullRegistry(t, "")
	d.busybox(t)
	ref := reg.Addr + "/busybox"
	d.must(t, "tag", "busybox", ref)
	d.must(t, "push", ref)

	d2 := startDaemon(t)
	r := d2.dk("run", "--rm", ref, "echo", "hello")
	if r.Code != 0 || r.Stdout != "hello\n" || !strings.Contains(r.Stderr, "Unable to find image '"+ref+":latest' locally") {
		t.Fatalf("docker run: %s", r)
	}
}

// TestPullMissing: a tag the registry does not have is Docker's error.
func TestPullMissing(t *testing.T) {
	d := startDaemon(t)
	reg := startPullRegistry(t, "")
	r := d.dk("pull", reg.Addr+"/nothing:here")
	if r.Code == 0 || !strings.Contains(r.Stderr, "manifest for "+reg.Addr+"/nothing:here not found") {
		t.Fatalf("pull of a missing image: %s", r)
	}
}

// TestPushPullWithLogin: a registry with htpasswd basic auth refuses
// anonymous pushes and wrong passwords, and takes docker login's.
func TestPushPullWithLogin(t *testing.T) {
	d := startDaemon(t)
	reg := startPullRegistry(t, writeHtpasswd(t, "alice", "s3cret"))
	d.busybox(t)
	ref := reg.Addr + "/private/bb:latest"
	d.must(t, "tag", "busybox", ref)

	if r := d.dk("push", ref); r.Code == 0 || !strings.Contains(strings.ToLower(r.Stderr), "unauthorized") {
		t.Fatalf("anonymous push: %s", r)
	}
	if r := d.dk("login", "-u", "alice", "-p", "wrong", reg.Addr); r.Code == 0 {
		t.Fatalf("login with a wrong password succeeded: %s", r)
	}
	r := d.dockerIn(strings.NewReader("s3cret\n"), "login", "-u", "alice", "--password-stdin", reg.Addr)
	if r.Code != 0 || !strings.Contains(r.Stdout, "Login Succeeded") {
		t.Fatalf("docker login: %s", r)
	}
	d.must(t, "push", ref)
	d.must(t, "rmi", ref)
	if out := d.must(t, "pull", ref); !strings.Contains(out, "Downloaded newer image") {
		t.Fatalf("pull after login:\n%s", out)
	}
	d.must(t, "logout", reg.Addr)
	if r := d.dk("pull", reg.Addr+"/private/bb:other"); r.Code == 0 {
		t.Fatalf("pull after logout succeeded: %s", r)
	}
}

// TestBerthPullPushLogin: berth's own CLI does push, pull -q, login (to
// its own config dir) and run of a missing image.
func TestBerthPullPushLogin(t *testing.T) {
	d := startDaemon(t)
	reg := startPullRegistry(t, writeHtpasswd(t, "bob", "pw"))
	d.busybox(t)
	env := append(d.berthEnv(), "DOCKER_CONFIG="+t.TempDir())
	berth := func(stdin string, args ...string) result {
		return runCmd(strings.NewReader(stdin), env, berthBin(), args...)
	}
	ref := reg.Addr + "/berth/bb:v2"
	d.must(t, "tag", "busybox", ref)
	if r := berth("pw\n", "login", "-u", "bob", "--password-stdin", reg.Addr); r.Code != 0 || !strings.Contains(r.Stdout, "Login Succeeded") {
		t.Fatalf("berth login: %s", r)
	}
	if r := berth("", "push", ref); r.Code != 0 || !strings.Contains(r.Stdout, "v2: digest: sha256:") {
		t.Fatalf("berth push: %s", r)
	}
	d.must(t, "rmi", ref, "busybox")
	if r := berth("", "pull", "-q", ref); r.Code != 0 || r.Stdout != ref+"\n" {
		t.Fatalf("berth pull -q: %s", r)
	}
	if r := berth("", "images", "--digests", "--format", "{{.Repository}} {{.Digest}}"); r.Code != 0 || !regexp.MustCompile(regexp.QuoteMeta(reg.Addr+"/berth/bb")+` sha256:[0-9a-f]{64}`).MatchString(r.Stdout) {
		t.Fatalf("berth images --digests: %s", r)
	}
	d.must(t, "rmi", ref)
	if r := berth("", "run", "--rm", ref, "echo", "ran"); r.Code != 0 || r.Stdout != "ran\n" || !strings.Contains(r.Stderr, "Unable to find image") {
		t.Fatalf("berth run of a missing image: %s", r)
	}
	// --pull=always pulls a present image first; --quiet hides the progress.
	if r := berth("", "run", "--rm", "--pull", "always", ref, "echo", "again"); r.Code != 0 || r.Stdout != "again\n" || !strings.Contains(r.Stderr, "Image is up to date for "+ref) {
		t.Fatalf("berth run --pull always: %s", r)
	}
	if r := berth("", "run", "--rm", "-q", "--pull", "always", ref, "echo", "quiet"); r.Code != 0 || r.Stdout != "quiet\n" || r.Stderr != "" {
		t.Fatalf("berth run -q --pull always: %s", r)
	}
	if r := berth("", "run", "--rm", "--pull", "always", reg.Addr+"/berth/none:v1", "true"); r.Code != 125 {
		t.Fatalf("berth run --pull always of an image the registry lacks: %s", r)
	}
	d.must(t, "rmi", ref)
	if r := berth("", "run", "--rm", "--pull", "never", ref, "true"); r.Code != 125 || !strings.Contains(r.Stderr, "No such image") || strings.Contains(r.Stderr, "Pulling") {
		t.Fatalf("berth run --pull never of a missing image: %s", r)
	}
	if r := berth("", "logout", reg.Addr); r.Code != 0 || !strings.Contains(r.Stdout, "Removing login credentials for "+reg.Addr) {
		t.Fatalf("berth logout: %s", r)
	}
}

// TestBuildPullsMissingBase: a FROM image that is not in the store is
// pulled with the client's logins (X-Registry-Config), by the docker CLI's
// classic build and by berth build; --pull pulls one that is present.
func TestBuildPullsMissingBase(t *testing.T) {
	d := startDaemon(t)
	reg := startPullRegistry(t, writeHtpasswd(t, "carol", "pw"))
	d.busybox(t)
	base := reg.Addr + "/private/base:v1"
	d.must(t, "tag", "busybox", base)
	r := d.dockerIn(strings.NewReader("pw\n"), "login", "-u", "carol", "--password-stdin", reg.Addr)
	if r.Code != 0 {
		t.Fatalf("docker login: %s", r)
	}
	d.must(t, "push", base)
	d.must(t, "rmi", base)

	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM " + base + "\nRUN echo built > /built\n"})
	out := mustBuild(t, d.dockerBuild("--network", "none", "-t", "frompull", ctx))
	if !strings.Contains(out.Stdout, "Downloaded newer image for "+base) {
		t.Fatalf("build did not pull its base:\n%s", out)
	}
	if got := d.must(t, "run", "--rm", "frompull", "cat", "/built"); strings.TrimSpace(got) != "built" {
		t.Fatalf("built image: %q", got)
	}
	// Present now: a plain build does not pull again, --pull does.
	if out := mustBuild(t, d.dockerBuild("--network", "none", ctx)); strings.Contains(out.Stdout, "Pulling from") {
		t.Fatalf("build pulled a base it has:\n%s", out)
	}
	// berth build sends the same config.json's logins.
	berthWithLogins := append(d.berthEnv(), "DOCKER_CONFIG="+d.configDir)
	if out := mustBuild(t, runCmd(nil, berthWithLogins, berthBin(), "build", "--pull", "--network", "none", ctx)); !strings.Contains(out.Stdout, "Pulling from") {
		t.Fatalf("berth build --pull did not pull:\n%s", out)
	}

	// Without the login the pull is refused, and the error says which image.
	d.must(t, "logout", reg.Addr)
	d.must(t, "rmi", "-f", base, "frompull")
	r = d.dockerBuild("--network", "none", ctx)
	if r.Code == 0 || !strings.Contains(r.Stdout+r.Stderr, base) {
		t.Fatalf("build without login: %s", r)
	}
}
