package runtime

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func seccompSpec(action specs.LinuxSeccompAction) *specs.Spec {
	return &specs.Spec{Linux: &specs.Linux{Seccomp: &specs.LinuxSeccomp{
		DefaultAction: action,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"unshare"}, Action: specs.ActErrno}},
	}}}
}

// writeStateBPF plays crun: it leaves the compiled program in the state dir.
func writeStateBPF(t *testing.T, rt *Runtime, id string, data []byte) {
	t.Helper()
	dir := filepath.Join(rt.Root, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "seccomp.bpf"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSeccompCacheReusesCrunProgram(t *testing.T) {
	crun := &Runtime{Name: "crun", Root: t.TempDir()}
	var cache SeccompCache
	prog := []byte("0123456789abcdef") // two 8-byte instructions

	first := seccompSpec(specs.ActAllow)
	key, hit := cache.Apply(crun, first)
	if hit || first.Annotations[seccompBPFAnnotation] != "" {
		t.Fatalf("empty cache: hit=%v annotations=%v", hit, first.Annotations)
	}
	writeStateBPF(t, crun, "c1", prog)
	cache.Learn(crun, "c1", key)

	second := seccompSpec(specs.ActAllow)
	if _, hit := cache.Apply(crun, second); !hit {
		t.Fatal("same profile: no hit after Learn")
	}
	if got, want := second.Annotations[seccompBPFAnnotation], base64.StdEncoding.EncodeToString(prog); got != want {
		t.Fatalf("annotation %q, want %q", got, want)
	}
	if second.Linux.Seccomp == nil {
		t.Fatal("the seccomp section must stay in the spec")
	}

	other := seccompSpec(specs.ActErrno)
	if _, hit := cache.Apply(crun, other); hit {
		t.Fatal("a different profile must not get the cached program")
	}
}

func TestSeccompCacheLeavesOthersAlone(t *testing.T) {
	crun := &Runtime{Name: "crun", Root: t.TempDir()}
	var cache SeccompCache
	key, _ := cache.Apply(crun, seccompSpec(specs.ActAllow))
	writeStateBPF(t, crun, "c1", []byte("0123456789abcdef"))
	cache.Learn(crun, "c1", key)

	runc := &Runtime{Name: "runc", Root: t.TempDir()}
	if k, hit := cache.Apply(runc, seccompSpec(specs.ActAllow)); hit || k.ok {
		t.Fatal("runc cannot take a precompiled program")
	}
	if k, hit := cache.Apply(crun, &specs.Spec{Linux: &specs.Linux{}}); hit || k.ok {
		t.Fatal("a spec without seccomp (unconfined, privileged) must stay without")
	}
	own := seccompSpec(specs.ActAllow)
	own.Annotations = map[string]string{seccompBPFAnnotation: "bXlvd24="}
	if _, hit := cache.Apply(crun, own); hit || own.Annotations[seccompBPFAnnotation] != "bXlvd24=" {
		t.Fatal("the user's own program must win")
	}
}

func TestSeccompCacheRejectsWhatIsNotAProgram(t *testing.T) {
	crun := &Runtime{Name: "crun", Root: t.TempDir()}
	var cache SeccompCache
	for i, data := range [][]byte{nil, []byte("0123456789"), make([]byte, maxSeccompBPF+8)} {
		key, _ := cache.Apply(crun, seccompSpec(specs.ActAllow))
		id := "c" + string(rune('a'+i))
		if data != nil {
			writeStateBPF(t, crun, id, data)
		}
		cache.Learn(crun, id, key)
		if _, hit := cache.Apply(crun, seccompSpec(specs.ActAllow)); hit {
			t.Fatalf("case %d (%d bytes) was cached", i, len(data))
		}
	}
}
