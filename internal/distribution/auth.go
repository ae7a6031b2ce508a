package distribution

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/moby/moby/api/types/registry"
)

// DecodeAuthHeader reads X-Registry-Auth: base64url JSON of an AuthConfig
// (padded or not, as the docker CLI and older clients send it). An empty
// header means anonymous.
func DecodeAuthHeader(h string) (registry.AuthConfig, error) {
	var ac registry.AuthConfig
	if h == "" {
		return ac, nil
	}
	data, err := base64.URLEncoding.DecodeString(h)
	if err != nil {
		data, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(h, "="))
	}
	if err != nil {
		return ac, errdefs.Invalid("invalid X-Registry-Auth header: %v", err)
	}
	if err := json.Unmarshal(data, &ac); err != nil {
		return ac, errdefs.Invalid("invalid X-Registry-Auth header: %v", err)
	}
	return ac, nil
}

// authenticator turns Docker's AuthConfig into ggcr's; it does basic auth
// and the bearer token flow (WWW-Authenticate realm/service/scope).
func authenticator(ac registry.AuthConfig) authn.Authenticator {
	if ac.Username == "" && ac.Password == "" && ac.Auth == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
		return authn.Anonymous
	}
	return authn.FromConfig(authn.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		Auth:          ac.Auth,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	})
}

// RegistryHost is the host part of a login server address: Docker Hub's
// "https://index.docker.io/v1/" and an empty address mean docker.io.
func RegistryHost(addr string) string {
	addr = strings.TrimPrefix(strings.TrimPrefix(addr, "https://"), "http://")
	addr, _, _ = strings.Cut(addr, "/")
	switch addr {
	case "", "index.docker.io", "registry-1.docker.io", "docker.io":
		return "docker.io"
	}
	return addr
}

// Login checks credentials against the registry the way dockerd does:
// the /v2/ endpoint must accept them (a bearer registry hands out a token
// for them first).
func (c *Client) Login(ctx context.Context, ac registry.AuthConfig) (registry.AuthResponse, error) {
	host := RegistryHost(ac.ServerAddress)
	reg, err := c.registry(host)
	if err != nil {
		return registry.AuthResponse{}, errdefs.Invalid("%v", err)
	}
	base, err := c.transport(host)
	if err != nil {
		return registry.AuthResponse{}, err
	}
	rt, err := transport.NewWithContext(ctx, reg, authenticator(ac), base, []string{reg.Scope("")})
	if err != nil {
		return registry.AuthResponse{}, loginError(err)
	}
	schemes := []string{"https"}
	if reg.Scheme() == "http" {
		schemes = append(schemes, "http")
	}
	var lastErr error
	for _, scheme := range schemes {
		u := fmt.Sprintf("%s://%s/v2/", scheme, reg.RegistryStr())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := (&http.Client{Transport: rt}).Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return registry.AuthResponse{Status: "Login Succeeded"}, nil
		}
		if resp.StatusCode == http.StatusUnauthorized {
			return registry.AuthResponse{}, errdefs.Unauthorized("login attempt to %s failed with status: %d %s", u, resp.StatusCode, http.StatusText(resp.StatusCode))
		}
		return registry.AuthResponse{}, fmt.Errorf("login attempt to %s failed with status: %d %s", u, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return registry.AuthResponse{}, loginError(lastErr)
}

func loginError(err error) error {
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusUnauthorized {
		return errdefs.Unauthorized("unauthorized: incorrect username or password")
	}
	return err
}

// DecodeAuthConfigs reads X-Registry-Config, the classic build API's header:
// base64url JSON of every login the client has, keyed by registry
// ("https://index.docker.io/v1/", "127.0.0.1:5000", ...).
func DecodeAuthConfigs(h string) (map[string]registry.AuthConfig, error) {
	m := map[string]registry.AuthConfig{}
	if h == "" {
		return m, nil
	}
	data, err := base64.URLEncoding.DecodeString(h)
	if err != nil {
		data, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(h, "="))
	}
	if err != nil {
		return nil, errdefs.Invalid("invalid X-Registry-Config header: %v", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, errdefs.Invalid("invalid X-Registry-Config header: %v", err)
	}
	return m, nil
}

// AuthFor picks the login for domain from a client's logins: keys may carry
// a scheme and a path, and Docker Hub's is the v1 index address.
func AuthFor(configs map[string]registry.AuthConfig, domain string) registry.AuthConfig {
	for key, ac := range configs {
		host := strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
		host, _, _ = strings.Cut(host, "/")
		if host == domain || (domain == "docker.io" && (host == "index.docker.io" || host == "registry-1.docker.io")) {
			return ac
		}
	}
	return registry.AuthConfig{}
}
