package volume

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/errdefs"
	"golang.org/x/sys/unix"
)

func TestCreateGetRemoveAndReload(t *testing.T) {
	root := t.TempDir()
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	v, created, err := s.Create("data", "", map[string]string{"uid": "1000"}, map[string]string{"k": "v"})
	if err != nil || !created || v.Driver != DriverName {
		t.Fatalf("create: %v %v %+v", err, created, v)
	}
	if again, created, err := s.Create("data", "local", nil, nil); err != nil || created || again != v {
		t.Fatalf("second create must return the existing volume: %v %v", err, created)
	}
	anon, _, err := s.Create("", "", nil, map[string]string{AnonymousLabel: ""})
	if err != nil || len(anon.Name) != 64 || !anon.Anonymous() || v.Anonymous() {
		t.Fatalf("anonymous create: %v %+v", err, anon)
	}
	if err := os.WriteFile(filepath.Join(s.Path("data"), "f"), make([]byte, 10000), 0o644); err != nil {
		t.Fatal(err)
	}
	if size := s.Size("data"); size < 10000 {
		t.Fatalf("Size = %d, want the file's blocks", size)
	}

	// A new store (a restarted daemon) finds both, with labels and options.
	s2, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Get("data")
	if err != nil || got.Labels["k"] != "v" || got.Options["uid"] != "1000" {
		t.Fatalf("reloaded: %v %+v", err, got)
	}
	if uid, gid, ok := got.Owner(); !ok || uid != 1000 || gid != -1 {
		t.Fatalf("Owner = %d %d %v", uid, gid, ok)
	}
	if names := len(s2.List()); names != 2 {
		t.Fatalf("List has %d volumes", names)
	}
	if err := s2.Remove("data"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "data")); !os.IsNotExist(err) {
		t.Fatalf("volume directory left: %v", err)
	}
	_, err = s2.Get("data")
	if !errdefs.IsNotFound(err) || err.Error() != "get data: no such volume" {
		t.Fatalf("Get after Remove: %v", err)
	}
}

func TestCreateRefusesBadNamesDriversAndOptions(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, driver string
		opts         map[string]string
		want         string
	}{
		{"a/b", "", nil, `includes invalid characters for a local volume name`},
		{"xy", "nfs", nil, `plugin "nfs" not found`},
		{"xy", "", map[string]string{"bogus": "1"}, `create xy: invalid option: "bogus"`},
		{"xy", "", map[string]string{"uid": "-3"}, `invalid uid option`},
		{"xy", "", map[string]string{"o": "size=1m"}, `missing required option: "type"`},
		{"xy", "", map[string]string{"type": "tmpfs"}, `missing required option: "device"`},
	} {
		_, _, err := s.Create(c.name, c.driver, c.opts, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Create(%q, %q, %v) = %v, want %q", c.name, c.driver, c.opts, err, c.want)
		}
	}
	if len(s.List()) != 0 {
		t.Fatalf("a refused create left a volume: %v", s.List())
	}
}

func TestReloadKeepsAVolumeWithoutMetadata(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "orphan", "_data"), 0o755)
	os.WriteFile(filepath.Join(root, "orphan", ".tmp-123"), []byte("half"), 0o600)
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get("orphan"); err != nil || v.Driver != DriverName {
		t.Fatalf("orphan volume: %v %+v", err, v)
	}
	if _, err := os.Stat(filepath.Join(root, "orphan", ".tmp-123")); !os.IsNotExist(err) {
		t.Fatal("temp file of a cut-off write not swept")
	}
}

func TestMountFlags(t *testing.T) {
	flags, data := mountFlags("bind,ro,size=1m,nosuid,rw,mode=1777")
	if flags != unix.MS_BIND|unix.MS_NOSUID || data != "size=1m,mode=1777" {
		t.Fatalf("mountFlags = %#x %q", flags, data)
	}
}

func TestSubpath(t *testing.T) {
	mp := MountPoint{Subpath: "a/b"}
	mp.Source = "/v/_data"
	if p, err := mp.SourcePath(); err != nil || p != "/v/_data/a/b" {
		t.Fatalf("SourcePath = %q %v", p, err)
	}
	for _, bad := range []string{"../x", "/etc", "a/../../x"} {
		mp.Subpath = bad
		if _, err := mp.SourcePath(); err == nil {
			t.Errorf("subpath %q accepted", bad)
		}
	}
	mp.Subpath, mp.RW, mp.Destination = "", false, "/d"
	sm, err := mp.SpecMount()
	if err != nil || sm.Type != "bind" || !sm.ReadOnly || sm.Source != "/v/_data" || sm.Target != "/d" {
		t.Fatalf("SpecMount = %+v %v", sm, err)
	}
}
