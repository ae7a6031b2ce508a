package daemon

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	apicontainer "github.com/moby/moby/api/types/container"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func testImageConfig() dockerspec.DockerOCIImageConfig {
	return dockerspec.DockerOCIImageConfig{
		ImageConfig: ocispec.ImageConfig{
			User:       "nobody",
			Env:        []string{"PATH=/usr/bin:/bin", "LANG=C", "A=image"},
			Entrypoint: []string{"/entry.sh"},
			Cmd:        []string{"serve", "--port=80"},
			Volumes:    map[string]struct{}{"/data": {}},
			WorkingDir: "/srv",
			Labels:     map[string]string{"maintainer": "img", "shared": "img"},
			StopSignal: "SIGQUIT",
		},
		DockerOCIImageConfigExt: dockerspec.DockerOCIImageConfigExt{
			Healthcheck: &dockerspec.HealthcheckConfig{Test: []string{"CMD", "true"}, Interval: time.Second, Retries: 3},
			OnBuild:     []string{"RUN true"},
		},
	}
}

func TestMergeImageConfig(t *testing.T) {
	img := testImageConfig()
	imgHealth := &apicontainer.HealthConfig{Test: []string{"CMD", "true"}, Interval: time.Second, Retries: 3}
	userHealth := &apicontainer.HealthConfig{Test: []string{"NONE"}}
	allFromImage := apicontainer.Config{
		User: "nobody", Env: []string{"PATH=/usr/bin:/bin", "LANG=C", "A=image"},
		Entrypoint: []string{"/entry.sh"}, Cmd: []string{"serve", "--port=80"},
		Volumes: map[string]struct{}{"/data": {}}, WorkingDir: "/srv",
		Labels:     map[string]string{"maintainer": "img", "shared": "img"},
		StopSignal: "SIGQUIT", Healthcheck: imgHealth, // not the image's ONBUILD: builds take it, containers do not
	}
	with := func(f func(c *apicontainer.Config)) apicontainer.Config {
		c := allFromImage
		f(&c)
		return c
	}
	tests := []struct {
		name string
		user apicontainer.Config
		want apicontainer.Config
	}{
		{"empty request takes everything", apicontainer.Config{}, allFromImage},
		{"user cmd keeps image entrypoint",
			apicontainer.Config{Cmd: []string{"sh"}},
			with(func(c *apicontainer.Config) { c.Cmd = []string{"sh"} })},
		{"user entrypoint drops image cmd",
			apicontainer.Config{Entrypoint: []string{"/bin/sh"}},
			with(func(c *apicontainer.Config) { c.Entrypoint, c.Cmd = []string{"/bin/sh"}, nil })},
		{"user entrypoint and cmd",
			apicontainer.Config{Entrypoint: []string{"/bin/sh"}, Cmd: []string{"-c", "true"}},
			with(func(c *apicontainer.Config) { c.Entrypoint, c.Cmd = []string{"/bin/sh"}, []string{"-c", "true"} })},
		{"env merge keeps the user's value and order",
			apicontainer.Config{Env: []string{"A=user", "Z=1", "LANG"}},
			with(func(c *apicontainer.Config) { c.Env = []string{"A=user", "Z=1", "LANG", "PATH=/usr/bin:/bin"} })},
		{"labels merged, user wins",
			apicontainer.Config{Labels: map[string]string{"shared": "user", "own": "1"}},
			with(func(c *apicontainer.Config) {
				c.Labels = map[string]string{"maintainer": "img", "shared": "user", "own": "1"}
			})},
		{"user scalars kept",
			apicontainer.Config{User: "1000:1000", WorkingDir: "/work", StopSignal: "SIGINT"},
			with(func(c *apicontainer.Config) { c.User, c.WorkingDir, c.StopSignal = "1000:1000", "/work", "SIGINT" })},
		{"user healthcheck kept",
			apicontainer.Config{Healthcheck: userHealth},
			with(func(c *apicontainer.Config) { c.Healthcheck = userHealth })},
		{"user onbuild kept",
			apicontainer.Config{OnBuild: []string{"RUN false"}},
			with(func(c *apicontainer.Config) { c.OnBuild = []string{"RUN false"} })},
		{"request-only fields untouched",
			apicontainer.Config{Image: "busybox", Hostname: "h", Tty: true, OpenStdin: true},
			with(func(c *apicontainer.Config) { c.Image, c.Hostname, c.Tty, c.OpenStdin = "busybox", "h", true, true })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.user
			mergeImageConfig(&cfg, img)
			if !reflect.DeepEqual(cfg, tt.want) {
				t.Errorf("merged:\n got %+v\nwant %+v", cfg, tt.want)
			}
		})
	}
}

func TestMergeImageConfigDoesNotAliasImage(t *testing.T) {
	img := testImageConfig()
	var cfg apicontainer.Config
	mergeImageConfig(&cfg, img)
	cfg.Labels["new"] = "x"
	cfg.Volumes["/other"] = struct{}{}
	cfg.Healthcheck.Retries = 99
	if _, ok := img.Labels["new"]; ok {
		t.Error("container labels share the image's map")
	}
	if _, ok := img.Volumes["/other"]; ok {
		t.Error("container volumes share the image's map")
	}
	if img.Healthcheck.Retries != 3 {
		t.Error("container healthcheck shares the image's")
	}
}

func TestMergeImageConfigBareImage(t *testing.T) {
	cfg := apicontainer.Config{Cmd: []string{"true"}}
	mergeImageConfig(&cfg, dockerspec.DockerOCIImageConfig{})
	want := apicontainer.Config{Cmd: []string{"true"}}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("merge with an empty image changed the config: %+v", cfg)
	}
}

// Docker's merge (daemon/commit.go) keeps an explicitly empty, non-nil
// Entrypoint: the image's entrypoint is not applied.
func TestMergeImageConfigExplicitEmptyEntrypoint(t *testing.T) {
	cfg := apicontainer.Config{Entrypoint: []string{}}
	mergeImageConfig(&cfg, testImageConfig())
	if len(cfg.Entrypoint) != 0 {
		t.Errorf("Entrypoint = %v, want empty", cfg.Entrypoint)
	}
	if !reflect.DeepEqual(cfg.Cmd, []string{"serve", "--port=80"}) {
		t.Errorf("Cmd = %v, want the image's", cfg.Cmd)
	}
}

func TestValidateHostConfig(t *testing.T) {
	tests := []struct {
		name    string
		hc      apicontainer.HostConfig
		kind    errdefs.Kind
		wantErr string
		check   func(t *testing.T, hc apicontainer.HostConfig)
	}{
		{name: "defaults filled", hc: apicontainer.HostConfig{}, check: func(t *testing.T, hc apicontainer.HostConfig) {
			if hc.RestartPolicy.Name != "no" || hc.LogConfig.Type != "json-file" {
				t.Errorf("defaults: restart %q log %q", hc.RestartPolicy.Name, hc.LogConfig.Type)
			}
		}},
		{name: "restart no", hc: apicontainer.HostConfig{RestartPolicy: apicontainer.RestartPolicy{Name: "no"}}},
		{name: "restart always", hc: apicontainer.HostConfig{RestartPolicy: apicontainer.RestartPolicy{Name: "always"}}},
		{name: "restart unless-stopped", hc: apicontainer.HostConfig{RestartPolicy: apicontainer.RestartPolicy{Name: "unless-stopped"}}},
		{name: "restart on-failure with retries", hc: apicontainer.HostConfig{RestartPolicy: apicontainer.RestartPolicy{Name: "on-failure", MaximumRetryCount: 5}},
			check: func(t *testing.T, hc apicontainer.HostConfig) {
				if hc.RestartPolicy.MaximumRetryCount != 5 {
					t.Errorf("retries = %d", hc.RestartPolicy.MaximumRetryCount)
				}
			}},
		{name: "retries with no", hc: apicontainer.HostConfig{RestartPolicy: apicontainer.RestartPolicy{Name: "no", MaximumRetryCount: 1}},
			kind: errdefs.KindInvalid, wantErr: "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
		{name: "retries with empty policy", hc: apicontainer.HostConfig{RestartPolicy: apicontainer.RestartPolicy{MaximumRetryCount: 1}},
			kind: errdefs.KindInvalid, wantErr: "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
		{name: "retries with always", hc: apicontainer.HostConfig{RestartPolicy: apicontainer.RestartPolicy{Name: "always", MaximumRetryCount: 2}},
			kind: errdefs.KindInvalid, wantErr: "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
		{name: "retries with unless-stopped", hc: apicontainer.HostConfig{RestartPolicy: apicontainer.RestartPolicy{Name: "unless-stopped", MaximumRetryCount: 2}},
			kind: errdefs.KindInvalid, wantErr: "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
		{name: "negative retries", hc: apicontainer.HostConfig{RestartPolicy: apicontainer.RestartPolicy{Name: "on-failure", MaximumRetryCount: -1}},
			kind: errdefs.KindInvalid, wantErr: "invalid restart policy: maximum retry count cannot be negative"},
		{name: "unknown policy", hc: apicontainer.HostConfig{RestartPolicy: apicontainer.RestartPolicy{Name: "sometimes"}},
			kind: errdefs.KindInvalid, wantErr: "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"},

		{name: "autoremove without restart", hc: apicontainer.HostConfig{AutoRemove: true}},
		{name: "autoremove with restart no", hc: apicontainer.HostConfig{AutoRemove: true, RestartPolicy: apicontainer.RestartPolicy{Name: "no"}}},
		{name: "autoremove with always", hc: apicontainer.HostConfig{AutoRemove: true, RestartPolicy: apicontainer.RestartPolicy{Name: "always"}},
			kind: errdefs.KindInvalid, wantErr: "can't create 'AutoRemove' container with restart policy"},
		{name: "autoremove with on-failure", hc: apicontainer.HostConfig{AutoRemove: true, RestartPolicy: apicontainer.RestartPolicy{Name: "on-failure"}},
			kind: errdefs.KindInvalid, wantErr: "can't create 'AutoRemove' container with restart policy"},

		{name: "json-file opts", hc: apicontainer.HostConfig{LogConfig: apicontainer.LogConfig{Type: "json-file",
			Config: map[string]string{"max-size": "10m", "max-file": "3", "compress": "true", "labels": "a", "tag": "x"}}}},
		{name: "json-file opts with default type", hc: apicontainer.HostConfig{LogConfig: apicontainer.LogConfig{
			Config: map[string]string{"max-size": "1k"}}}, check: func(t *testing.T, hc apicontainer.HostConfig) {
			if hc.LogConfig.Type != "json-file" {
				t.Errorf("log type = %q", hc.LogConfig.Type)
			}
		}},
		{name: "bad max-size", hc: apicontainer.HostConfig{LogConfig: apicontainer.LogConfig{Config: map[string]string{"max-size": "lots"}}},
			kind: errdefs.KindInvalid, wantErr: `failed to initialize logging driver: invalid size: 'lots'`},
		{name: "zero max-file", hc: apicontainer.HostConfig{LogConfig: apicontainer.LogConfig{Config: map[string]string{"max-file": "0"}}},
			kind: errdefs.KindInvalid, wantErr: `failed to initialize logging driver: max-file cannot be less than 1`},
		{name: "non-numeric max-file", hc: apicontainer.HostConfig{LogConfig: apicontainer.LogConfig{Config: map[string]string{"max-file": "three"}}},
			kind: errdefs.KindInvalid, wantErr: `failed to initialize logging driver: strconv.Atoi: parsing "three": invalid syntax`},
		{name: "unknown log opt", hc: apicontainer.HostConfig{LogConfig: apicontainer.LogConfig{Type: "json-file", Config: map[string]string{"mode": "blocking"}}},
			kind: errdefs.KindInvalid, wantErr: "unknown log opt 'mode' for json-file log driver"},
		{name: "none driver", hc: apicontainer.HostConfig{LogConfig: apicontainer.LogConfig{Type: "none"}}, check: func(t *testing.T, hc apicontainer.HostConfig) {
			if hc.LogConfig.Type != "none" {
				t.Errorf("log type = %q", hc.LogConfig.Type)
			}
		}},
		{name: "unknown driver", hc: apicontainer.HostConfig{LogConfig: apicontainer.LogConfig{Type: "syslog"}},
			kind: errdefs.KindInvalid, wantErr: "failed to create task for container: logger: no log driver named 'syslog' is registered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := tt.hc
			err := validateHostConfig(&hc)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("validateHostConfig: %v", err)
				}
				if tt.check != nil {
					tt.check(t, hc)
				}
				return
			}
			if err == nil {
				t.Fatalf("validateHostConfig succeeded, want %q", tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want prefix %q", err, tt.wantErr)
			}
			if errdefs.KindOf(err) != tt.kind {
				t.Errorf("kind = %v, want %v", errdefs.KindOf(err), tt.kind)
			}
		})
	}
}

func TestContainerResolvConfDropsLoopback(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(path, []byte("search example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n"), 0o644)
	if got, want := containerResolvConf(path), "search example.org\nnameserver 10.0.0.2\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	os.WriteFile(path, []byte("nameserver 127.0.0.53\n"), 0o644)
	if got, want := containerResolvConf(path), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"; got != want {
		t.Errorf("only loopback: got %q, want %q", got, want)
	}
}

func TestContainerResolvConf(t *testing.T) {
	got := containerResolvConf("/etc/resolv.conf")
	if !strings.HasSuffix(got, "\n") {
		t.Errorf("not newline-terminated: %q", got)
	}
	servers := 0
	for _, line := range strings.Split(got, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			servers++
			if strings.HasPrefix(f[1], "127.") || f[1] == "::1" {
				t.Errorf("loopback nameserver kept: %q", line)
			}
		}
	}
	if servers == 0 {
		t.Errorf("no nameserver at all:\n%s", got)
	}
	host, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		if !strings.Contains(got, "nameserver 8.8.8.8\n") {
			t.Errorf("no host resolv.conf and no fallback:\n%s", got)
		}
		return
	}
	// Every non-loopback line of the host's file is kept.
	for _, line := range strings.Split(string(host), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" && (strings.HasPrefix(f[1], "127.") || f[1] == "::1") {
			continue
		}
		if strings.TrimSpace(line) != "" && !strings.Contains(got, line+"\n") {
			t.Errorf("host line %q dropped", line)
		}
	}
}
