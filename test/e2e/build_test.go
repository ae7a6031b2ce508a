package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// buildContext writes files (name → content) into a new context dir.
func buildContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// dockerBuild runs the docker CLI's classic builder (DOCKER_BUILDKIT=0:
// berth serves the classic /build API) against d.
func (d *daemon) dockerBuild(args ...string) result {
	return runCmd(nil, append(d.dockerEnv(), "DOCKER_BUILDKIT=0"), dockerCLI, append([]string{"build"}, args...)...)
}

func (d *daemon) berthBuild(args ...string) result {
	return runCmd(nil, d.berthEnv(), berthBin(), append([]string{"build"}, args...)...)
}

func mustBuild(t *testing.T, r result) result {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("build failed: %s", r)
	}
	return r
}

var builtID = regexp.MustCompile(`Successfully built ([0-9a-f]{12})`)

func builtImage(t *testing.T, r result) string {
	t.Helper()
	m := builtID.FindStringSubmatch(r.Stdout)
	if m == nil {
		t.Fatalf("no 'Successfully built' line: %s", r)
	}
	return m[1]
}

func TestBuildImageConfigAndHistoryThroughDockerCLI(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	img := uniqueName(t) + ":v1"
	dir := buildContext(t, map[string]string{
		"Dockerfile": `FROM busybox
LABEL org.example.team=berth
ENV APP_HOME=/srv/app MODE=prod
ARG GREETING=hello
WORKDIR $APP_HOME
RUN echo "$GREETING from $MODE" > greeting.txt
COPY app.sh ./
EXPOSE 8080 53/udp
VOLUME /data
USER nobody
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=3s CMD true
ENTRYPOINT ["/bin/sh", "app.sh"]
CMD ["--serve"]
`,
		"app.sh": "cat /srv/app/greeting.txt; echo args: \"$@\"; id -u\n",
	})
	r := mustBuild(t, d.dockerBuild("-t", img, "--build-arg", "GREETING=hi", "--label", "extra=1", dir))
	t.Cleanup(func() { d.docker("rmi", "-f", img) })
	if !strings.Contains(r.Stdout, "Successfully tagged "+img) || !strings.Contains(r.Stdout, "Step 14/14 : CMD") {
		t.Fatalf("build output: %s", r.Stdout)
	}

	var cfg struct {
		Env          []string
		Cmd          []string
		Entrypoint   []string
		User         string
		WorkingDir   string
		ExposedPorts map[string]struct{}
		Volumes      map[string]struct{}
		Labels       map[string]string
		StopSignal   string
		Healthcheck  struct {
			Test              []string
			Interval, Timeout int64
		}
	}
	if err := json.Unmarshal([]byte(d.must(t, "image", "inspect", "-f", "{{json .Config}}", img)), &cfg); err != nil {
		t.Fatal(err)
	}
	want := `{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","APP_HOME=/srv/app","MODE=prod"],"Cmd":["--serve"],"Entrypoint":["/bin/sh","app.sh"],"User":"nobody","WorkingDir":"/srv/app","ExposedPorts":{"53/udp":{},"8080/tcp":{}},"Volumes":{"/data":{}},"Labels":{"extra":"1","org.example.team":"berth"},"StopSignal":"SIGINT","Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":30000000000,"Timeout":3000000000}}`
	if got, _ := json.Marshal(cfg); string(got) != want {
		t.Fatalf("image config:\n got %s\nwant %s", got, want)
	}
	if out := d.must(t, "run", "--rm", img); out != "hi from prod\nargs: --serve\n65534\n" {
		t.Fatalf("run output = %q", out)
	}
	hist := d.must(t, "history", "--no-trunc", "--format", "{{.CreatedBy}}", img)
	for _, want := range []string{"CMD [\"--serve\"]", "COPY app.sh ./", "RUN |1 GREETING=hi /bin/sh -c echo \"$GREETING from $MODE\" > greeting.txt", "ENV APP_HOME=/srv/app MODE=prod", "WORKDIR /srv/app"} {
		if !strings.Contains(hist, want) {
			t.Fatalf("history lacks %q:\n%s", want, hist)
		}
	}
}

func TestBuildCacheIsKeyedOnContentNotMtime(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN echo before > /before\nCOPY big.bin /big.bin\nRUN wc -c /big.bin > /after\nCOPY --chmod=0600 small.txt /small.txt\n",
		"big.bin":    string(big),
		"small.txt":  "small",
	})
	first := builtImage(t, mustBuild(t, d.dockerBuild("-t", "cached", dir)))

	// touch every file: every step is cached and the image ID is the same.
	for _, f := range []string{"Dockerfile", "big.bin", "small.txt"} {
		os.Chtimes(filepath.Join(dir, f), timeNowPlusHour(), timeNowPlusHour())
	}
	r := mustBuild(t, d.dockerBuild("-t", "cached", dir))
	if strings.Contains(r.Stdout, "Running in") || strings.Count(r.Stdout, "Using cache") != 4 {
		t.Fatalf("rebuild after touch re-ran steps:\n%s", r.Stdout)
	}
	if got := builtImage(t, r); got != first {
		t.Fatalf("fully cached rebuild gave %s, want the same image %s", got, first)
	}

	// A 16-byte change re-runs the COPY and what follows, not what precedes.
	copy(big[1<<19:], []byte("CHANGED-16-BYTES"))
	os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644)
	r = mustBuild(t, d.dockerBuild("-t", "cached", dir))
	steps := strings.Split(r.Stdout, "Step ")
	if len(steps) != 6 || !strings.Contains(steps[2], "Using cache") || strings.Contains(steps[3], "Using cache") ||
		!strings.Contains(steps[4], "Running in") {
		t.Fatalf("after a content change:\n%s", r.Stdout)
	}
	if got := builtImage(t, r); got == first {
		t.Fatal("content change kept the image ID")
	}
	if out := d.must(t, "run", "--rm", "cached", "sh", "-c", "cat /after; grep -c CHANGED-16-BYTES /big.bin; stat -c %a /small.txt"); out != "1048576 /big.bin\n1\n600\n" {
		t.Fatalf("built image content = %q", out)
	}

	// --chmod of the last COPY changes: only that step re-runs.
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN echo before > /before\nCOPY big.bin /big.bin\nRUN wc -c /big.bin > /after\nCOPY --chmod=0644 small.txt /small.txt\n"), 0o644)
	r = mustBuild(t, d.dockerBuild("-t", "cached", dir))
	if strings.Count(r.Stdout, "Using cache") != 3 || strings.Contains(r.Stdout, "Running in") {
		t.Fatalf("--chmod change re-ran unrelated steps:\n%s", r.Stdout)
	}

	// --no-cache runs everything.
	r = mustBuild(t, d.dockerBuild("--no-cache", "-t", "cached", dir))
	if strings.Contains(r.Stdout, "Using cache") || strings.Count(r.Stdout, "Running in") != 2 {
		t.Fatalf("--no-cache used the cache:\n%s", r.Stdout)
	}

	// The cache outlives the image; builder prune frees it and reports the bytes.
	d.must(t, "rmi", "cached")
	d.must(t, "image", "prune", "-f")
	r = mustBuild(t, d.dockerBuild(dir))
	if strings.Contains(r.Stdout, "Running in") {
		t.Fatalf("build after rmi did not use the cache:\n%s", r.Stdout)
	}
	d.must(t, "image", "prune", "-f")
	if df := d.must(t, "system", "df"); !regexp.MustCompile(`Build Cache\s+[1-9]`).MatchString(df) {
		t.Fatalf("system df shows no build cache:\n%s", df)
	}
	out := d.must(t, "builder", "prune", "-f")
	if !strings.Contains(out, "Deleted build cache objects:") || !regexp.MustCompile(`Total reclaimed space: [1-9][0-9.]*[kM]B`).MatchString(out) {
		t.Fatalf("builder prune: %s", out)
	}
	r = mustBuild(t, d.dockerBuild("-t", "cached", dir))
	if strings.Contains(r.Stdout, "Using cache") {
		t.Fatalf("build after prune used the cache:\n%s", r.Stdout)
	}
}

func TestBuildMultiStageBuildsOnlyWhatTheTargetNeeds(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	img := uniqueName(t)
	dir := buildContext(t, map[string]string{
		"Dockerfile": `ARG BASE=busybox
FROM ${BASE} AS deps
RUN echo deps > /deps.txt
FROM busybox AS broken
RUN echo this stage must not be built && false
FROM busybox AS tools
RUN echo tools > /tools.txt
FROM busybox AS final
COPY --from=deps /deps.txt /
COPY --from=tools /tools.txt /
RUN --mount=type=bind,from=deps,target=/m cat /m/deps.txt /tools.txt > /both.txt
CMD ["cat", "/both.txt"]
FROM final AS debug
RUN echo debug > /debug.txt
`,
	})
	r := mustBuild(t, d.berthBuild("--target", "final", "-t", img, dir))
	t.Cleanup(func() { d.docker("rmi", "-f", img) })
	if strings.Contains(r.Stdout, "must not be built") || strings.Contains(r.Stdout, "debug") {
		t.Fatalf("stages the target does not need were built:\n%s", r.Stdout)
	}
	if !strings.Contains(r.Stdout, "Step 1/9 : FROM ${BASE} AS deps") {
		t.Fatalf("step numbering counts only the needed stages:\n%s", r.Stdout)
	}
	if out := d.must(t, "run", "--rm", img); out != "deps\ntools\n" {
		t.Fatalf("final stage output = %q", out)
	}
	// The default target is the last stage.
	r = mustBuild(t, d.berthBuild("-t", img+"-debug", dir))
	t.Cleanup(func() { d.docker("rmi", "-f", img+"-debug") })
	if strings.Contains(r.Stdout, "must not be built") {
		t.Fatalf("the broken stage was built:\n%s", r.Stdout)
	}
	if out := d.must(t, "run", "--rm", img+"-debug", "cat", "/debug.txt", "/both.txt"); out != "debug\ndeps\ntools\n" {
		t.Fatalf("debug stage = %q", out)
	}
}

func TestBuildSecretsStayOutOfTheImage(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	img := uniqueName(t)
	secret := "s3cr3t-" + uniqueName(t)
	secretFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(secretFile, []byte(secret), 0o600)
	dir := buildContext(t, map[string]string{
		"Dockerfile": `FROM busybox
RUN --mount=type=secret,id=token test "$(cat /run/secrets/token)" = "$EXPECT" && cp /run/secrets/token /dev/null && echo secret-ok
RUN --mount=type=secret,id=apikey,env=API_KEY test -n "$API_KEY" && echo env-ok
RUN test ! -e /run/secrets/token && echo gone-ok
`,
	})
	r := runCmd(nil, append(d.berthEnv(), "API_KEY_SRC="+secret), berthBin(), "build", "--build-arg", "EXPECT=unused",
		"--secret", "id=token,src="+secretFile, "--secret", "id=apikey,env=API_KEY_SRC", "-t", img, dir)
	// EXPECT is not declared with ARG: the first RUN must compare against
	// the secret itself, so pass it through the Dockerfile instead.
	if r.Code == 0 {
		t.Fatalf("EXPECT is not an ARG, the test step should fail: %s", r)
	}
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(`FROM busybox
RUN --mount=type=secret,id=token test -s /run/secrets/token && echo secret-ok
RUN --mount=type=secret,id=apikey,env=API_KEY test -n "$API_KEY" && echo env-ok
RUN test ! -e /run/secrets/token && test -z "$API_KEY" && echo gone-ok
`), 0o644)
	r = runCmd(nil, append(d.berthEnv(), "API_KEY_SRC="+secret), berthBin(), "build",
		"--secret", "id=token,src="+secretFile, "--secret", "id=apikey,env=API_KEY_SRC", "-t", img, dir)
	if r.Code != 0 {
		t.Fatalf("build with secrets: %s", r)
	}
	t.Cleanup(func() { d.docker("rmi", "-f", img) })
	for _, want := range []string{"secret-ok", "env-ok", "gone-ok"} {
		if !strings.Contains(r.Stdout, want) {
			t.Fatalf("build output lacks %s:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, secret) {
		t.Fatal("the secret appeared in the build output")
	}
	saved := runCmd(nil, d.dockerEnv(), dockerCLI, "save", img)
	if saved.Code != 0 || len(saved.Stdout) < 1000 {
		t.Fatalf("docker save: exit %d, %d bytes", saved.Code, len(saved.Stdout))
	}
	if strings.Contains(saved.Stdout, secret) {
		t.Fatal("the secret is in the saved image (layers, config or history)")
	}
	inspect := d.must(t, "image", "inspect", img) + d.must(t, "history", "--no-trunc", img)
	if strings.Contains(inspect, secret) {
		t.Fatal("the secret is in the image's inspect output or history")
	}
}

func TestBuildErrorsNameTheLineAndTheDaemonCarriesOn(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo fine\nNOTANINSTRUCTION foo\n"})
	r := d.dockerBuild(dir)
	if r.Code == 0 || !strings.Contains(r.Stderr, "Dockerfile:3") || !strings.Contains(r.Stderr, "unknown instruction: NOTANINSTRUCTION") {
		t.Fatalf("parse error: %s", r)
	}
	dir = buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo fine\nRUN exit 3\n"})
	r = d.dockerBuild(dir)
	if r.Code == 0 || !strings.Contains(r.Stderr, "Dockerfile:3: RUN exit 3: The command '/bin/sh -c exit 3' returned a non-zero code: 3") {
		t.Fatalf("failing RUN: %s", r)
	}
	dir = buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY missing.txt /\n"})
	r = d.dockerBuild(dir)
	if r.Code == 0 || !strings.Contains(r.Stderr, "Dockerfile:2: COPY missing.txt /") || !strings.Contains(r.Stderr, "file not found in build context") {
		t.Fatalf("missing COPY source: %s", r)
	}
	// The daemon still builds.
	dir = buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo still-works-" + uniqueName(t) + "\n"})
	mustBuild(t, d.dockerBuild("-q", dir))
}

func TestBuildDockerignoreStdinDockerfileAndIidfile(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	img := uniqueName(t)
	dir := buildContext(t, map[string]string{
		"Dockerfile":     "FROM busybox\nCOPY . /ctx/\nRUN ls -A /ctx | sort | tr '\\n' ' '\n",
		".dockerignore":  "*.secret\nnode_modules\n",
		"keep.txt":       "keep",
		"x.secret":       "no",
		"node_modules/m": "no",
	})
	r := mustBuild(t, d.dockerBuild("-t", img, dir))
	t.Cleanup(func() { d.docker("rmi", "-f", img) })
	if !strings.Contains(r.Stdout, ".dockerignore Dockerfile keep.txt  ---> Removed") {
		t.Fatalf("context seen by the build:\n%s", r.Stdout)
	}
	// -f - reads the Dockerfile from stdin; --iidfile gets the ID; -q prints it alone.
	iid := filepath.Join(t.TempDir(), "iid")
	rr := runCmd(strings.NewReader("FROM busybox\nRUN echo from-stdin > /s.txt\n"), d.berthEnv(), berthBin(),
		"build", "-q", "-f", "-", "--iidfile", iid, "-t", img+"-stdin", dir)
	if rr.Code != 0 {
		t.Fatalf("build -f -: %s", rr)
	}
	t.Cleanup(func() { d.docker("rmi", "-f", img+"-stdin") })
	id, _ := os.ReadFile(iid)
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).Match(id) || rr.Stdout != string(id)+"\n" {
		t.Fatalf("iidfile %q, stdout %q", id, rr.Stdout)
	}
	if out := d.must(t, "run", "--rm", img+"-stdin", "cat", "/s.txt"); out != "from-stdin\n" {
		t.Fatalf("stdin Dockerfile image = %q", out)
	}
}

func timeNowPlusHour() time.Time { return time.Now().Add(time.Hour) }

func TestBuildOnbuildAddTarChownAndScratch(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	base, img := uniqueName(t), uniqueName(t)
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nONBUILD RUN echo triggered > /onbuild.txt\nONBUILD COPY note.txt /note.txt\n",
		"note.txt":   "note",
	})
	mustBuild(t, d.dockerBuild("-t", base, dir))
	t.Cleanup(func() { d.docker("rmi", "-f", base) })
	if got := strings.TrimSpace(d.must(t, "image", "inspect", "-f", "{{json .Config.OnBuild}}", base)); got != `["RUN echo triggered \u003e /onbuild.txt","COPY note.txt /note.txt"]` && got != `["RUN echo triggered > /onbuild.txt","COPY note.txt /note.txt"]` {
		t.Fatalf("OnBuild = %s", got)
	}

	// FROM by digest; a tar to ADD (auto-extracted); COPY --chown by name.
	baseID := strings.TrimSpace(d.must(t, "image", "inspect", "-f", "{{.Id}}", base))
	var tarBuf bytes.Buffer
	tarBuf.Write(makeTar(t, []tarEntry{{Name: "pkg/", Dir: true}, {Name: "pkg/lib.txt", Body: "from tar"}}))
	child := buildContext(t, map[string]string{
		"Dockerfile": "FROM " + base + "@" + baseID + " AS child\nADD bundle.tar /opt/\nCOPY --chown=nobody:nogroup --chmod=0640 note.txt /owned.txt\n" +
			"FROM scratch AS bare\nCOPY --from=0 /opt/pkg/lib.txt /lib.txt\nFROM child\nCOPY --from=bare /lib.txt /from-scratch.txt\n",
		"note.txt":   "note",
		"bundle.tar": tarBuf.String(),
	})
	r := mustBuild(t, d.dockerBuild("-t", img, child))
	t.Cleanup(func() { d.docker("rmi", "-f", img) })
	if !strings.Contains(r.Stdout, "# Executing 2 build triggers") {
		t.Fatalf("no trigger line:\n%s", r.Stdout)
	}
	out := d.must(t, "run", "--rm", img, "sh", "-c", "cat /onbuild.txt /note.txt /opt/pkg/lib.txt /from-scratch.txt; echo; stat -c '%U:%G %a' /owned.txt")
	if out != "triggered\nnotefrom tarfrom tar\nnobody:nogroup 640\n" {
		t.Fatalf("child image = %q", out)
	}
	if got := strings.TrimSpace(d.must(t, "image", "inspect", "-f", "{{json .Config.OnBuild}}", img)); got != "null" && got != "[]" {
		t.Fatalf("triggers were inherited: %s", got)
	}
}

func TestBuildCancelledWhenTheClientGoesAway(t *testing.T) {
	d := startDaemon(t)
	d.busybox(t)
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo started; sleep 300\n"})
	cmd := exec.Command(dockerCLI, "build", dir)
	cmd.Env = append(d.dockerEnv(), "DOCKER_BUILDKIT=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	runtimeRoot := filepath.Join(d.execRoot, "runtime", filepath.Base(runtimeBin))
	running := func() int {
		ids, _ := exec.Command(runtimeBin, "--root", runtimeRoot, "list", "-q").Output()
		return len(strings.Fields(string(ids)))
	}
	waitFor(t, 30*time.Second, "the RUN container to start", func() bool { return running() == 1 })
	cmd.Process.Kill()
	cmd.Wait()
	waitFor(t, 30*time.Second, "the build container to be removed after the client left", func() bool { return running() == 0 })
	// The daemon carries on.
	dir = buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo after\n"})
	mustBuild(t, d.dockerBuild(dir))
}

// Two independent stages meet through a shared cache mount: each waits for
// the other's file, which only works if they run at the same time.
func TestBuildIndependentStagesRunInParallel(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	img := uniqueName(t)
	id := uniqueName(t)
	wait := func(mine, other string) string {
		return "RUN --mount=type=cache,id=" + id + ",target=/sync touch /sync/" + mine +
			" && for i in $(seq 1 300); do [ -e /sync/" + other + " ] && exit 0; sleep 0.1; done; echo never\" \"met; exit 1\n"
	}
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox AS left\n" + wait("left", "right") + "RUN echo l > /l\n" +
			"FROM busybox AS right\n" + wait("right", "left") + "RUN echo r > /r\n" +
			"FROM busybox\nCOPY --from=left /l /l\nCOPY --from=right /r /r\n",
	})
	r := mustBuild(t, d.berthBuild("--no-cache", "-t", img, dir))
	t.Cleanup(func() { d.docker("rmi", "-f", img) })
	if strings.Contains(r.Stdout, "never met") {
		t.Fatalf("stages did not run in parallel:\n%s", r.Stdout)
	}
	// Output stays in Dockerfile order: all of left before right.
	if strings.Index(r.Stdout, "RUN echo l") > strings.Index(r.Stdout, "FROM busybox AS right") {
		t.Fatalf("stage output interleaved:\n%s", r.Stdout)
	}
}

// Without buildx and without DOCKER_BUILDKIT, docker CLI 28 falls back to
// the classic API (with its deprecation notice) because berth's /_ping
// does not advertise Builder-Version 2.
func TestBuildDockerCLIWithoutSettings(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo plain-" + uniqueName(t) + "\n"})
	r := d.dk("build", dir)
	if r.Code != 0 || !strings.Contains(r.Stdout, "Successfully built") {
		t.Fatalf("docker build without DOCKER_BUILDKIT: %s", r)
	}
}

func TestBuildHeredocsAndRunNetworkNone(t *testing.T) {
	d := sharedDaemon(t)
	t.Parallel()
	img := uniqueName(t)
	dir := buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\n" +
			"RUN <<EOF\necho one > /one\nEOF\n" +
			"RUN <<'EOT'\n#!/bin/sh -e\necho \"shebang $0\" > /shebang\nEOT\n" +
			"RUN cat <<EOF > /redir\nredirected\nEOF\n" +
			"RUN --network=none grep -c : /proc/net/dev > /ifaces\n",
	})
	mustBuild(t, d.dockerBuild("-t", img, dir))
	t.Cleanup(func() { d.docker("rmi", "-f", img) })
	out := d.must(t, "run", "--rm", img, "cat", "/one", "/shebang", "/redir", "/ifaces")
	if out != "one\nshebang /dev/pipes/EOT\nredirected\n1\n" {
		t.Fatalf("heredoc results = %q", out)
	}
}
