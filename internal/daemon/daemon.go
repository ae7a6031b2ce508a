// Package daemon is the engine: it owns the stores, drives the OCI runtime
// through per-container shims, and implements api.Backend.
package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/distribution"
	"github.com/berth-dev/berth/internal/events"
	"github.com/berth-dev/berth/internal/image"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/snapshot"
	"github.com/berth-dev/berth/internal/volume"
	"golang.org/x/sys/unix"
)

// Config is where things live and how the daemon behaves. Every path is a
// flag so that tests (and several daemons) can use their own.
type Config struct {
	DataRoot  string
	ExecRoot  string
	Pidfile   string
	Runtime   string // "runc", "crun" or "" (detect)
	ShimPath  string // "" = berth-shim next to the running binary
	LogOpts   map[string]string
	Version   string
	Logger    *slog.Logger
	StartedAt time.Time
	Registry  distribution.Options // registry client: insecure registries, certs.d dirs
	// Networking: the default bridge's device and subnet, and berth's
	// nftables table (several daemons side by side use their own).
	Bridge, BIP, NftTable string
	// CgroupParent is the cgroup containers go under when they name none
	// (--cgroup-parent); "" is /berth.
	CgroupParent string
}

// Default log rotation: on, unlike Docker (moby#27957).
const (
	defaultLogMaxSize = "10m"
	defaultLogMaxFile = "3"
)

// Daemon implements api.Backend.
type Daemon struct {
	cfg        Config
	initLayer  string // the read-only layer over every container's image (init_layer.go)
	log        *slog.Logger
	lock       *os.File
	rt         *runtime.Runtime
	snaps      *snapshot.Store
	images     *image.Store
	containers *container.Store
	volumes    *volume.Store
	volRefs    volumeRefs
	events     *events.Bus
	shimPath   string
	registry   *distribution.Client
	nets       *netManager

	// The runtime's `--version`, read once for /version.
	rtVersionOnce       sync.Once
	rtVersion, rtCommit string

	mu       sync.Mutex
	waiters  map[string][]*waiter // container ID -> wait requests
	execs    map[string]*execSession
	attaches map[string][]*pendingAttach // attach requests made before start
	backoff  map[string]time.Duration    // restart back-off per container
	runtimes map[string]*runtime.Runtime // by name, besides the default rt
	// seccompBPF hands crun the program it compiled for an earlier
	// container with the same seccomp profile (see runtime.SeccompCache).
	seccompBPF runtime.SeccompCache

	builds         buildState     // the image builder, opened on first use (build.go)
	healthMonitors healthMonitors // HEALTHCHECK probe loops (health.go)

	// ctx is cancelled on shutdown; monitors stop watching (the shims and
	// containers keep running).
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New opens (or creates) the roots, takes the data-root lock, loads every
// record and adopts the containers whose shims are still alive.
func New(cfg Config) (*Daemon, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.StartedAt.IsZero() {
		cfg.StartedAt = time.Now()
	}
	for _, dir := range []string{cfg.DataRoot, cfg.ExecRoot} {
		if err := os.MkdirAll(dir, 0o711); err != nil {
			return nil, err
		}
	}
	lock, err := lockRoot(cfg.DataRoot)
	if err != nil {
		return nil, err
	}
	d := &Daemon{cfg: cfg, log: cfg.Logger, lock: lock, events: events.New(),
		waiters: map[string][]*waiter{}, execs: map[string]*execSession{}, attaches: map[string][]*pendingAttach{}}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	// Processes the runtime starts detached (exec -d, TTY execs) are
	// re-parented to us when it exits, so we can wait for them.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("become child subreaper: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			lock.Close()
		}
	}()
	if cfg.Pidfile != "" {
		if err := os.WriteFile(cfg.Pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("write pid file: %w", err)
		}
	}
	d.shimPath = cfg.ShimPath
	if d.shimPath == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		d.shimPath = filepath.Join(filepath.Dir(exe), "berth-shim")
	}
	if _, err := os.Stat(d.shimPath); err != nil {
		return nil, fmt.Errorf("berth-shim not found next to berth (%s): build with `go build -o DIR ./cmd/...`", d.shimPath)
	}
	name := cfg.Runtime
	if name == "" {
		name = runtime.Detect()
	}
	if d.rt, err = runtime.New(name, filepath.Join(cfg.ExecRoot, "runtime", name)); err != nil {
		return nil, err
	}
	if d.snaps, err = snapshot.New(filepath.Join(cfg.DataRoot, "snapshots")); err != nil {
		return nil, err
	}
	if d.initLayer, err = makeInitLayer(filepath.Join(cfg.DataRoot, "init-layer")); err != nil {
		return nil, err
	}
	d.registry = distribution.New(cfg.Registry)
	if d.images, err = image.New(cfg.DataRoot, d.snaps); err != nil {
		return nil, err
	}
	// A crash between storing an image's layers and writing its record
	// leaves blobs and snapshots nothing names (or ever deletes). The
	// build cache keeps layers of its own: it must be open to be asked.
	sweep := true
	if _, err := os.Stat(filepath.Join(cfg.DataRoot, "builder", "index.json")); err == nil {
		if _, err := d.builder(); err != nil {
			d.log.Warn("build cache unreadable; not sweeping unreferenced image data", "err", err)
			sweep = false
		}
	}
	if sweep {
		if n := d.images.SweepUnreferenced(); n > 0 {
			d.log.Info("removed image data no image references (an interrupted write)", "objects", n)
		}
	}
	var bad []error
	if d.containers, bad, err = container.NewStore(filepath.Join(cfg.DataRoot, "containers")); err != nil {
		return nil, err
	}
	for _, e := range bad {
		d.log.Warn("skipping unreadable container record", "err", e)
	}
	if err := os.MkdirAll(filepath.Join(cfg.ExecRoot, "containers"), 0o711); err != nil {
		return nil, err
	}
	// Exec's scratch files (process.json, the runtime's log, pid files):
	// under the exec root, so a daemon killed mid-exec leaves nothing in
	// /tmp, and what it left is wiped here (nothing reads them once the
	// exec started).
	os.RemoveAll(d.execScratch())
	if err := os.MkdirAll(d.execScratch(), 0o700); err != nil {
		return nil, err
	}
	if d.volumes, err = volume.New(filepath.Join(cfg.DataRoot, "volumes")); err != nil {
		return nil, err
	}
	d.volRefs.n = map[string]int{}
	d.countVolumeRefs()
	if err := d.initNetworks(); err != nil {
		return nil, err
	}
	d.reconcile()
	d.finishNetworkReconcile()
	ok = true
	return d, nil
}

// lockRoot takes an exclusive flock on DATA_ROOT/berth.lock so that a second
// daemon on the same root refuses instead of corrupting state.
func lockRoot(root string) (*os.File, error) {
	path := filepath.Join(root, "berth.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(path)
		f.Close()
		holder := strings.TrimSpace(string(pid))
		if holder == "" {
			holder = "unknown"
		}
		return nil, fmt.Errorf("another berth daemon (pid %s) is already using data root %s", holder, root)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
	return f, nil
}

// Shutdown stops watching containers and releases the root. Containers and
// their shims keep running; the next daemon adopts them.
func (d *Daemon) Shutdown() {
	d.cancel()
	d.stopAllHealth()
	d.wg.Wait()
	d.shutdownNetworks()
	if d.cfg.Pidfile != "" {
		os.Remove(d.cfg.Pidfile)
	}
	// The cgroup parent of our containers: removing it only succeeds when
	// no container (of this or another daemon) is left in it.
	parent := "berth"
	if d.cfg.CgroupParent != "" {
		parent = strings.TrimPrefix(path.Clean("/"+d.cfg.CgroupParent), "/")
	}
	if dirs, err := filepath.Glob(filepath.Join("/sys/fs/cgroup/*", parent)); err == nil {
		for _, dir := range append(dirs, filepath.Join("/sys/fs/cgroup", parent)) {
			os.Remove(dir)
		}
	}
	d.lock.Close()
}

// runtimeFor is the OCI runtime the container was created with: a record
// keeps its runtime's name, so a daemon restarted with another default
// (or after crun became usable) still manages its running containers.
func (d *Daemon) runtimeFor(c *container.Container) *runtime.Runtime {
	name := c.HostConfig.Runtime
	if name == "" {
		// A record from before runtimes were recorded: the runtime that
		// holds the container's state is the one that runs it.
		name = d.rt.Name
		for _, n := range []string{"runc", "crun"} {
			if _, err := os.Stat(filepath.Join(d.cfg.ExecRoot, "runtime", n, c.ID)); err == nil {
				name = n
			}
		}
	}
	if name == d.rt.Name {
		return d.rt
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if rt, ok := d.runtimes[name]; ok {
		return rt
	}
	rt, err := runtime.New(name, filepath.Join(d.cfg.ExecRoot, "runtime", name))
	if err != nil {
		d.log.Warn("container's runtime is not available; using the default", "id", c.ID, "runtime", name, "err", err)
		return d.rt
	}
	if d.runtimes == nil {
		d.runtimes = map[string]*runtime.Runtime{}
	}
	d.runtimes[name] = rt
	return rt
}

// bundleDir is the container's directory under the exec root (bundle, shim
// socket, pid and exit files).
func (d *Daemon) bundleDir(id string) string {
	return filepath.Join(d.cfg.ExecRoot, "containers", id)
}
