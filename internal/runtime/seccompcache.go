package runtime

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// seccompBPFAnnotation makes crun load a raw BPF program instead of
// compiling the spec's seccomp section (podman uses it the same way).
const seccompBPFAnnotation = "run.oci.seccomp_bpf_data"

// maxSeccompBPF bounds what is read back from the runtime's state dir: a
// BPF program has at most 4096 instructions of 8 bytes.
const maxSeccompBPF = 4096 * 8

// SeccompCache remembers the BPF program crun compiled for a seccomp
// profile and hands it to the next container with the same profile.
// Compiling Docker's default profile (~300 rules through libseccomp) is
// about 10 ms of every crun create; reading it back costs nothing, because
// crun keeps the program it loaded in its state dir (seccomp.bpf, which
// `crun exec` reuses). The key is the profile as it appears in the spec,
// so a different capability set, --security-opt seccomp=FILE or
// architecture list gets its own entry. runc has no such input: the cache
// only acts for crun.
type SeccompCache struct {
	mu    sync.Mutex
	progs map[[32]byte]string // profile hash → base64 BPF
}

// SeccompKey identifies a spec's seccomp profile; ok is false when the
// spec has none or the runtime cannot take a precompiled program.
type SeccompKey struct {
	hash [32]byte
	ok   bool
}

// Apply adds the cached program for spec's profile as crun's annotation.
// It returns the key to Learn with after a create that had to compile.
func (c *SeccompCache) Apply(rt *Runtime, spec *specs.Spec) (key SeccompKey, hit bool) {
	if rt == nil || rt.Name != "crun" || spec.Linux == nil || spec.Linux.Seccomp == nil {
		return SeccompKey{}, false
	}
	if _, set := spec.Annotations[seccompBPFAnnotation]; set {
		return SeccompKey{}, false // the user's own program wins
	}
	profile, err := json.Marshal(spec.Linux.Seccomp)
	if err != nil {
		return SeccompKey{}, false
	}
	key = SeccompKey{hash: sha256.Sum256(profile), ok: true}
	c.mu.Lock()
	prog, found := c.progs[key.hash]
	c.mu.Unlock()
	if !found {
		return key, false
	}
	if spec.Annotations == nil {
		spec.Annotations = map[string]string{}
	}
	spec.Annotations[seccompBPFAnnotation] = prog
	return key, true
}

// Learn keeps the program crun compiled for container id, after its
// create succeeded without a cached program.
func (c *SeccompCache) Learn(rt *Runtime, id string, key SeccompKey) {
	if !key.ok {
		return
	}
	data, err := os.ReadFile(filepath.Join(rt.Root, id, "seccomp.bpf"))
	// A program is whole 8-byte instructions; anything else is not one.
	if err != nil || len(data) == 0 || len(data)%8 != 0 || len(data) > maxSeccompBPF {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.progs == nil {
		c.progs = map[[32]byte]string{}
	}
	c.progs[key.hash] = base64.StdEncoding.EncodeToString(data)
}
