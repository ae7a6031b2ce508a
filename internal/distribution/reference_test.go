package distribution

import (
	"testing"

	"github.com/berth-dev/berth/internal/image"
	"github.com/moby/moby/api/types/registry"
)

type storeT = *image.Store

var zeroAuth registry.AuthConfig

func TestParseRefNormalizesLikeDocker(t *testing.T) {
	const dg = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct{ in, full, familiar, domain, path string }{
		{"busybox", "docker.io/library/busybox:latest", "busybox:latest", "docker.io", "library/busybox"},
		{"user/app:1.2", "docker.io/user/app:1.2", "user/app:1.2", "docker.io", "user/app"},
		{"127.0.0.1:5000/bb", "127.0.0.1:5000/bb:latest", "127.0.0.1:5000/bb:latest", "127.0.0.1:5000", "bb"},
		{"localhost/a/b:t", "localhost/a/b:t", "localhost/a/b:t", "localhost", "a/b"},
		{"busybox@" + dg, "docker.io/library/busybox@" + dg, "busybox@" + dg, "docker.io", "library/busybox"},
	} {
		r, err := ParseRef(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if r.String() != tc.full || r.Familiar() != tc.familiar || r.Domain() != tc.domain || r.Path() != tc.path {
			t.Errorf("%s: got %s / %s / %s / %s", tc.in, r.String(), r.Familiar(), r.Domain(), r.Path())
		}
	}
	if _, err := ParseRef("Upper/Case"); err == nil {
		t.Error("uppercase repository accepted")
	}
}

func TestPullRequest(t *testing.T) {
	for _, tc := range []struct {
		from, tag, want string
		all             bool
	}{
		{"busybox", "latest", "docker.io/library/busybox:latest", false},
		{"busybox", "", "docker.io/library/busybox:latest", true},
		{"busybox:1", "", "docker.io/library/busybox:1", false},
		{"127.0.0.1:5000/bb", "", "127.0.0.1:5000/bb:latest", true},
		{"bb", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "docker.io/library/bb@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
	} {
		r, all, err := PullRequest(tc.from, tc.tag)
		if err != nil || r.String() != tc.want || all != tc.all {
			t.Errorf("%s + %q: %s all=%v err=%v", tc.from, tc.tag, r.String(), all, err)
		}
	}
}

func TestLoopbackAndFlaggedRegistriesAreInsecure(t *testing.T) {
	c := New(Options{InsecureRegistries: []string{"reg.example:5000", "10.1.0.0/16"}})
	for host, want := range map[string]bool{
		"127.0.0.1:5000": true, "localhost:5000": true, "[::1]:5000": true, "127.8.9.1": true,
		"reg.example:5000": true, "10.1.2.3:443": true, "10.2.0.1": false, "docker.io": false, "ghcr.io": false,
	} {
		if got := c.insecure(host); got != want {
			t.Errorf("insecure(%s) = %v, want %v", host, got, want)
		}
	}
}

func TestDecodeAuthHeader(t *testing.T) {
	for _, h := range []string{
		"eyJ1c2VybmFtZSI6ImEiLCJwYXNzd29yZCI6ImIifQ==", // padded
		"eyJ1c2VybmFtZSI6ImEiLCJwYXNzd29yZCI6ImIifQ",   // unpadded
	} {
		ac, err := DecodeAuthHeader(h)
		if err != nil || ac.Username != "a" || ac.Password != "b" {
			t.Errorf("%s: %+v %v", h, ac, err)
		}
	}
	if _, err := DecodeAuthHeader("!!"); err == nil {
		t.Error("garbage accepted")
	}
}
