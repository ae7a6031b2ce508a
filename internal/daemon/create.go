package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/docker/go-units"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"
)

// ContainerCreate records a new container: the image's config merged under
// the request's, its name reserved, its rw layer and /etc files prepared, so
// that start has as little as possible left to do.
func (d *Daemon) ContainerCreate(ctx context.Context, name string, req *apicontainer.CreateRequest) (apicontainer.CreateResponse, error) {
	resp := apicontainer.CreateResponse{Warnings: []string{}}
	if req == nil || req.Config == nil {
		return resp, errdefs.Invalid("config cannot be empty in order to create a container")
	}
	cfg := *req.Config
	hc := req.HostConfig
	if hc == nil {
		hc = &apicontainer.HostConfig{}
	}
	if cfg.Image == "" {
		return resp, errdefs.Invalid("no image specified")
	}
	img, err := d.images.Resolve(cfg.Image)
	if err != nil {
		return resp, err
	}
	if err := d.resolveNetworkMode(hc); err != nil {
		return resp, err
	}
	if err := validateNetworkModeConflicts(&cfg, hc); err != nil {
		return resp, err
	}
	if err := validateHostConfig(hc); err != nil {
		return resp, err
	}
	if err := d.checkStartable(&cfg, hc); err != nil {
		return resp, err
	}
	switch hc.Runtime {
	case "":
		hc.Runtime = d.rt.Name
	case "runc", "crun":
		if _, err := runtime.New(hc.Runtime, ""); err != nil {
			return resp, errdefs.Invalid("unknown or invalid runtime name: %s", hc.Runtime)
		}
	default:
		return resp, errdefs.Invalid("unknown or invalid runtime name: %s", hc.Runtime)
	}
	// A weight the host cannot apply is dropped with a warning before the
	// range check, as dockerd does.
	if w := dropUnsupportedBlkioWeight(hc); w != "" {
		resp.Warnings = append(resp.Warnings, w)
	}
	if err := validateResources(&hc.Resources, hc.OomScoreAdj, hc.ShmSize, false); err != nil {
		return resp, err
	}
	recordDefaults(hc)
	if hc.NetworkMode.IsHost() && len(hc.PortBindings) > 0 {
		resp.Warnings = append(resp.Warnings, "Published ports are discarded when using host network mode")
	}
	mergeImageConfig(&cfg, img.Config.Config)
	mountPoints, err := d.resolveMounts(&cfg, hc)
	if err != nil {
		return resp, err
	}
	defer func() {
		if resp.ID == "" { // not created: its anonymous volumes go too
			d.removeAnonymousVolumes(mountPoints)
		}
	}()
	if len(cfg.Entrypoint) == 0 && len(cfg.Cmd) == 0 {
		return resp, errdefs.Invalid("no command specified")
	}
	if name == "" {
		name = d.generateName()
	} else if err := container.ValidateName(name); err != nil {
		return resp, err
	}
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	id := newID()
	if cfg.Hostname == "" {
		if hc.NetworkMode == "host" {
			cfg.Hostname, _ = os.Hostname()
		} else {
			cfg.Hostname = id[:12]
		}
	}
	argv := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	c := &container.Container{
		ID:         id,
		Name:       name,
		Created:    time.Now().UTC(),
		Path:       argv[0],
		Args:       argv[1:],
		Config:     &cfg,
		HostConfig: hc,
		ImageID:    img.ID.String(),

		MountPoints: mountPoints,
	}
	if err := d.containers.Add(c); err != nil {
		return resp, err
	}
	if err := d.prepareContainerDir(c); err != nil {
		d.containers.Delete(c)
		return resp, err
	}
	if err := d.attachAtCreate(c, req.NetworkingConfig); err != nil {
		d.detachAll(c)
		d.containers.Delete(c)
		return resp, err
	}
	c.Mu.Lock()
	err = d.containers.Save(c)
	c.Mu.Unlock()
	if err != nil {
		d.containers.Delete(c)
		return resp, err
	}
	d.containerEvent(c, events.ActionCreate, nil)
	resp.ID = id
	return resp, nil
}

// prepareContainerDir makes the rw layer directories and the per-container
// hostname, hosts and resolv.conf files that start bind-mounts.
func (d *Daemon) prepareContainerDir(c *container.Container) error {
	dir := d.containers.Dir(c.ID)
	for _, sub := range []string{"rw/upper", "rw/work"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	c.LogPath = filepath.Join(dir, c.ID+"-json.log")
	c.HostnamePath = filepath.Join(dir, "hostname")
	c.HostsPath = filepath.Join(dir, "hosts")
	c.ResolvConfPath = filepath.Join(dir, "resolv.conf")
	if c.HostConfig.LogConfig.Type == "none" {
		c.LogPath = ""
	}
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
	resolv := containerResolvConf("/etc/resolv.conf")
	if c.HostConfig.NetworkMode == "host" {
		if b, err := os.ReadFile("/etc/hosts"); err == nil {
			hosts = string(b)
		}
		if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
			resolv = string(b)
		}
	}
	for path, content := range map[string]string{
		c.HostnamePath:   c.Config.Hostname + "\n",
		c.HostsPath:      hosts,
		c.ResolvConfPath: resolv,
	} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// containerResolvConf is the host's resolv.conf without loopback
// nameservers (unreachable from a container's own network namespace),
// falling back to public resolvers as Docker does.
func containerResolvConf(hostPath string) string {
	b, err := os.ReadFile(hostPath)
	if err != nil {
		return "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
	}
	var out []string
	servers := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			if strings.HasPrefix(f[1], "127.") || f[1] == "::1" {
				continue
			}
			servers++
		}
		out = append(out, line)
	}
	s := strings.TrimSpace(strings.Join(out, "\n"))
	if s != "" {
		s += "\n"
	}
	if servers == 0 {
		s += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
	}
	return s
}

// mergeImageConfig fills what the request left empty from the image, the
// way Docker's create does.
func mergeImageConfig(cfg *apicontainer.Config, img dockerspec.DockerOCIImageConfig) {
	if cfg.User == "" {
		cfg.User = img.User
	}
	// Docker's rules: an empty entrypoint takes the image's CMD when it
	// has none; only a nil one takes the image's ENTRYPOINT. The docker
	// CLI sends [""] for --entrypoint "", which then means none at all.
	if len(cfg.Entrypoint) == 0 {
		if len(cfg.Cmd) == 0 {
			cfg.Cmd = img.Cmd
		}
		if cfg.Entrypoint == nil {
			cfg.Entrypoint = img.Entrypoint
		}
	}
	if len(cfg.Entrypoint) == 1 && cfg.Entrypoint[0] == "" {
		cfg.Entrypoint = nil
	}
	if cfg.WorkingDir == "" {
		cfg.WorkingDir = img.WorkingDir
	}
	if cfg.StopSignal == "" {
		cfg.StopSignal = img.StopSignal
	}
	have := map[string]bool{}
	for _, e := range cfg.Env {
		k, _, _ := strings.Cut(e, "=")
		have[k] = true
	}
	for _, e := range img.Env {
		k, _, _ := strings.Cut(e, "=")
		if !have[k] {
			cfg.Env = append(cfg.Env, e)
		}
	}
	if len(img.Labels) > 0 {
		labels := map[string]string{}
		for k, v := range img.Labels {
			labels[k] = v
		}
		for k, v := range cfg.Labels {
			labels[k] = v
		}
		cfg.Labels = labels
	}
	if cfg.Healthcheck == nil && img.Healthcheck != nil {
		hc := *img.Healthcheck
		cfg.Healthcheck = &apicontainer.HealthConfig{Test: hc.Test, Interval: hc.Interval, Timeout: hc.Timeout, StartPeriod: hc.StartPeriod, StartInterval: hc.StartInterval, Retries: hc.Retries}
	}
	// ONBUILD triggers are for builds FROM the image: a container does not
	// take them (as Docker), so neither does an image committed from it.
	if len(img.Volumes) > 0 {
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for k := range img.Volumes {
			cfg.Volumes[k] = struct{}{}
		}
	}
	if len(img.ExposedPorts) > 0 {
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = network.PortSet{}
		}
		for k := range img.ExposedPorts {
			if p, err := network.ParsePort(k); err == nil {
				cfg.ExposedPorts[p] = struct{}{}
			}
		}
	}
}

// validateHostConfig refuses what Docker refuses, with its messages, and
// fills defaults.
func validateHostConfig(hc *apicontainer.HostConfig) error {
	rp := hc.RestartPolicy
	switch rp.Name {
	case "", "no":
		hc.RestartPolicy.Name = "no"
		if rp.MaximumRetryCount != 0 {
			return errdefs.Invalid("invalid restart policy: maximum retry count can only be used with 'on-failure'")
		}
	case "always", "unless-stopped":
		if rp.MaximumRetryCount != 0 {
			return errdefs.Invalid("invalid restart policy: maximum retry count can only be used with 'on-failure'")
		}
	case "on-failure":
		if rp.MaximumRetryCount < 0 {
			return errdefs.Invalid("invalid restart policy: maximum retry count cannot be negative")
		}
	default:
		return errdefs.Invalid("invalid restart policy: unknown policy '%s'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'", rp.Name)
	}
	if hc.AutoRemove && hc.RestartPolicy.Name != "no" {
		return errdefs.Invalid("can't create 'AutoRemove' container with restart policy")
	}
	switch hc.LogConfig.Type {
	case "", "json-file":
		hc.LogConfig.Type = "json-file"
		for k, v := range hc.LogConfig.Config {
			switch k {
			case "max-size":
				if _, err := units.RAMInBytes(v); err != nil {
					return errdefs.Invalid("failed to initialize logging driver: %v", err)
				}
			case "max-file":
				n, err := strconv.Atoi(v)
				if err != nil {
					return errdefs.Invalid("failed to initialize logging driver: %v", err)
				}
				if n < 1 {
					return errdefs.Invalid("failed to initialize logging driver: max-file cannot be less than 1")
				}
			case "compress":
				if _, err := strconv.ParseBool(v); err != nil {
					return errdefs.Invalid("failed to initialize logging driver: %v", err)
				}
			case "labels", "labels-regex", "env", "env-regex", "tag":
			default:
				return errdefs.Invalid("unknown log opt '%s' for json-file log driver", k)
			}
		}
	case "none":
	default:
		return errdefs.Invalid("failed to create task for container: logger: no log driver named '%s' is registered", hc.LogConfig.Type)
	}
	return nil
}

func newID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// recordDefaults writes into the record the defaults dockerd writes at
// create, so that inspect shows what the container runs with: the /dev/shm
// size, a private IPC namespace, the host's default cgroupns mode, null for
// "no pids limit" and "the kernel's swappiness", and the masked and
// read-only /proc paths of an unprivileged container.
func recordDefaults(hc *apicontainer.HostConfig) {
	if hc.ShmSize == 0 {
		hc.ShmSize = runtime.DefaultShmSize
	}
	if hc.IpcMode == "" {
		hc.IpcMode = apicontainer.IPCModePrivate
	}
	if hc.CgroupnsMode == "" {
		hc.CgroupnsMode = runtime.DefaultCgroupnsMode()
	}
	// No pids limit and the kernel's swappiness are null.
	if hc.PidsLimit != nil && *hc.PidsLimit <= 0 {
		hc.PidsLimit = nil
	}
	if hc.MemorySwappiness != nil && *hc.MemorySwappiness == -1 {
		hc.MemorySwappiness = nil
	}
	if !hc.Privileged {
		if hc.MaskedPaths == nil {
			hc.MaskedPaths = runtime.MaskedPaths()
		}
		if hc.ReadonlyPaths == nil {
			hc.ReadonlyPaths = runtime.ReadonlyPaths()
		}
	}
}
