package main

import (
	"os"
	"path/filepath"
	"testing"
)

// The runtime's JSON log lines are parsed by the C monitor (runtime.c).
func TestFlatJSON(t *testing.T) {
	level, msg, ok := cFlatJSON(` {"level":"error", "msg":"exec: \"x\": not found \u003c\ud83d\ude00\n","n":12,"b":true,"time":"t"} `)
	if !ok || level != "error" || msg != "exec: \"x\": not found <😀\n" {
		t.Fatalf("%q %q %v", level, msg, ok)
	}
	if level, msg, ok := cFlatJSON(`{"msg":"lone \udc00 \/","level":1}`); !ok || level != "" || msg != "lone \uFFFD /" {
		t.Fatalf("%q %q %v", level, msg, ok)
	}
	for _, bad := range []string{"", "[]", `{"a":"b"`, `{"a":{"b":1}}`, `{"a":"\q"}`, `{"a" "b"}`} {
		if _, _, ok := cFlatJSON(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLastRuntimeError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "runtime.log")
	os.WriteFile(p, []byte(`{"level":"warning","msg":"w"}
{"level":"error","msg":"first"}
not json
{"level":"error","msg":"second \"quoted\""}
{"level":"info","msg":"later"}
`), 0o644)
	if got := cLastRuntimeError(p); got != `second "quoted"` {
		t.Fatalf("%q", got)
	}
	if got := cLastRuntimeError(p + ".missing"); got != "" {
		t.Fatalf("%q", got)
	}
}
