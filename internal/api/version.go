// Version negotiation: which API versions berth answers and how a request's
// /v1.NN/ prefix is checked against them.

package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
)

const (
	// MaxAPIVersion is the API version of the moby/moby/api v1.56.1 types we
	// speak. That module exports no constant for it; the test checks it
	// against the moby client's MaxAPIVersion.
	MaxAPIVersion = "1.56"
	// MinAPIVersion is the oldest version dockerd still serves.
	MinAPIVersion = "1.24"
)

type versionKey struct{}

// apiVersion is the version the client asked for (the server's own version
// for unversioned paths).
func apiVersion(r *http.Request) string {
	if v, ok := r.Context().Value(versionKey{}).(string); ok {
		return v
	}
	return MaxAPIVersion
}

func withVersion(ctx context.Context, v string) context.Context {
	return context.WithValue(ctx, versionKey{}, v)
}

// compareVersions compares dotted versions numerically: -1, 0 or 1.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	}
	return 0
}

func versionAtLeast(r *http.Request, v string) bool { return compareVersions(apiVersion(r), v) >= 0 }

// checkVersion refuses versions outside [min, max] with dockerd's wording.
func checkVersion(v, min, max string) error {
	if compareVersions(v, min) < 0 {
		return errdefs.Invalid("client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", v, min)
	}
	if compareVersions(v, max) > 0 {
		return errdefs.Invalid("client version %s is too new. Maximum supported API version is %s", v, max)
	}
	return nil
}

// splitVersion takes "/v1.45/containers/json" apart into "1.45" and
// "/containers/json"; unversioned paths come back unchanged.
func splitVersion(path string) (version, rest string) {
	if len(path) < 3 || path[0] != '/' || path[1] != 'v' {
		return "", path
	}
	end := strings.IndexByte(path[2:], '/')
	if end < 0 {
		return "", path
	}
	v := path[2 : 2+end]
	if v == "" || strings.Trim(v, "0123456789.") != "" {
		return "", path
	}
	return v, path[2+end:]
}
