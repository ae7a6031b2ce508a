package container

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
)

func id(prefix string) string { return prefix + strings.Repeat("0", 64-len(prefix)) }

func newStore(t *testing.T) *Store {
	t.Helper()
	s, bad, err := NewStore(filepath.Join(t.TempDir(), "containers"))
	if err != nil || len(bad) != 0 {
		t.Fatalf("NewStore: %v %v", err, bad)
	}
	return s
}

func mustAdd(t *testing.T, s *Store, c *Container) *Container {
	t.Helper()
	if err := s.Add(c); err != nil {
		t.Fatalf("Add(%s): %v", c.Name, err)
	}
	return c
}

func TestGet(t *testing.T) {
	s := newStore(t)
	web := mustAdd(t, s, &Container{ID: id("abc1"), Name: "/web"})
	db := mustAdd(t, s, &Container{ID: id("abc2"), Name: "/db"})
	// A name that is also a prefix of another container's ID: the name wins.
	named := mustAdd(t, s, &Container{ID: id("ffff"), Name: "/abc1"})

	tests := []struct {
		ref     string
		want    *Container
		kind    errdefs.Kind
		message string
	}{
		{ref: web.ID, want: web},
		{ref: "web", want: web},
		{ref: "/web", want: web},
		{ref: "db", want: db},
		{ref: "abc2", want: db},
		{ref: "ff", want: named},
		{ref: "abc1", want: named},
		{ref: "abc", kind: errdefs.KindInvalid, message: "multiple IDs found with provided prefix: abc"},
		{ref: "x", kind: errdefs.KindNotFound, message: "No such container: x"},
		{ref: "Web", kind: errdefs.KindNotFound, message: "No such container: Web"},
		{ref: "//web", kind: errdefs.KindNotFound, message: "No such container: //web"},
		{ref: "", kind: errdefs.KindNotFound, message: "No such container: "},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := s.Get(tt.ref)
			if tt.want != nil {
				if err != nil || got != tt.want {
					t.Fatalf("Get(%q) = %v, %v; want %s", tt.ref, got, err, tt.want.Name)
				}
				return
			}
			if err == nil {
				t.Fatalf("Get(%q) = %s, want error", tt.ref, got.Name)
			}
			if err.Error() != tt.message || errdefs.KindOf(err) != tt.kind {
				t.Errorf("Get(%q) error = %q (kind %v), want %q (kind %v)", tt.ref, err, errdefs.KindOf(err), tt.message, tt.kind)
			}
		})
	}
}

func TestAddNameConflict(t *testing.T) {
	s := newStore(t)
	first := mustAdd(t, s, &Container{ID: id("a1"), Name: "/web"})
	err := s.Add(&Container{ID: id("b2"), Name: "/web"})
	want := `Conflict. The container name "/web" is already in use by container "` + first.ID +
		`". You have to remove (or rename) that container to be able to reuse that name.`
	if err == nil || err.Error() != want {
		t.Fatalf("Add duplicate name: %v\nwant %s", err, want)
	}
	if !errdefs.IsConflict(err) {
		t.Errorf("kind = %v, want conflict", errdefs.KindOf(err))
	}
	if _, err := s.Get(id("b2")); err == nil {
		t.Error("the refused container was indexed anyway")
	}
	if got, _ := s.Get("web"); got != first {
		t.Error("name no longer resolves to the first container")
	}
}

func TestRename(t *testing.T) {
	s := newStore(t)
	web := mustAdd(t, s, &Container{ID: id("a1"), Name: "/web"})
	db := mustAdd(t, s, &Container{ID: id("b2"), Name: "/db"})

	if err := s.Rename(web, "/shop"); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	if web.Name != "/shop" {
		t.Errorf("Name = %q after rename", web.Name)
	}
	if got, err := s.Get("shop"); err != nil || got != web {
		t.Errorf("Get(new name) = %v, %v", got, err)
	}
	if _, err := s.Get("web"); !errdefs.IsNotFound(err) {
		t.Errorf("old name still resolves: %v", err)
	}
	// The old name is free again.
	mustAdd(t, s, &Container{ID: id("c3"), Name: "/web"})

	err := s.Rename(web, "/db")
	if !errdefs.IsConflict(err) || !strings.Contains(err.Error(), `The container name "/db" is already in use by container "`+db.ID+`"`) {
		t.Errorf("Rename onto a used name: %v", err)
	}
	if web.Name != "/shop" {
		t.Errorf("failed rename changed Name to %q", web.Name)
	}
	if got, _ := s.Get("db"); got != db {
		t.Error("failed rename stole the name")
	}
}

func TestDelete(t *testing.T) {
	s := newStore(t)
	web := mustAdd(t, s, &Container{ID: id("a1"), Name: "/web"})
	if err := os.MkdirAll(s.Dir(web.ID), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(web); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(web.ID), "extra"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(web); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := os.Stat(s.Dir(web.ID)); !os.IsNotExist(err) {
		t.Errorf("directory still there: %v", err)
	}
	for _, ref := range []string{web.ID, "web", "a1"} {
		if _, err := s.Get(ref); !errdefs.IsNotFound(err) {
			t.Errorf("Get(%q) after Delete: %v", ref, err)
		}
	}
	if len(s.List()) != 0 {
		t.Errorf("List after Delete has %d entries", len(s.List()))
	}
	// The name can be reused, and deleting a container without a
	// directory is fine.
	again := mustAdd(t, s, &Container{ID: id("b2"), Name: "/web"})
	if err := s.Delete(again); err != nil {
		t.Errorf("Delete without directory: %v", err)
	}
}

func TestDeleteKeepsNameOwnedByAnother(t *testing.T) {
	s := newStore(t)
	web := mustAdd(t, s, &Container{ID: id("a1"), Name: "/web"})
	stale := &Container{ID: id("b2"), Name: "/web"} // never added: the name belongs to web
	if err := s.Delete(stale); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get("web"); err != nil || got != web {
		t.Errorf("deleting another record freed web's name: %v, %v", got, err)
	}
}

func TestListNewestFirst(t *testing.T) {
	s := newStore(t)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, n := range []string{"b", "d", "a", "c"} {
		offset := map[string]int{"a": 0, "b": 1, "c": 2, "d": 3}[n]
		mustAdd(t, s, &Container{ID: id(string(rune('a' + i))), Name: "/" + n + n, Created: base.Add(time.Duration(offset) * time.Minute)})
	}
	var names []string
	for _, c := range s.List() {
		names = append(names, c.Name)
	}
	if want := []string{"/dd", "/cc", "/bb", "/aa"}; !reflect.DeepEqual(names, want) {
		t.Errorf("List order = %v, want %v", names, want)
	}
}

func TestNewStoreReloads(t *testing.T) {
	root := filepath.Join(t.TempDir(), "containers")
	s, _, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	orig := &Container{
		ID: id("a1"), Name: "/web", Created: created, Path: "sh", Args: []string{"-c", "true"},
		Config:         &container.Config{Image: "busybox", Labels: map[string]string{"k": "v"}},
		HostConfig:     &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: "always"}},
		ImageID:        "sha256:" + strings.Repeat("1", 64),
		State:          State{ExitCode: 3, FinishedAt: created.Add(time.Minute), StartedAt: created},
		RestartCount:   2,
		HasBeenStarted: true, ManuallyStopped: true,
		LogPath: "/x/log.json",
		Done:    make(chan struct{}), ExecIDs: []string{"e1"},
	}
	mustAdd(t, s, orig)
	if err := os.MkdirAll(s.Dir(orig.ID), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(orig); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if info, err := os.Stat(filepath.Join(s.Dir(orig.ID), RecordFile)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("record file: %v, %v", info, err)
	}

	// An unreadable record (bad JSON), and a directory without a record:
	// a create cut off before saving it, which is swept, not reported.
	badDir := filepath.Join(root, id("b2"))
	if err := os.MkdirAll(badDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(badDir, RecordFile), []byte("{truncated"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, id("c3")), 0o700); err != nil {
		t.Fatal(err)
	}
	// A stray file at the top level and a leftover temp inside a record dir.
	if err := os.WriteFile(filepath.Join(root, "stray"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(s.Dir(orig.ID), ".tmp-config.json-999")
	if err := os.WriteFile(tmp, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}

	s2, bad, err := NewStore(root)
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if len(bad) != 1 {
		t.Errorf("bad = %v, want 1 error", bad)
	}
	if _, err := os.Stat(filepath.Join(root, id("c3"))); !os.IsNotExist(err) {
		t.Errorf("directory of a create cut off before its record: %v, want it swept", err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("leftover temp not swept: %v", err)
	}
	list := s2.List()
	if len(list) != 1 {
		t.Fatalf("reloaded %d containers, want 1", len(list))
	}
	got, err := s2.Get("web")
	if err != nil {
		t.Fatalf("Get by name after reload: %v", err)
	}
	if got.Done != nil || got.ExecIDs != nil {
		t.Errorf("volatile fields persisted: Done=%v ExecIDs=%v", got.Done, got.ExecIDs)
	}
	want := orig
	if got.ID != want.ID || got.Name != want.Name || !got.Created.Equal(want.Created) || got.Path != want.Path ||
		!reflect.DeepEqual(got.Args, want.Args) || !reflect.DeepEqual(got.Config, want.Config) ||
		!reflect.DeepEqual(got.HostConfig, want.HostConfig) || got.ImageID != want.ImageID ||
		got.State.ExitCode != 3 || !got.State.FinishedAt.Equal(want.State.FinishedAt) ||
		got.RestartCount != 2 || !got.HasBeenStarted || !got.ManuallyStopped || got.LogPath != want.LogPath {
		t.Errorf("reloaded record differs:\n got %+v\nwant %+v", got, want)
	}
	if got.Status() != container.StateExited {
		t.Errorf("reloaded status = %s", got.Status())
	}
	// The reloaded name is reserved.
	if err := s2.Add(&Container{ID: id("d4"), Name: "/web"}); !errdefs.IsConflict(err) {
		t.Errorf("Add over a reloaded name: %v", err)
	}
}

func TestNewStoreCreatesRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "b")
	s, bad, err := NewStore(root)
	if err != nil || len(bad) != 0 || s == nil {
		t.Fatalf("NewStore: %v %v", err, bad)
	}
	if info, err := os.Stat(root); err != nil || !info.IsDir() {
		t.Errorf("root not created: %v", err)
	}
	if s.Dir("x") != filepath.Join(root, "x") {
		t.Errorf("Dir = %q", s.Dir("x"))
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"web", true},
		{"/web", true},
		{"my_app.v1-2", true},
		{"0abc", true},
		{"ab", true},
		{"a", false}, // Docker needs two characters
		{"", false},
		{"/", false},
		{"_web", false},
		{".web", false},
		{"-web", false},
		{"we b", false},
		{"web/1", false},
		{"//web", false},
		{"wéb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateName(tt.name)
			if tt.ok {
				if err != nil {
					t.Errorf("ValidateName(%q): %v", tt.name, err)
				}
				return
			}
			want := "Invalid container name (" + strings.TrimPrefix(tt.name, "/") + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
			if err == nil || err.Error() != want || !errdefs.IsInvalid(err) {
				t.Errorf("ValidateName(%q) = %v, want invalid %q", tt.name, err, want)
			}
		})
	}
}
