package api

import (
	"context"
	"io"

	"github.com/moby/moby/api/types/build"
)

// BuildOptions are POST /build's query parameters, decoded.
type BuildOptions struct {
	Dockerfile  string
	Tags        []string
	BuildArgs   map[string]*string
	Target      string
	Labels      map[string]string
	NoCache     bool
	Pull        bool
	NetworkMode string
	Quiet       bool
	CacheFrom   []string
	Platform    string
	// RegistryConfig is the X-Registry-Config header as sent: the client's
	// logins, used when FROM pulls a missing image.
	RegistryConfig string
}

// BuildBackend is what the build routes need. The Server finds it by
// type-asserting its Backend, so backends without a builder (the API
// tests' fake) keep compiling; they answer 501.
type BuildBackend interface {
	// Build reads the context tar from body, writes the classic builder's
	// step output to out and returns the new image's ID.
	Build(ctx context.Context, body io.Reader, opts BuildOptions, out io.Writer) (string, error)
	BuildCachePrune(ctx context.Context, all bool) (*build.CachePruneReport, error)
}
