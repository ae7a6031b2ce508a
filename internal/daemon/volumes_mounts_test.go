package daemon

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/events"
	"github.com/berth-dev/berth/internal/volume"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

func volumeTestDaemon(t *testing.T) *Daemon {
	t.Helper()
	root := t.TempDir()
	vols, err := volume.New(filepath.Join(root, "volumes"))
	if err != nil {
		t.Fatal(err)
	}
	ctrs, _, err := container.NewStore(filepath.Join(root, "containers"))
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{volumes: vols, containers: ctrs, events: events.New(), log: slog.New(slog.DiscardHandler)}
	d.volRefs.n = map[string]int{}
	return d
}

func TestResolveMounts(t *testing.T) {
	d := volumeTestDaemon(t)
	cfg := &apicontainer.Config{Volumes: map[string]struct{}{"/data": {}, "/named": {}, "/t": {}}}
	hc := &apicontainer.HostConfig{
		Binds: []string{"/host:/h:ro", "named:/named:nocopy"},
		Mounts: []mount.Mount{
			{Type: mount.TypeVolume, Target: "/anon-mount"},
			{Type: mount.TypeVolume, Source: "sub", Target: "/sub", ReadOnly: true, VolumeOptions: &mount.VolumeOptions{Subpath: "a/b", Labels: map[string]string{"x": "y"}}},
		},
		Tmpfs: map[string]string{"/t": ""},
	}
	mps, err := d.resolveMounts(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]volume.MountPoint{}
	for _, mp := range mps {
		got[mp.Destination] = mp
	}
	if len(mps) != 6 {
		t.Fatalf("mount points: %+v", mps)
	}
	if h := got["/h"]; h.Type != mount.TypeBind || h.RW || h.Added || h.Source != "/host" || h.Propagation != "rprivate" || h.Mode != "ro" {
		t.Errorf("bind = %+v", h)
	}
	if n := got["/named"]; n.Type != mount.TypeVolume || n.Name != "named" || !n.NoCopy || !n.Added || n.Mode != "nocopy" {
		t.Errorf("named = %+v", n)
	}
	if s := got["/sub"]; s.Name != "sub" || s.Subpath != "a/b" || s.RW {
		t.Errorf("subpath = %+v", s)
	}
	if v, _ := d.volumes.Get("sub"); v.Labels["x"] != "y" || v.Anonymous() {
		t.Errorf("volume made by --mount: %+v", v)
	}
	for _, dest := range []string{"/data", "/anon-mount"} {
		v, err := d.volumes.Get(got[dest].Name)
		if err != nil || !v.Anonymous() || len(v.Name) != 64 {
			t.Errorf("%s: anonymous volume %+v %v", dest, v, err)
		}
	}
	if tm := got["/t"]; tm.Type != mount.TypeTmpfs || tm.Name != "" {
		t.Errorf("a VOLUME covered by --tmpfs: %+v", tm)
	}

	// --volumes-from copies volumes and binds, :ro overriding.
	src := &container.Container{ID: strings.Repeat("a", 64), Name: "/src", MountPoints: mps, HostConfig: hc, Config: cfg}
	if err := d.containers.Add(src); err != nil {
		t.Fatal(err)
	}
	from, err := d.resolveMounts(&apicontainer.Config{}, &apicontainer.HostConfig{VolumesFrom: []string{"src:ro"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(from) != 5 { // the tmpfs is not inherited
		t.Fatalf("--volumes-from: %+v", from)
	}
	for _, mp := range from {
		if mp.RW || !mp.Added {
			t.Errorf("inherited %+v: want read-only and added", mp)
		}
	}
	if users := d.volumeUsers(); len(users["named"]) != 1 {
		t.Errorf("volumeUsers = %v", users)
	}

	// A failing resolve removes the anonymous volumes it made.
	before := len(d.volumes.List())
	_, err = d.resolveMounts(&apicontainer.Config{Volumes: map[string]struct{}{"/a": {}}}, &apicontainer.HostConfig{VolumesFrom: []string{"nosuch"}})
	if err == nil || !strings.Contains(err.Error(), "No such container") {
		t.Fatalf("missing --volumes-from source: %v", err)
	}
	if len(d.volumes.List()) != before {
		t.Fatal("anonymous volumes of a failed resolve left behind")
	}
}

func TestSpecHostConfigCopiesUpAndBindsVolumes(t *testing.T) {
	d := volumeTestDaemon(t)
	rootfs := t.TempDir()
	os.MkdirAll(filepath.Join(rootfs, "data"), 0o755)
	os.WriteFile(filepath.Join(rootfs, "data", "f"), []byte("img"), 0o644)
	cfg := &apicontainer.Config{Volumes: map[string]struct{}{"/data": {}}}
	hc := &apicontainer.HostConfig{Binds: []string{"/host:/h"}, Mounts: []mount.Mount{{Type: mount.TypeTmpfs, Target: "/t"}}}
	mps, err := d.resolveMounts(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	c := &container.Container{ID: "c1", Config: cfg, HostConfig: hc, MountPoints: mps}
	spec, err := d.specHostConfig(c, rootfs)
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Binds) != 1 || spec.Binds[0] != "/host:/h" || len(spec.Mounts) != 2 || spec.Mounts[0].Type != mount.TypeTmpfs {
		t.Fatalf("spec HostConfig binds %v mounts %+v", spec.Binds, spec.Mounts)
	}
	vm := spec.Mounts[1]
	if vm.Type != mount.TypeBind || vm.Target != "/data" || !strings.HasSuffix(vm.Source, "/_data") {
		t.Fatalf("volume as a bind: %+v", vm)
	}
	if b, err := os.ReadFile(filepath.Join(vm.Source, "f")); err != nil || string(b) != "img" {
		t.Fatalf("copy-up: %q %v", b, err)
	}
	if d.volRefs.n[mps[len(mps)-1].Name] != 1 {
		t.Fatalf("refs = %v", d.volRefs.n)
	}
	d.releaseVolumes(c)
	if len(d.volRefs.n) != 0 {
		t.Fatalf("refs after release = %v", d.volRefs.n)
	}
	if c.HostConfig.Binds[0] != "/host:/h" || len(c.HostConfig.Mounts) != 1 {
		t.Fatal("specHostConfig changed the record's HostConfig")
	}
}
