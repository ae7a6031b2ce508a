package main

import (
	"github.com/berth-dev/berth/internal/distribution"
	"github.com/spf13/pflag"
)

// registryFlags are dockerd's registry flags.
type registryFlags struct {
	insecure []string
	certsDir []string
}

func (r *registryFlags) add(f *pflag.FlagSet) {
	f.StringArrayVar(&r.insecure, "insecure-registry", nil, "Enable insecure registry communication (HOST:PORT or CIDR)")
	f.StringArrayVar(&r.certsDir, "certs-dir", nil, "Directory of per-registry TLS material in the certs.d layout (default /etc/docker/certs.d and /etc/berth/certs.d)")
}

func (r *registryFlags) options() distribution.Options {
	opts := distribution.Options{InsecureRegistries: r.insecure, UserAgent: "berth"}
	if len(r.certsDir) > 0 {
		opts.CertsDirs = r.certsDir
	}
	return opts
}
