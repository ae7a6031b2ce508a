// Package cli implements the berth command line: docker's verbs, flags, output and exit codes,
// as a client of the Docker Engine API.
package cli

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/moby/moby/client"
)

// DefaultHost is where berth daemon listens unless told otherwise.
const DefaultHost = "unix:///run/berth/berth.sock"

// Cli carries the streams and the (lazily created) API client every command uses.
type Cli struct {
	in      io.ReadCloser
	out     io.Writer
	err     io.Writer
	host    string
	version string

	once      sync.Once
	client    *client.Client
	clientErr error
}

// NewCli returns a Cli that writes to the given streams.
func NewCli(in io.ReadCloser, out, errw io.Writer, version string) *Cli {
	return &Cli{in: in, out: out, err: errw, version: version}
}

// In returns the standard input stream.
func (c *Cli) In() io.ReadCloser { return c.in }

// Out returns the standard output stream.
func (c *Cli) Out() io.Writer { return c.out }

// Err returns the standard error stream.
func (c *Cli) Err() io.Writer { return c.err }

// Host resolves the daemon address: -H, then DOCKER_HOST, then BERTH_HOST, then the default.
func (c *Cli) Host() string {
	if c.host != "" {
		return c.host
	}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	if h := os.Getenv("BERTH_HOST"); h != "" {
		return h
	}
	return DefaultHost
}

// Client returns the API client, creating it on first use so that start-up stays cheap.
func (c *Cli) Client() (*client.Client, error) {
	c.once.Do(func() {
		c.client, c.clientErr = client.New(
			client.WithHost(c.Host()),
			client.WithAPIVersionNegotiation(),
			client.WithUserAgent("berth-cli/"+c.version),
		)
	})
	return c.client, c.clientErr
}

// fdOf returns the file descriptor behind s, if it is an *os.File.
func fdOf(s any) (uintptr, bool) {
	if f, ok := s.(interface{ Fd() uintptr }); ok {
		return f.Fd(), true
	}
	return 0, false
}

func (c *Cli) warn(msg string) { fmt.Fprintf(c.err, "WARNING: %s\n", msg) }

func copyAll(w io.Writer, r io.Reader) (int64, error) { return io.Copy(w, r) }
