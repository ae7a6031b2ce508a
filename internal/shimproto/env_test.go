package shimproto

import (
	"slices"
	"testing"
)

func TestShimEnvSetsAndStripsTheRuntimeTuning(t *testing.T) {
	daemon := []string{"PATH=/bin", "GOMAXPROCS=8", "GOMAXPROCSX=1", "HOME=/root"}
	shim := ShimEnv(daemon)
	if !slices.Contains(shim, "GOMAXPROCS=1") || slices.Contains(shim, "GOMAXPROCS=8") {
		t.Fatalf("shim env %q", shim)
	}
	if !slices.Contains(shim, "GOMAXPROCSX=1") || !slices.Contains(shim, "PATH=/bin") {
		t.Fatalf("shim env lost other variables: %q", shim)
	}
	runtimeEnv := WithoutShimRuntimeEnv(shim)
	if slices.Contains(runtimeEnv, "GOMAXPROCS=1") || len(runtimeEnv) != 3 {
		t.Fatalf("runtime env %q", runtimeEnv)
	}
	if daemon[1] != "GOMAXPROCS=8" {
		t.Fatal("the daemon's environment was modified")
	}
}
