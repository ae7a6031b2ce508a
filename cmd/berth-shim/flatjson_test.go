package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFlatJSONStrings(t *testing.T) {
	got, ok := flatJSONStrings([]byte(` {"level":"error", "msg":"exec: \"x\": not found \u003c\ud83d\ude00\n","n":12,"b":true,"time":"t"} `))
	if !ok || got["level"] != "error" || got["msg"] != "exec: \"x\": not found <😀\n" || got["time"] != "t" {
		t.Fatalf("%q %v", got, ok)
	}
	for _, bad := range []string{"", "[]", `{"a":"b"`, `{"a":{"b":1}}`, `{"a":"\q"}`, `{"a" "b"}`} {
		if _, ok := flatJSONStrings([]byte(bad)); ok {
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
	if got := lastRuntimeError(p); got != `second "quoted"` {
		t.Fatalf("%q", got)
	}
}
