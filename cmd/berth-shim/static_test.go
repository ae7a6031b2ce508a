package main

import (
	"debug/elf"
	"os/exec"
	"strings"
	"testing"
)

// TestShimIsStatic: a plain `go build` (cgo on, as it must be: the monitor
// is C) must give a binary with no ELF interpreter, since it runs as --init
// in images without libc. cgo links it -static (main.go); net and os/user
// must stay out (static glibc cannot resolve names or users), and
// encoding/json and fmt would only cost the init mode start-up time.
func TestShimIsStatic(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		switch p {
		case "net", "os/user", "encoding/json", "fmt":
			t.Errorf("the shim imports %s", p)
		}
	}
	bin := t.TempDir() + "/berth-shim"
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("berth-shim is dynamically linked (%v)", p.Type)
		}
	}
}
