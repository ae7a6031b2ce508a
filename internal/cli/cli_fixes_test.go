package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"
)

func TestFilterFlagRejectsValueWithoutEquals(t *testing.T) {
	var vals []string
	fs := pflag.NewFlagSet("ps", pflag.ContinueOnError)
	fs.VarP(newFilterValue(&vals), "filter", "f", "")
	err := fs.Parse([]string{"--filter", "bogus"})
	if err == nil || !strings.Contains(err.Error(), `invalid argument "bogus" for "-f, --filter" flag: bad format of filter (expected name=value)`) {
		t.Fatalf("got %v", err)
	}
	if err := fs.Parse([]string{"-f", "status=exited", "--filter", "label=a=b"}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(vals, ",") != "status=exited,label=a=b" {
		t.Fatalf("vals %v", vals)
	}
}

func TestTableHeaderForLabel(t *testing.T) {
	buf := &bytes.Buffer{}
	items := []any{&containerRow{c: container.Summary{Names: []string{"/a"}, Labels: map[string]string{"com.x_y": "v"}}}}
	if err := writeFormatted(buf, `table {{.Names}}\t{{.Label "com.x_y"}}`, containerHeaders, items); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "NAMES x y" || strings.Join(strings.Fields(lines[1]), " ") != "a v" {
		t.Fatalf("got %q", buf.String())
	}
}

func TestPsJSONHasNullPlatform(t *testing.T) {
	buf := &bytes.Buffer{}
	if err := writeFormatted(buf, "json", containerHeaders, []any{&containerRow{c: container.Summary{}}}); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if v, ok := m["Platform"]; !ok || v != nil {
		t.Fatalf("Platform = %v, %v in %s", v, ok, buf)
	}
	p := platformValue{ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}
	if p.String() != "linux/arm64/v8" {
		t.Fatal(p.String())
	}
}

func TestInspectJSONIsNotHTMLEscapedAndEmptyIsBrackets(t *testing.T) {
	buf := &bytes.Buffer{}
	if err := writeIndentedJSON(buf, []json.RawMessage{json.RawMessage(`{"Cmd":"a > b && c"}`)}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"a > b && c"`) {
		t.Fatalf("escaped: %s", buf)
	}
	buf.Reset()
	if err := executeInspectTemplate(buf, "", nil); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "[]\n" {
		t.Fatalf("got %q", buf)
	}
}

func TestValidateOutputPath(t *testing.T) {
	dir := t.TempDir()
	if err := validateOutputPath(filepath.Join(dir, "new.tar")); err != nil {
		t.Fatal(err)
	}
	if err := validateOutputPath(dir); err == nil || err.Error() != "cannot write to a directory" {
		t.Fatalf("dir: %v", err)
	}
	if err := validateOutputPath("/dev/null"); err == nil || err.Error() != "cannot write to a character device file" {
		t.Fatalf("chardev: %v", err)
	}
	err := validateOutputPath(filepath.Join(dir, "missing", "x.tar"))
	if err == nil || !strings.HasPrefix(err.Error(), "invalid output path: stat ") {
		t.Fatalf("missing dir: %v", err)
	}
}

func TestWriteToFileLeavesNothingOnFailure(t *testing.T) {
	dir := t.TempDir()
	c := NewCli(nil, &bytes.Buffer{}, &bytes.Buffer{}, "test")
	out := filepath.Join(dir, "x.tar")
	if err := writeToFileOrStdout(c, out, strings.NewReader("data"), "failed to save image"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "data" {
		t.Fatalf("content %q", b)
	}
	if err := writeToFileOrStdout(c, out, errReader{}, "failed to save image"); err == nil || !strings.HasPrefix(err.Error(), "failed to save image: ") {
		t.Fatalf("got %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temp file left behind: %v", entries)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, os.ErrClosed }

func TestSecurityOptionLines(t *testing.T) {
	buf := &bytes.Buffer{}
	printSecurityOption(buf, "name=seccomp,profile=builtin")
	if buf.String() != "  seccomp\n   Profile: builtin\n" {
		t.Fatalf("got %q", buf)
	}
}
