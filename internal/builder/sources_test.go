package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/builder/dockerfile"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

func hashDir(t *testing.T, dir string, patterns ...string) string {
	t.Helper()
	srcs, err := resolveSources(dir, patterns)
	if err != nil {
		t.Fatal(err)
	}
	h, err := hashSources(srcs, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestContentHashIgnoresMtimeOnly(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.bin")
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	os.WriteFile(big, data, 0o644)
	os.WriteFile(filepath.Join(dir, "other.txt"), []byte("other"), 0o644)
	before := hashDir(t, dir, "big.bin")
	beforeOther := hashDir(t, dir, "other.txt")

	// touch: same hash (moby#9391: a fresh checkout must hit the cache).
	later := time.Now().Add(time.Hour)
	os.Chtimes(big, later, later)
	if got := hashDir(t, dir, "big.bin"); got != before {
		t.Fatal("touch changed the content hash")
	}
	// A 16-byte change in the middle changes it.
	copy(data[500000:], []byte("0123456789abcdef"))
	os.WriteFile(big, data, 0o644)
	changed := hashDir(t, dir, "big.bin")
	if changed == before {
		t.Fatal("content change kept the hash")
	}
	// A mode change changes the hash of that file only.
	os.Chmod(big, 0o755)
	if hashDir(t, dir, "big.bin") == changed {
		t.Fatal("chmod kept the hash")
	}
	if hashDir(t, dir, "other.txt") != beforeOther {
		t.Fatal("a change to big.bin changed other.txt's hash")
	}
}

func TestResolveSourcesStaysInRoot(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte("b"), 0o644)
	os.Symlink("/etc", filepath.Join(dir, "escape"))
	srcs, err := resolveSources(dir, []string{"*.txt", "../../a.txt"})
	if err != nil || len(srcs) != 3 {
		t.Fatalf("sources = %v, %v", srcs, err)
	}
	if _, err := resolveSources(dir, []string{"escape/passwd"}); err == nil {
		t.Fatal("a symlink led out of the context")
	}
	if _, err := resolveSources(dir, []string{"*.none"}); err == nil {
		t.Fatal("an unmatched glob did not fail")
	}
}

func TestRunArgsHeredoc(t *testing.T) {
	src := "FROM x\nRUN <<EOT\necho one\necho two\nEOT\nRUN cat <<EOF > /f\nbody\nEOF\n"
	df, err := dockerfile.Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sh := []string{"/bin/sh", "-c"}
	only := df.Stages[0].Commands[0].(*instructions.RunCommand)
	if got := runArgs(sh, only.ShellDependantCmdLine); !reflect.DeepEqual(got, []string{"/bin/sh", "-c", "echo one\necho two\n"}) {
		t.Fatalf("heredoc-only RUN = %q", got)
	}
	redirect := df.Stages[0].Commands[1].(*instructions.RunCommand)
	if got := runArgs(sh, redirect.ShellDependantCmdLine); !reflect.DeepEqual(got, []string{"/bin/sh", "-c", "cat <<EOF > /f\nbody\nEOF"}) {
		t.Fatalf("RUN with a heredoc redirect = %q", got)
	}
}

func TestKnownHashesGiveTheSameKey(t *testing.T) {
	dir := t.TempDir()
	data := []byte("known content")
	os.WriteFile(filepath.Join(dir, "f.txt"), data, 0o644)
	computed := hashDir(t, dir, "f.txt")
	srcs, _ := resolveSources(dir, []string{"f.txt"})
	sum := sha256.Sum256(data)
	srcs[0].known = map[string]string{"f.txt": hex.EncodeToString(sum[:])}
	known, err := hashSources(srcs, nil, false)
	if err != nil || known != computed {
		t.Fatalf("hash from known sums %s != computed %s (%v)", known, computed, err)
	}
}
