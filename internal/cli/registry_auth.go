package cli

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	"github.com/moby/moby/api/types/registry"
)

// dockerHubAuthKey is where config.json keeps Docker Hub's credentials.
const dockerHubAuthKey = "https://index.docker.io/v1/"

// loadConfigFile reads $DOCKER_CONFIG/config.json (~/.docker/config.json):
// berth shares the docker CLI's logins, credsStore and credHelpers.
func loadConfigFile(stderr io.Writer) *configfile.ConfigFile {
	return config.LoadDefaultConfigFile(stderr)
}

// authKey is the config.json key of the registry an image lives in.
func authKey(imageRef string) string {
	named, err := reference.ParseNormalizedNamed(imageRef)
	if err != nil {
		return dockerHubAuthKey
	}
	return serverKey(reference.Domain(named))
}

// serverKey maps a login server argument to its config.json key.
func serverKey(server string) string {
	s := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://"), "/")
	switch s {
	case "", "docker.io", "index.docker.io", "index.docker.io/v1", "registry-1.docker.io":
		return dockerHubAuthKey
	}
	return s
}

// encodedAuth is the X-Registry-Auth value for imageRef's registry from
// config.json (credential helpers included); "" when there is none.
func encodedAuth(c *Cli, imageRef string) string {
	cf := loadConfigFile(c.err)
	ac, err := cf.GetAuthConfig(authKey(imageRef))
	if err != nil || (ac.Username == "" && ac.IdentityToken == "" && ac.RegistryToken == "") {
		return ""
	}
	return encodeAuthConfig(toAPIAuth(ac))
}

func toAPIAuth(ac types.AuthConfig) registry.AuthConfig {
	return registry.AuthConfig{Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
		ServerAddress: ac.ServerAddress, IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}
}

func encodeAuthConfig(ac registry.AuthConfig) string {
	data, _ := json.Marshal(ac)
	return base64.URLEncoding.EncodeToString(data)
}

// allAuthConfigs is every login config.json (and its credential helpers)
// holds: a build sends them all (X-Registry-Config) because any FROM line
// may need one.
func allAuthConfigs(c *Cli) map[string]registry.AuthConfig {
	creds, err := loadConfigFile(c.err).GetAllCredentials()
	if err != nil {
		return nil
	}
	out := make(map[string]registry.AuthConfig, len(creds))
	for key, ac := range creds {
		out[key] = toAPIAuth(ac)
	}
	return out
}
