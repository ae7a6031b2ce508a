package main

import (
	"debug/elf"
	"os/exec"
	"strings"
	"testing"
)

// TestShimIsStatic: a plain `go build` (cgo on, as on these hosts) must give
// a binary with no ELF interpreter, since it runs as --init in images
// without libc; that holds only while net, os/user and cgo stay out.
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
