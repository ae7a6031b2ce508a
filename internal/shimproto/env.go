package shimproto

import "strings"

// ShimRuntimeEnv tunes the Go runtime of berth-shim before it starts, which
// runtime calls in main() cannot: one P from the first instruction means one
// fewer OS thread and P (mcache, stacks) per container. See docs/PERFORMANCE.md.
var ShimRuntimeEnv = []string{"GOMAXPROCS=1"}

// WithoutShimRuntimeEnv drops ShimRuntimeEnv's variables from env, so that
// the OCI runtime the shim runs gets the daemon's environment unchanged.
func WithoutShimRuntimeEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !isShimRuntimeVar(kv) {
			out = append(out, kv)
		}
	}
	return out
}

func isShimRuntimeVar(kv string) bool {
	for _, t := range ShimRuntimeEnv {
		name := t[:strings.IndexByte(t, '=')+1]
		if strings.HasPrefix(kv, name) {
			return true
		}
	}
	return false
}

// ShimEnv is env with ShimRuntimeEnv's settings replacing any of the same name.
func ShimEnv(env []string) []string {
	return append(WithoutShimRuntimeEnv(env), ShimRuntimeEnv...)
}
