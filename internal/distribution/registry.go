package distribution

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// Options configure the registry client.
type Options struct {
	// InsecureRegistries are hosts ("host:port") or CIDRs reached over plain
	// HTTP or TLS without verification (--insecure-registry).
	InsecureRegistries []string
	// CertsDirs hold per-registry TLS material in Docker's certs.d layout:
	// DIR/HOST:PORT/{ca.crt,*.crt,client.cert,client.key}.
	CertsDirs []string
	UserAgent string
}

// DefaultCertsDirs are Docker's and berth's certs.d locations.
var DefaultCertsDirs = []string{"/etc/docker/certs.d", "/etc/berth/certs.d"}

// Client talks to registries; it is safe for concurrent use.
type Client struct {
	opts Options

	mu         sync.Mutex
	transports map[string]http.RoundTripper // by registry host
}

// New makes a client.
func New(opts Options) *Client {
	if opts.CertsDirs == nil {
		opts.CertsDirs = DefaultCertsDirs
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "berth"
	}
	return &Client{opts: opts, transports: map[string]http.RoundTripper{}}
}

// insecure reports whether host may be reached without verified TLS: the
// --insecure-registry list, and loopback addresses as Docker does.
func (c *Client) insecure(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	if ip != nil && ip.IsLoopback() {
		return true
	}
	for _, entry := range c.opts.InsecureRegistries {
		if entry == host || entry == h {
			return true
		}
		if _, cidr, err := net.ParseCIDR(entry); err == nil && ip != nil && cidr.Contains(ip) {
			return true
		}
	}
	return false
}

// registry is ggcr's registry name for host, insecure ones marked so that
// ggcr falls back to plain HTTP.
func (c *Client) registry(host string) (name.Registry, error) {
	var opts []name.Option
	if c.insecure(host) {
		opts = append(opts, name.Insecure)
	}
	return name.NewRegistry(host, opts...)
}

// repository is ggcr's repository for a normalized ref.
func (c *Client) repository(r Ref) (name.Repository, error) {
	var opts []name.Option
	if c.insecure(r.Domain()) {
		opts = append(opts, name.Insecure)
	}
	return name.NewRepository(r.Name, opts...)
}

// transport is the HTTP transport for host: its certs.d CA and client
// certificate, or no verification for insecure registries.
func (c *Client) transport(host string) (http.RoundTripper, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.transports[host]; ok {
		return t, nil
	}
	cfg, err := c.tlsConfig(host)
	if err != nil {
		return nil, err
	}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       cfg,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Layers are already compressed; asking for gzip again only costs CPU.
		DisableCompression: true,
		ReadBufferSize:     256 << 10,
		WriteBufferSize:    256 << 10,
	}
	c.transports[host] = t
	return t, nil
}

func (c *Client) tlsConfig(host string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.insecure(host) {
		cfg.InsecureSkipVerify = true
	}
	for _, root := range c.opts.CertsDirs {
		dir := filepath.Join(root, host)
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			switch {
			case strings.HasSuffix(e.Name(), ".crt"):
				pem, err := os.ReadFile(p)
				if err != nil {
					return nil, err
				}
				if cfg.RootCAs == nil {
					if cfg.RootCAs, err = x509.SystemCertPool(); err != nil || cfg.RootCAs == nil {
						cfg.RootCAs = x509.NewCertPool()
					}
				}
				cfg.RootCAs.AppendCertsFromPEM(pem)
			case strings.HasSuffix(e.Name(), ".cert"):
				key := strings.TrimSuffix(p, ".cert") + ".key"
				pair, err := tls.LoadX509KeyPair(p, key)
				if err != nil {
					return nil, err
				}
				cfg.Certificates = append(cfg.Certificates, pair)
			}
		}
	}
	return cfg, nil
}
