package e2e

import "testing"

// testRegistry is the registry that pull/push tests move images through:
// berth's own `berth registry serve` on a free loopback port (the issue asks
// for pushes and pulls through it; the reference registry is only a peer in
// bench/).
type testRegistry struct {
	Addr string // 127.0.0.1:PORT
}

// startPullRegistry starts a registry; htpasswd, if set, turns on basic auth.
func startPullRegistry(t *testing.T, htpasswd string) *testRegistry {
	t.Helper()
	var flags []string
	if htpasswd != "" {
		flags = append(flags, "--htpasswd", htpasswd)
	}
	return &testRegistry{Addr: startRegistry(t, flags...).addr}
}
