package cli

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/registry/auth"
	"github.com/berth-dev/berth/internal/registry/gc"
	"github.com/berth-dev/berth/internal/registry/server"
	"github.com/berth-dev/berth/internal/registry/storage"
	"github.com/spf13/cobra"
)

// newRegistryCommand is `berth registry`: an OCI registry server of its own, which runs
// without the berth daemon.
func newRegistryCommand(c *Cli) *cobra.Command {
	cmd := &cobra.Command{Use: "registry", Short: "Run an OCI distribution registry", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	cmd.AddCommand(newRegistryServeCommand(c), newRegistryGCCommand(c))
	return cmd
}

type registryServeOptions struct {
	addr, dataRoot, htpasswd, authMode, tlsCert, tlsKey, tokenRealm string
	readOnly                                                        bool
}

func newRegistryServeCommand(c *Cli) *cobra.Command {
	var o registryServeOptions
	cmd := &cobra.Command{
		Use: "serve [OPTIONS]", Short: "Serve the OCI distribution API", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRegistryServe(cmd.Context(), c, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", ":5000", "Address to listen on (HOST:PORT)")
	f.StringVar(&o.dataRoot, "data-root", "/var/lib/berth-registry", "Directory of the registry's content")
	f.StringVar(&o.htpasswd, "htpasswd", "", "htpasswd file (bcrypt entries) of the users allowed in")
	f.StringVar(&o.authMode, "auth", "", `Authentication with --htpasswd: "basic" or "token" (default "basic")`)
	f.StringVar(&o.tokenRealm, "token-realm", "", "URL of the token endpoint to advertise (default: /token on this server)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS key file")
	f.BoolVar(&o.readOnly, "read-only", false, "Refuse pushes and deletes")
	return cmd
}

func runRegistryServe(ctx context.Context, c *Cli, o registryServeOptions) error {
	store, err := storage.Open(o.dataRoot)
	if err != nil {
		return err
	}
	opts := server.Options{ReadOnly: o.readOnly, Logger: log.New(c.err, "registry: ", log.LstdFlags)}
	switch {
	case o.htpasswd == "" && o.authMode != "":
		return errors.New("--auth needs --htpasswd")
	case o.htpasswd != "":
		users, err := auth.LoadHtpasswd(o.htpasswd)
		if err != nil {
			return err
		}
		switch o.authMode {
		case "", "basic":
			opts.Auth = &auth.Basic{Realm: "berth-registry", Users: users}
		case "token":
			tok := auth.NewToken(o.tokenRealm, "berth-registry", users)
			opts.Auth, opts.Token = tok, tok
		default:
			return fmt.Errorf("invalid --auth %q: must be basic or token", o.authMode)
		}
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: server.New(store, opts), ReadHeaderTimeout: 30 * time.Second, ErrorLog: opts.Logger}
	fmt.Fprintf(c.err, "berth registry listening on %s (data root %s)\n", ln.Addr(), o.dataRoot)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			errc <- srv.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(shutdownCtx)
	}
}

func newRegistryGCCommand(c *Cli) *cobra.Command {
	var dataRoot string
	var dryRun bool
	var grace, uploadTTL time.Duration
	cmd := &cobra.Command{
		Use: "gc [OPTIONS]", Short: "Remove blobs no manifest references", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := storage.Open(dataRoot)
			if err != nil {
				return err
			}
			res, err := gc.Run(store, gc.Options{DryRun: dryRun, Grace: grace, UploadTTL: uploadTTL,
				Log: func(f string, a ...any) { fmt.Fprintf(c.out, f+"\n", a...) }})
			if err != nil {
				return err
			}
			verb := "deleted"
			if dryRun {
				verb = "would delete"
			}
			fmt.Fprintf(c.out, "%d blobs marked, %s %d blobs (%d bytes), %d repository links, %d stale uploads\n",
				res.Marked, verb, len(res.Deleted), res.FreedBytes, res.RemovedLinks, res.ExpiredUploads)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataRoot, "data-root", "/var/lib/berth-registry", "Directory of the registry's content")
	f.BoolVar(&dryRun, "dry-run", false, "Only print what would be deleted")
	f.DurationVar(&grace, "grace", 10*time.Minute, "Keep unreferenced content newer than this (pushes in flight)")
	f.DurationVar(&uploadTTL, "upload-ttl", 24*time.Hour, "Remove upload sessions idle for longer than this (0: never)")
	return cmd
}
