package image

import (
	"reflect"
	"strings"
	"testing"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestApplyChanges(t *testing.T) {
	cfg := dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{
		Env: []string{"PATH=/bin", "BASE=/srv"}, Cmd: []string{"sh"}, WorkingDir: "/app",
	}}
	err := ApplyChanges(&cfg, []string{
		`ENV A=1 B="two words"`,
		`WORKDIR $BASE/data`,
		`EXPOSE 8080 53/udp`,
		`LABEL k=v`,
		`HEALTHCHECK --interval=5s CMD wget -q localhost`,
		`ENTRYPOINT ["/bin/app"]`,
		`USER 1000:1000`,
		`STOPSIGNAL SIGINT`,
		`VOLUME /data`,
		`ONBUILD RUN echo hi`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Env, []string{"PATH=/bin", "BASE=/srv", "A=1", "B=two words"}) {
		t.Errorf("Env %q", cfg.Env)
	}
	if cfg.WorkingDir != "/srv/data" {
		t.Errorf("WorkingDir %q (the config's Env expands)", cfg.WorkingDir)
	}
	if _, ok := cfg.ExposedPorts["53/udp"]; !ok || len(cfg.ExposedPorts) != 2 {
		t.Errorf("ExposedPorts %v", cfg.ExposedPorts)
	}
	if h := cfg.Healthcheck; h == nil || h.Interval != 5*time.Second || strings.Join(h.Test, " ") != "CMD-SHELL wget -q localhost" {
		t.Errorf("Healthcheck %+v", h)
	}
	// An ENTRYPOINT drops the CMD the image had, as in a build.
	if !reflect.DeepEqual(cfg.Entrypoint, []string{"/bin/app"}) || cfg.Cmd != nil {
		t.Errorf("Entrypoint %q Cmd %q", cfg.Entrypoint, cfg.Cmd)
	}
	if cfg.User != "1000:1000" || cfg.StopSignal != "SIGINT" || cfg.Labels["k"] != "v" || len(cfg.Volumes) != 1 || len(cfg.OnBuild) != 1 {
		t.Errorf("config %+v", cfg)
	}
}

func TestApplyChangesRefusesAndChangesNothing(t *testing.T) {
	for change, want := range map[string]string{
		"BOGUS x":         "bogus is not a valid change command",
		"RUN echo hi":     "run is not a valid change command",
		"FROM busybox":    "from is not a valid change command",
		"EXPOSE 99999":    "invalid containerPort: 99999",
		"ENV":             "ENV",
		"STOPSIGNAL !bad": "invalid signal",
	} {
		cfg := dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{Env: []string{"A=1"}, Labels: map[string]string{"k": "v"}}}
		err := ApplyChanges(&cfg, []string{"ENV B=2", "LABEL k=changed", change})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", change, err, want)
		}
		if len(cfg.Env) != 1 || cfg.Labels["k"] != "v" {
			t.Errorf("%q changed the config: %+v", change, cfg)
		}
	}
}
