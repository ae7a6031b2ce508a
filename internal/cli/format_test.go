package cli

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

func TestPsTableOutput(t *testing.T) {
	fixed := time.Unix(1000, 0)
	now = func() time.Time { return fixed }
	defer func() { now = time.Now }()
	rows := []any{&containerRow{trunc: true, c: container.Summary{
		ID: "0123456789abcdef0123", Names: []string{"/web"}, Image: "docker.io/library/busybox:latest",
		Command: "sh -c 'echo hello world; sleep 100'", Created: 1000 - 5, Status: "Up 5 seconds",
		Ports: []container.PortSummary{{IP: netip.MustParseAddr("0.0.0.0"), PrivatePort: 80, PublicPort: 8080, Type: "tcp"}},
	}}}
	var out bytes.Buffer
	if err := writeFormatted(&out, defaultPsFormat, containerHeaders, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if !strings.HasPrefix(lines[0], "CONTAINER ID   IMAGE            COMMAND                  CREATED         STATUS         PORTS                  NAMES") {
		t.Errorf("header = %q", lines[0])
	}
	for _, want := range []string{"0123456789ab", "busybox:latest", `"sh -c 'echo hello w…"`, "5 seconds ago", "0.0.0.0:8080->80/tcp", "web"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row %q lacks %q", lines[1], want)
		}
	}
}

func TestFormatTemplatesAndJSON(t *testing.T) {
	row := &containerRow{c: container.Summary{ID: "abc", Names: []string{"/n"}, Labels: map[string]string{"a": "1"}}}
	var out bytes.Buffer
	if err := writeFormatted(&out, `{{.Names}} {{upper .Names}} {{.Label "a"}} {{join (split "x,y" ",") "-"}} {{truncate .ID 2}}`, containerHeaders, []any{row}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "n N 1 x-y ab\n" {
		t.Errorf("template output = %q", out.String())
	}
	out.Reset()
	if err := writeFormatted(&out, "table {{.ID}}\t{{.Names}}", containerHeaders, []any{row}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "CONTAINER ID   NAMES\nabc            n\n" {
		t.Errorf("table = %q", out.String())
	}
	out.Reset()
	if err := writeFormatted(&out, "json", containerHeaders, []any{row}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"Names":"n"`) || !strings.Contains(out.String(), `"Labels":"a=1"`) {
		t.Errorf("json = %q", out.String())
	}
	if err := writeFormatted(&out, "{{.Nope", containerHeaders, []any{row}); err == nil {
		t.Error("bad template accepted")
	}
}

func TestHumanize(t *testing.T) {
	fixed := time.Unix(10000, 0)
	now = func() time.Time { return fixed }
	defer func() { now = time.Now }()
	if got := sinceUnix(10000 - 70); got != "About a minute ago" {
		t.Errorf("sinceUnix = %q", got)
	}
	if got := humanSize(4_261_412); got != "4.26MB" {
		t.Errorf("humanSize = %q", got)
	}
	if got := truncateID("sha256:0123456789abcdef"); got != "0123456789ab" {
		t.Errorf("truncateID = %q", got)
	}
	if got := ellipsis("abcdef", 4); got != "abc…" {
		t.Errorf("ellipsis = %q", got)
	}
}

func TestExitCodeMapping(t *testing.T) {
	for msg, want := range map[string]int{
		`exec: "nope": executable file not found in $PATH`: 127,
		"open /x: no such file or directory":               127,
		"exec /etc: permission denied":                     126,
		"exec /etc: is a directory":                        126,
		"Error response from daemon: boom":                 125,
	} {
		code, text := exitCode(toStatusError(errors.New(msg), "run"))
		if code != want || !strings.HasPrefix(text, "berth: "+msg) || !strings.HasSuffix(text, "Run 'berth run --help' for more information") {
			t.Errorf("%q: code %d text %q", msg, code, text)
		}
	}
	if code, text := exitCode(StatusError{StatusCode: 3}); code != 3 || text != "" {
		t.Errorf("container exit: %d %q", code, text)
	}
	if code, _ := exitCode(errors.New("x")); code != 1 {
		t.Errorf("plain error code %d", code)
	}
}

func TestMainExitCodesWithoutDaemon(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/berth.sock")
	run := func(args ...string) int {
		return Main(args, "test", nil)
	}
	if code := run("ps"); code != 1 {
		t.Errorf("ps without daemon: %d", code)
	}
	if code := run("run", "busybox"); code != 125 {
		t.Errorf("run without daemon: %d", code)
	}
	if code := run("run"); code != 1 {
		t.Errorf("run without args: %d", code)
	}
	if code := run("run", "--bogus", "x"); code != 125 {
		t.Errorf("unknown flag: %d", code)
	}
	if code := run("run", "--restart=a:b", "x"); code != 125 {
		t.Errorf("bad restart: %d", code)
	}
}
