package runtime

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func writeEtc(t *testing.T, root string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\n# comment\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:100::/home/bob:/bin/sh\n"
	group := "root:x:0:\nsudo:x:27:alice,bob\naudio:x:29:\nusers:x:100:\nalice:x:1000:\n"
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte(passwd), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte(group), 0o644)
}

func TestResolveUser(t *testing.T) {
	root := t.TempDir()
	writeEtc(t, root)
	tests := []struct {
		spec     string
		groupAdd []string
		uid, gid uint32
		gids     []uint32
		wantErr  string
	}{
		{spec: "", uid: 0, gid: 0, gids: []uint32{0}},
		{spec: "alice", uid: 1000, gid: 1000, gids: []uint32{1000, 27}},
		{spec: "1001", uid: 1001, gid: 100, gids: []uint32{100, 27}},
		{spec: "alice:audio", uid: 1000, gid: 29, gids: []uint32{29}},
		{spec: "1000:5000", uid: 1000, gid: 5000, gids: []uint32{5000}},
		{spec: "4242", uid: 4242, gid: 0, gids: []uint32{0}},
		{spec: "bob", groupAdd: []string{"audio", "777"}, uid: 1001, gid: 100, gids: []uint32{100, 27, 29, 777}},
		{spec: "nobody", wantErr: "unable to find user nobody: no matching entries in passwd file"},
		{spec: "alice:nogroup", wantErr: "unable to find group nogroup: no matching entries in group file"},
		{spec: "alice", groupAdd: []string{"nogroup"}, wantErr: "Unable to find group nogroup: no matching entries in group file"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			u, err := resolveUser(root, tc.spec, tc.groupAdd)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.UID != tc.uid || u.GID != tc.gid || !slices.Equal(u.AdditionalGids, tc.gids) {
				t.Fatalf("got %d:%d %v, want %d:%d %v", u.UID, u.GID, u.AdditionalGids, tc.uid, tc.gid, tc.gids)
			}
		})
	}
}

func TestResolveUserNoPasswd(t *testing.T) {
	root := t.TempDir()
	if u, err := resolveUser(root, "123:456", nil); err != nil || u.UID != 123 || u.GID != 456 {
		t.Fatalf("%+v %v", u, err)
	}
	if _, err := resolveUser(root, "alice", nil); err == nil {
		t.Fatal("name without passwd resolved")
	}
}

// A hostile image links /etc/passwd to the host's files: the lookup must stay
// inside the rootfs (and so find no such user) instead of reading the host.
func TestResolveUserSymlinkEscape(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "passwd"), []byte("evil:x:4321:4321::/:/bin/sh\n"), 0o644)
	for _, target := range []string{
		filepath.Join(outside, "passwd"),                     // absolute: resolved inside the root
		"../../../../../../../../" + outside[1:] + "/passwd", // relative climb: clamped at the root
	} {
		root := t.TempDir()
		os.MkdirAll(filepath.Join(root, "etc"), 0o755)
		if err := os.Symlink(target, filepath.Join(root, "etc/passwd")); err != nil {
			t.Fatal(err)
		}
		if _, err := resolveUser(root, "evil", nil); err == nil {
			t.Fatalf("symlink %s: read a file outside the rootfs", target)
		}
	}
	// An in-root absolute symlink resolves against the rootfs, as in the container.
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.MkdirAll(filepath.Join(root, "real"), 0o755)
	os.WriteFile(filepath.Join(root, "real/passwd"), []byte("carol:x:77:88::/:/bin/sh\n"), 0o644)
	os.Symlink("/real/passwd", filepath.Join(root, "etc/passwd"))
	if u, err := resolveUser(root, "carol", nil); err != nil || u.UID != 77 || u.GID != 88 {
		t.Fatalf("in-root symlink: %+v %v", u, err)
	}
}
