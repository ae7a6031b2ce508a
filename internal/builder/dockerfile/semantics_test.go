package dockerfile

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// applyStage applies the last stage's config instructions the way the
// builder does (ARG scoping, expansion, then Apply) on a base image config
// and returns the config and the history texts. RUN/COPY are skipped.
func applyStage(t *testing.T, src string, buildArgs map[string]string, base dockerspec.DockerOCIImageConfig) (dockerspec.DockerOCIImageConfig, []string) {
	t.Helper()
	df, err := Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	given := map[string]*string{}
	for k, v := range buildArgs {
		v := v
		given[k] = &v
	}
	args := NewArgs(given)
	global, err := args.GlobalScope(df.MetaArgs)
	if err != nil {
		t.Fatal(err)
	}
	img := &dockerspec.DockerOCIImage{Config: base}
	EnsurePath(img)
	sc := &StageConfig{Image: img}
	scope := args.NewScope(global)
	var history []string
	for _, cmd := range df.Stages[len(df.Stages)-1].Commands {
		if a, ok := cmd.(*instructions.ArgCommand); ok {
			if err := scope.Declare(a, img.Config.Env); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if e, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
			if err := e.Expand(scope.ExpanderFor(img.Config.Env, df.EscapeToken)); err != nil {
				t.Fatal(err)
			}
		}
		h, ok, err := sc.Apply(cmd)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			history = append(history, h)
		}
	}
	return img.Config, history
}

func TestConfigSemantics(t *testing.T) {
	path := DefaultPath
	cases := []struct {
		name     string
		src      string
		args     map[string]string
		base     dockerspec.DockerOCIImageConfig
		want     string // JSON of the fields checked
		pick     func(c dockerspec.DockerOCIImageConfig) any
		wantHist []string
	}{
		{
			name:     "ENV replaces, appends and expands",
			src:      "FROM x\nENV A=1 B=2\nENV A=${B}3 C=$A\n",
			pick:     func(c dockerspec.DockerOCIImageConfig) any { return c.Env },
			want:     `["` + path + `","A=23","B=2","C=1"]`,
			wantHist: []string{"ENV A=1 B=2", "ENV A=23 C=1"},
		},
		{
			name: "ARG before FROM is not visible in the stage unless redeclared",
			src:  "ARG V=meta\nFROM x\nENV A=${V:-unset}\nARG V\nENV B=$V\n",
			pick: func(c dockerspec.DockerOCIImageConfig) any { return c.Env },
			want: `["` + path + `","A=unset","B=meta"]`,
		},
		{
			name: "--build-arg overrides an ARG default; ENV wins over ARG",
			src:  "FROM x\nARG V=def\nARG W=def\nENV W=env\nENV A=$V B=$W\n",
			args: map[string]string{"V": "given", "W": "given"},
			pick: func(c dockerspec.DockerOCIImageConfig) any { return c.Env },
			want: `["` + path + `","W=env","A=given","B=env"]`,
		},
		{
			name: "ARG is not in the image config",
			src:  "FROM x\nARG SECRETISH=1\nLABEL l=$SECRETISH\n",
			pick: func(c dockerspec.DockerOCIImageConfig) any { return []any{c.Env, c.Labels} },
			want: `[["` + path + `"],{"l":"1"}]`,
		},
		{
			name: "shell-form CMD and ENTRYPOINT use the shell; ENTRYPOINT resets an inherited CMD",
			src:  "FROM x\nENTRYPOINT echo hi\n",
			base: dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{Cmd: []string{"sh"}}},
			pick: func(c dockerspec.DockerOCIImageConfig) any { return []any{c.Entrypoint, c.Cmd} },
			want: `[["/bin/sh","-c","echo hi"],null]`,
		},
		{
			name:     "CMD set in the stage survives a later ENTRYPOINT",
			src:      "FROM x\nCMD [\"a\"]\nENTRYPOINT [\"e\"]\n",
			base:     dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{Cmd: []string{"sh"}}},
			pick:     func(c dockerspec.DockerOCIImageConfig) any { return []any{c.Entrypoint, c.Cmd} },
			want:     `[["e"],["a"]]`,
			wantHist: []string{`CMD ["a"]`, `ENTRYPOINT ["e"]`},
		},
		{
			name: "SHELL changes shell-form commands",
			src:  "FROM x\nSHELL [\"/bin/bash\", \"-eu\", \"-c\"]\nCMD run me\n",
			pick: func(c dockerspec.DockerOCIImageConfig) any { return []any{c.Shell, c.Cmd} },
			want: `[["/bin/bash","-eu","-c"],["/bin/bash","-eu","-c","run me"]]`,
		},
		{
			name: "WORKDIR is relative to the previous one and expands ENV",
			src:  "FROM x\nENV D=sub\nWORKDIR /a\nWORKDIR b/$D\nWORKDIR ../c\n",
			pick: func(c dockerspec.DockerOCIImageConfig) any { return c.WorkingDir },
			want: `"/a/b/c"`,
		},
		{
			name: "USER, STOPSIGNAL, EXPOSE ranges and protocols, VOLUME",
			src:  "FROM x\nUSER app:staff\nSTOPSIGNAL SIGINT\nEXPOSE 80 53/udp 8000-8001\nVOLUME [\"/data\", \"/logs\"]\n",
			pick: func(c dockerspec.DockerOCIImageConfig) any {
				return []any{c.User, c.StopSignal, c.ExposedPorts, c.Volumes}
			},
			want: `["app:staff","SIGINT",{"53/udp":{},"80/tcp":{},"8000/tcp":{},"8001/tcp":{}},{"/data":{},"/logs":{}}]`,
		},
		{
			name: "HEALTHCHECK options and NONE",
			src:  "FROM x\nHEALTHCHECK --interval=5s --retries=2 CMD curl -f http://localhost/\n",
			pick: func(c dockerspec.DockerOCIImageConfig) any { return c.Healthcheck },
			want: `{"Test":["CMD-SHELL","curl -f http://localhost/"],"Interval":5000000000,"Retries":2}`,
		},
		{
			name: "ONBUILD keeps the trigger text",
			src:  "FROM x\nONBUILD RUN echo triggered\nONBUILD COPY . /src\n",
			pick: func(c dockerspec.DockerOCIImageConfig) any { return c.OnBuild },
			want: `["RUN echo triggered","COPY . /src"]`,
		},
		{
			name: "LABEL merges with inherited labels",
			src:  "FROM x\nLABEL a=1 \"b c\"=\"d e\"\n",
			base: dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{Labels: map[string]string{"base": "y"}}},
			pick: func(c dockerspec.DockerOCIImageConfig) any { return c.Labels },
			want: `{"a":"1","b c":"d e","base":"y"}`,
		},
		{
			name: "escape directive",
			src:  "# escape=`\nFROM x\nENV A=one`\n  B=two\n",
			pick: func(c dockerspec.DockerOCIImageConfig) any { return c.Env },
			want: `["` + path + `","A=one","B=two"]`,
		},
		{
			name: "predefined platform args need a declaration in the stage",
			src:  "FROM x\nENV BEFORE=${TARGETOS:-none}\nARG TARGETOS\nENV AFTER=$TARGETOS\n",
			pick: func(c dockerspec.DockerOCIImageConfig) any { return c.Env },
			want: `["` + path + `","BEFORE=none","AFTER=linux"]`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, hist := applyStage(t, tc.src, tc.args, tc.base)
			got, _ := json.Marshal(tc.pick(cfg))
			if string(got) != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			if tc.wantHist != nil && !reflect.DeepEqual(hist, tc.wantHist) {
				t.Fatalf("history %q, want %q", hist, tc.wantHist)
			}
		})
	}
}

func TestShellArgsHeredocAndExecForm(t *testing.T) {
	df, err := Parse("Dockerfile", []byte("FROM x\nRUN [\"echo\", \"exec form\"]\nRUN echo shell form\n"))
	if err != nil {
		t.Fatal(err)
	}
	sc := &StageConfig{Image: &dockerspec.DockerOCIImage{}}
	run0 := df.Stages[0].Commands[0].(*instructions.RunCommand)
	run1 := df.Stages[0].Commands[1].(*instructions.RunCommand)
	if got := sc.ShellArgs(run0.ShellDependantCmdLine); !reflect.DeepEqual(got, []string{"echo", "exec form"}) {
		t.Fatalf("exec form = %q", got)
	}
	if got := sc.ShellArgs(run1.ShellDependantCmdLine); !reflect.DeepEqual(got, []string{"/bin/sh", "-c", "echo shell form"}) {
		t.Fatalf("shell form = %q", got)
	}
}

func TestParseErrorsNameFileLineAndInstruction(t *testing.T) {
	cases := []struct{ src, want string }{
		{"FROM x\nBOGUS thing\n", "Dockerfile.dev:2: BOGUS thing: dockerfile parse error on line 2: unknown instruction: BOGUS"},
		{"FROM x\nCOPY onlyone\n", "Dockerfile.dev:2: COPY onlyone:"},
		{"# syntax=example.com/other/frontend\nFROM x\n", "cannot pull others"},
		{"", "cannot be empty"},
		{"RUN true\n", "Dockerfile.dev:1"},
	}
	for _, tc := range cases {
		_, err := Parse("Dockerfile.dev", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want it to contain %q", tc.src, err, tc.want)
		}
	}
}

func TestSyntaxDirectiveStandardFrontendAccepted(t *testing.T) {
	for _, ref := range []string{"docker/dockerfile:1", "docker/dockerfile:1.7-labs", "docker.io/docker/dockerfile@sha256:" + strings.Repeat("a", 64)} {
		df, err := Parse("Dockerfile", []byte("# syntax="+ref+"\nFROM x\n"))
		if err != nil || df.Syntax != ref {
			t.Errorf("syntax %s: %v", ref, err)
		}
	}
}

func TestNeededStagesFollowTargetDependencies(t *testing.T) {
	src := `FROM busybox AS a
RUN true
FROM busybox AS unused
RUN false
FROM busybox AS c
COPY --from=a /x /x
FROM c AS final
RUN --mount=type=bind,from=1,target=/m true
FROM busybox AS other
`
	df, err := Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	bases := make([]int, len(df.Stages))
	for i, s := range df.Stages {
		bases[i] = df.StageRef(s.BaseName, i)
	}
	target, err := df.TargetIndex("final")
	if err != nil {
		t.Fatal(err)
	}
	if got := df.Needed(target, bases); !reflect.DeepEqual(got, []int{0, 1, 2, 3}) {
		t.Fatalf("needed for final = %v", got)
	}
	target, _ = df.TargetIndex("c")
	if got := df.Needed(target, bases); !reflect.DeepEqual(got, []int{0, 2}) {
		t.Fatalf("needed for c = %v (the unused stage must not be built)", got)
	}
	if _, err := df.TargetIndex("nope"); err == nil || !strings.Contains(err.Error(), "failed to reach build target nope") {
		t.Fatalf("unknown target error = %v", err)
	}
}

func TestUnconsumedBuildArgs(t *testing.T) {
	v := "1"
	args := NewArgs(map[string]*string{"USED": &v, "UNUSED": &v, "HTTP_PROXY": &v})
	df, _ := Parse("Dockerfile", []byte("FROM x\nARG USED\n"))
	global, _ := args.GlobalScope(df.MetaArgs)
	scope := args.NewScope(global)
	scope.Declare(df.Stages[0].Commands[0].(*instructions.ArgCommand), nil)
	if got := args.Unconsumed(); !reflect.DeepEqual(got, []string{"UNUSED"}) {
		t.Fatalf("unconsumed = %v", got)
	}
	// Proxy args reach RUN without an ARG line but are not history args.
	env := scope.Env(nil)
	if !contains(env, "HTTP_PROXY=1") || contains(scope.RunArgs(nil), "HTTP_PROXY=1") {
		t.Fatalf("env %v / run args %v", env, scope.RunArgs(nil))
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
