package daemon

import (
	"path/filepath"
	"testing"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/network"
	apicontainer "github.com/moby/moby/api/types/container"
)

// TestResolveNetworkMode: bridge is the default, as in Docker; unknown
// networks and containers are Docker's 404s.
func TestResolveNetworkMode(t *testing.T) {
	dir := t.TempDir()
	store, err := network.Open(filepath.Join(dir, "networks"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*network.Record{{ID: network.NewID(), Name: "bridge", Driver: "bridge"}, {ID: network.NewID(), Name: "mynet", Driver: "bridge"}} {
		if err := store.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	ctrs, _, err := container.NewStore(filepath.Join(dir, "containers"))
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{nets: &netManager{store: store}, containers: ctrs}
	for _, tc := range []struct{ in, want, err string }{ // missing: 400, not 404 (COMPATIBILITY.md)
		{"", "bridge", ""},
		{"default", "bridge", ""},
		{"host", "host", ""},
		{"none", "none", ""},
		{"mynet", "mynet", ""},
		{"nonet", "", "network nonet not found"},
		{"container:web", "", "No such container: web"},
	} {
		hc := &apicontainer.HostConfig{NetworkMode: apicontainer.NetworkMode(tc.in)}
		err := d.resolveNetworkMode(hc)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || !errdefs.IsInvalid(err) {
				t.Errorf("%q: err %v, want %q with its status", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || string(hc.NetworkMode) != tc.want {
			t.Errorf("%q: got %q %v, want %q", tc.in, hc.NetworkMode, err, tc.want)
		}
	}
}
