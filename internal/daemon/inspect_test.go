package daemon

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/filters"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

func TestStatusString(t *testing.T) {
	twoHours := time.Now().Add(-2 * time.Hour)
	tests := []struct {
		name    string
		state   container.State
		started bool
		want    string
	}{
		{"created", container.State{}, false, "Created"},
		{"running", container.State{Running: true, StartedAt: twoHours}, true, "Up 2 hours"},
		{"just started", container.State{Running: true, StartedAt: time.Now()}, true, "Up Less than a second"},
		{"paused", container.State{Running: true, Paused: true, StartedAt: twoHours}, true, "Up 2 hours (Paused)"},
		{"exited", container.State{ExitCode: 3, StartedAt: twoHours, FinishedAt: twoHours}, true, "Exited (3) 2 hours ago"},
		{"exited zero", container.State{FinishedAt: time.Now().Add(-5 * time.Minute)}, true, "Exited (0) 5 minutes ago"},
		{"restarting", container.State{Restarting: true, ExitCode: 1, FinishedAt: twoHours}, true, "Restarting (1) 2 hours ago"},
		{"dead", container.State{Dead: true}, true, "Dead"},
		{"removing", container.State{Removing: true, Running: true}, true, "Removal In Progress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &container.Container{State: tt.state, HasBeenStarted: tt.started}
			if got := statusString(c); got != tt.want {
				t.Errorf("statusString = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMountPoints(t *testing.T) {
	hc := &apicontainer.HostConfig{
		Binds: []string{"/src:/dst", "/ro:/ro-dst:ro", "/opts:/o:z,ro", "/rw:/rw:rw", "anonymous"},
		Mounts: []mount.Mount{
			{Type: mount.TypeBind, Source: "/m", Target: "/mnt", ReadOnly: true},
			{Type: mount.TypeTmpfs, Target: "/scratch"},
		},
		Tmpfs: map[string]string{"/run": "size=1m"},
	}
	want := []apicontainer.MountPoint{
		{Type: mount.TypeBind, Source: "/src", Destination: "/dst", RW: true, Propagation: mount.PropagationRPrivate},
		{Type: mount.TypeBind, Source: "/ro", Destination: "/ro-dst", Mode: "ro", RW: false, Propagation: mount.PropagationRPrivate},
		{Type: mount.TypeBind, Source: "/opts", Destination: "/o", Mode: "z,ro", RW: false, Propagation: mount.PropagationRPrivate},
		{Type: mount.TypeBind, Source: "/rw", Destination: "/rw", Mode: "rw", RW: true, Propagation: mount.PropagationRPrivate},
		{Type: mount.TypeBind, Source: "/m", Destination: "/mnt", RW: false},
		{Type: mount.TypeTmpfs, Destination: "/scratch", RW: true},
		{Type: mount.TypeTmpfs, Destination: "/run", RW: true},
	}
	if got := mountPoints(hc); !reflect.DeepEqual(got, want) {
		t.Errorf("mountPoints:\n got %+v\nwant %+v", got, want)
	}
	if got := mountPoints(&apicontainer.HostConfig{}); got == nil || len(got) != 0 {
		t.Errorf("no mounts = %#v, want an empty non-nil slice (JSON [])", got)
	}
}

func TestDirSize(t *testing.T) {
	dir := t.TempDir()
	write := func(rel string, n int) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a", 10)
	write("sub/b", 20)
	write("sub/deeper/c", 300)
	write("empty", 0)
	outside := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(outside, make([]byte, 5000), 0o644); err != nil {
		t.Fatal(err)
	}
	// Symlinks are not followed or counted.
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if got := dirSize(dir); got != 330 {
		t.Errorf("dirSize = %d, want 330", got)
	}
	if got := dirSize(filepath.Join(dir, "missing")); got != 0 {
		t.Errorf("dirSize(missing) = %d, want 0", got)
	}
}

func TestParseTimeArg(t *testing.T) {
	now := time.Now()
	tests := []struct {
		in   string
		want time.Time
		tol  time.Duration
	}{
		{"1700000000", time.Unix(1700000000, 0), 0},
		{"1700000000.5", time.Unix(1700000000, 5e8), 0},
		{"2024-01-02T03:04:05Z", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), 0},
		{"2024-01-02T03:04:05.123456789+02:00", time.Date(2024, 1, 2, 1, 4, 5, 123456789, time.UTC), 0},
		{"2024-01-02T03:04:05", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), 0},
		{"2024-01-02", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), 0},
		{"24h", now.Add(-24 * time.Hour), 5 * time.Second},
		{"90m", now.Add(-90 * time.Minute), 5 * time.Second},
		{"1h30m", now.Add(-90 * time.Minute), 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTimeArg(tt.in)
			if err != nil {
				t.Fatalf("parseTimeArg(%q): %v", tt.in, err)
			}
			if d := got.Sub(tt.want); d > tt.tol || d < -tt.tol {
				t.Errorf("parseTimeArg(%q) = %v, want %v (±%v)", tt.in, got, tt.want, tt.tol)
			}
		})
	}
	for _, bad := range []string{"", "yesterday", "2024-13-01", "12:00"} {
		_, err := parseTimeArg(bad)
		if err == nil || err.Error() != `invalid time value "`+bad+`"` || !errdefs.IsInvalid(err) {
			t.Errorf("parseTimeArg(%q) error = %v", bad, err)
		}
	}
}

func TestUntilFilter(t *testing.T) {
	if got, err := untilFilter(filters.Args{}); err != nil || !got.IsZero() {
		t.Errorf("no until: %v, %v", got, err)
	}
	got, err := untilFilter(filters.Args{"until": {"1700000000"}})
	if err != nil || !got.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("until=1700000000: %v, %v", got, err)
	}
	if _, err := untilFilter(filters.Args{"until": {"soon"}}); !errdefs.IsInvalid(err) {
		t.Errorf("until=soon: %v", err)
	}
}
