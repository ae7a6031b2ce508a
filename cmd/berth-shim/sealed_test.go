package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/shimclient"
	"github.com/berth-dev/berth/internal/shimproto"
)

// recorderC is a stand-in runtime binary: it notes what /proc/self/exe is
// (next to its --root) and executes runc with the same arguments.
const recorderC = `#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--root") == 0) {
			char p[4200];
			snprintf(p, sizeof p, "%s.exe-seen", argv[i + 1]);
			FILE *f = fopen(p, "a");
			if (f) {
				fprintf(f, "%s\n", exe);
				fclose(f);
			}
		}
	}
	execv(REAL, argv);
	return 127;
}
`

// A shim given the daemon's sealed copy of the runtime (runtime/sealed.go)
// runs the runtime from that copy, not from the binary's path: a quiet
// fallback would still work, only slower, and nothing else would notice.
func TestShimRunsTheSealedRuntimeCopy(t *testing.T) {
	e := newEnv(t)
	cc, err := exec.LookPath("cc")
	if err != nil {
		if cc, err = exec.LookPath("gcc"); err != nil {
			t.Skip("no C compiler for the stand-in runtime")
		}
	}
	// Named runc so that the copy's link is too, as the daemon's is.
	recorder := filepath.Join(e.tmp, "bin", "runc")
	os.MkdirAll(filepath.Dir(recorder), 0o755)
	src := filepath.Join(e.tmp, "recorder.c")
	if err := os.WriteFile(src, []byte(recorderC), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-O2", `-DREAL="`+runcPath+`"`, "-o", recorder, src).CombinedOutput(); err != nil {
		t.Fatalf("build the stand-in runtime: %v\n%s", err, out)
	}
	rt, err := runtime.New(recorder, e.root)
	if err != nil {
		t.Fatal(err)
	}
	copyFile, exe := rt.ForShim(shimproto.RuntimeFD)
	if copyFile == nil {
		t.Skip("no sealed copy here (memfds unavailable)")
	}
	ctx := ctx(t)
	dir, cfg := e.container(false, "sh", "-c", "sleep 1000")
	cfg.Runtime, cfg.RuntimeFile, cfg.RuntimeExe = recorder, copyFile, exe
	if err := shimclient.Start(ctx, e.shim, dir, cfg); err != nil {
		t.Fatal(err)
	}
	startThroughFifo(t, ctx, dir, cfg, runcPath)
	seen := strings.Split(strings.TrimSpace(string(mustRead(t, e.root+".exe-seen"))), "\n")
	if seen[0] == "" {
		t.Fatal("the shim never ran the runtime")
	}
	for _, s := range seen {
		if !strings.HasPrefix(s, "/memfd:") {
			t.Fatalf("the shim ran the runtime from %q, not from the sealed copy (runs: %q)", s, seen)
		}
	}
}
