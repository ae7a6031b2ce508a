package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/api"
	"github.com/berth-dev/berth/internal/daemon"
	"github.com/spf13/cobra"
)

type daemonOptions struct {
	hosts    []string
	dataRoot string
	execRoot string
	pidfile  string
	runtime  string
	logLevel string
	debug    bool
	logOpts  []string
	group    string
	registry registryFlags
	metrics  string
	cgParent string
	bridge   string
	bip      string
	nftTable string
}

// newDaemonCommand is `berth daemon`, taking dockerd's flags for where
// things live.
func newDaemonCommand() *cobra.Command {
	o := &daemonOptions{}
	cmd := &cobra.Command{
		Use:   "daemon [OPTIONS]",
		Short: "Run the berth engine (serves the Docker Engine API)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDaemon(o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.hosts, "host", "H", nil, "Daemon socket to listen on (unix://PATH)")
	f.StringVar(&o.dataRoot, "data-root", "/var/lib/berth", "Root directory of persistent state")
	f.StringVar(&o.execRoot, "exec-root", "/run/berth", "Root directory for execution state files")
	f.StringVarP(&o.pidfile, "pidfile", "p", "", "Path to use for the daemon PID file (default EXEC_ROOT/berth.pid)")
	f.StringVar(&o.runtime, "runtime", "", "OCI runtime: runc or crun (default: crun where it works on this host, else runc)")
	f.StringVarP(&o.logLevel, "log-level", "l", "info", `Set the logging level ("debug", "info", "warn", "error")`)
	f.BoolVarP(&o.debug, "debug", "D", false, "Enable debug mode")
	f.StringArrayVar(&o.logOpts, "log-opt", nil, "Default log driver options for containers (max-size, max-file)")
	f.StringVarP(&o.group, "group", "G", "", "Group for the unix socket (default: root only, mode 0660)")
	o.registry.add(f)
	f.StringVar(&o.metrics, "metrics-addr", "", "Set default address and port to serve the metrics api on")
	f.StringVar(&o.cgParent, "cgroup-parent", "", "Set parent cgroup for all containers (default /berth)")
	f.StringVarP(&o.bridge, "bridge", "b", daemon.DefaultBridgeName, "Attach containers to a network bridge (the default \"bridge\" network's device)")
	f.StringVar(&o.bip, "bip", "", "Network bridge IP (CIDR) of the default bridge network (default: a free private subnet)")
	f.StringVar(&o.nftTable, "nft-table", daemon.DefaultNftTable, "Name of berth's nftables table (ip family)")
	return cmd
}

func runDaemon(o *daemonOptions) error {
	level := slog.LevelInfo
	if o.debug {
		level = slog.LevelDebug
	} else if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("invalid log level %q", o.logLevel)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if len(o.hosts) == 0 {
		o.hosts = []string{"unix://" + filepath.Join(o.execRoot, "berth.sock")}
		if o.execRoot == "/run/berth" {
			o.hosts = []string{"unix:///run/berth/berth.sock"}
		}
	}
	if o.pidfile == "" {
		o.pidfile = filepath.Join(o.execRoot, "berth.pid")
	}
	logOpts := map[string]string{}
	for _, kv := range o.logOpts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("invalid --log-opt %q: want key=value", kv)
		}
		logOpts[k] = v
	}
	d, err := daemon.New(daemon.Config{
		DataRoot: o.dataRoot, ExecRoot: o.execRoot, Pidfile: o.pidfile, Runtime: o.runtime,
		LogOpts: logOpts, Version: version, Logger: logger, Registry: o.registry.options(),
		Bridge: o.bridge, BIP: o.bip, NftTable: o.nftTable, CgroupParent: o.cgParent,
	})
	if err != nil {
		return err
	}
	apiOpts := api.Options{Version: version, Logger: logger}
	stopMetrics, err := startMetrics(o.metrics, d, &apiOpts, logger)
	if err != nil {
		d.Shutdown()
		return err
	}
	defer stopMetrics()
	srv := api.NewServer(d, apiOpts)
	var listeners []net.Listener
	for _, h := range o.hosts {
		l, err := listenUnix(h)
		if err != nil {
			d.Shutdown()
			return err
		}
		listeners = append(listeners, l)
	}
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		go func(l net.Listener) { errc <- srv.Serve(l) }(l)
	}
	logger.Info("berth daemon started", "hosts", o.hosts, "data-root", o.dataRoot, "exec-root", o.execRoot)
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sigc:
		logger.Info("shutting down; containers keep running", "signal", s.String())
	case err := <-errc:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			logger.Error("API server stopped", "err", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	d.Shutdown()
	for _, h := range o.hosts {
		os.Remove(strings.TrimPrefix(h, "unix://"))
	}
	return nil
}

// listenUnix listens on unix://PATH. The daemon already holds the data-root
// lock, so a socket file left by a killed daemon is stale and replaced.
func listenUnix(host string) (net.Listener, error) {
	path, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		return nil, fmt.Errorf("unsupported host %q: only unix://PATH is supported", host)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("socket %s is in use by another daemon", path)
	}
	os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}
