package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

type entry struct {
	name, link, body string
	typ              byte
	mode             int64
	uid, gid         int
	pax              map[string]string
}

func mkTar(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if e.mode == 0 {
			e.mode = 0o644
		}
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Size: int64(len(e.body)),
			Uid: e.uid, Gid: e.gid, ModTime: time.Unix(1700000000, 0), PAXRecords: e.pax, Format: tar.FormatPAX}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

// sandbox gives a root dir plus an "outside" dir that must stay empty.
func sandbox(t *testing.T) (root, outside string) {
	d := t.TempDir()
	root, outside = filepath.Join(d, "root"), filepath.Join(d, "outside")
	os.Mkdir(root, 0o755)
	os.Mkdir(outside, 0o755)
	return
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Fatalf("%s was written to: %v", dir, ents)
	}
}

func TestExtractRefusesEscapes(t *testing.T) {
	cases := map[string][]entry{
		"dotdot":       {{name: "../outside/x", typ: tar.TypeReg, body: "bad"}},
		"deep dotdot":  {{name: "a/../../outside/x", typ: tar.TypeReg, body: "bad"}},
		"symlink out":  {{name: "l", typ: tar.TypeSymlink, link: "../outside"}},
		"hardlink out": {{name: "h", typ: tar.TypeLink, link: "../outside/f"}},
	}
	for name, ents := range cases {
		t.Run(name, func(t *testing.T) {
			root, out := sandbox(t)
			if _, err := Extract(root, bytes.NewReader(mkTar(t, ents...)), ExtractOptions{}); err == nil {
				t.Fatal("expected an error")
			}
			assertEmpty(t, out)
		})
	}
}

func TestExtractContainsAbsoluteAndSymlinkWrites(t *testing.T) {
	root, out := sandbox(t)
	// An absolute symlink to the outside dir, then a file written through
	// it, then a chain of links, then an absolute name: all land in root.
	tb := mkTar(t,
		entry{name: "/abs", typ: tar.TypeReg, body: "abs"},
		entry{name: "esc", typ: tar.TypeSymlink, link: out},
		entry{name: "esc/through", typ: tar.TypeReg, body: "through"},
		entry{name: "etc", typ: tar.TypeSymlink, link: "/"},
		entry{name: "chain", typ: tar.TypeSymlink, link: "etc/etc/etc/.."},
		entry{name: "chain/x", typ: tar.TypeReg, body: "x"},
		entry{name: "hl", typ: tar.TypeLink, link: "/abs"},
	)
	if _, err := Extract(root, bytes.NewReader(tb), ExtractOptions{}); err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, out)
	if b, _ := os.ReadFile(filepath.Join(root, "abs")); string(b) != "abs" {
		t.Fatalf("abs: %q", b)
	}
	if b, err := os.ReadFile(filepath.Join(root, out, "through")); err != nil || string(b) != "through" {
		t.Fatalf("file through symlink not contained: %v %q", err, b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "x")); string(b) != "x" {
		t.Fatalf("chain: %q", b)
	}
	var a, h unix.Stat_t
	unix.Stat(filepath.Join(root, "abs"), &a)
	unix.Stat(filepath.Join(root, "hl"), &h)
	if a.Ino != h.Ino {
		t.Fatal("hardlink not linked")
	}
}

func TestExtractHardlinkToHostFileRefused(t *testing.T) {
	root, _ := sandbox(t)
	tb := mkTar(t, entry{name: "pw", typ: tar.TypeLink, link: "/etc/passwd"})
	if _, err := Extract(root, bytes.NewReader(tb), ExtractOptions{}); err == nil {
		t.Fatal("hardlink to a missing in-root /etc/passwd must fail, not link the host file")
	}
}

func TestWhiteoutsAndAttributes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for chown, mknod and trusted xattrs")
	}
	root, _ := sandbox(t)
	tb := mkTar(t,
		entry{name: "d/", typ: tar.TypeDir, mode: 0o750, uid: 12, gid: 34},
		entry{name: "d/.wh..wh..opq", typ: tar.TypeReg},
		entry{name: "d/.wh.gone", typ: tar.TypeReg},
		entry{name: "suid", typ: tar.TypeReg, mode: 0o4755, uid: 1000, gid: 1000, body: "s",
			pax: map[string]string{"SCHILY.xattr.user.test": "v1"}},
		entry{name: "fifo", typ: tar.TypeFifo, mode: 0o600},
	)
	if _, err := Extract(root, bytes.NewReader(tb), ExtractOptions{Whiteouts: true}); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(root, "d/gone"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Fatalf("whiteout: %v %+v", err, st)
	}
	buf := make([]byte, 8)
	if n, err := unix.Getxattr(filepath.Join(root, "d"), OpaqueXattr, buf); err != nil || string(buf[:n]) != "y" {
		t.Fatalf("opaque: %v", err)
	}
	unix.Lstat(filepath.Join(root, "d"), &st)
	if st.Mode&0o7777 != 0o750 || st.Uid != 12 || st.Gid != 34 || st.Mtim.Sec != 1700000000 {
		t.Fatalf("dir attrs: %o %d %d %d", st.Mode, st.Uid, st.Gid, st.Mtim.Sec)
	}
	unix.Lstat(filepath.Join(root, "suid"), &st)
	if st.Mode&0o7777 != 0o4755 || st.Uid != 1000 {
		t.Fatalf("suid attrs: %o %d", st.Mode, st.Uid)
	}

	// Round trip: Tar gives the same attributes back.
	rc, err := Tar(root, "/", TarOptions{Contents: true, OverlayWhiteouts: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	got := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h
	}
	for _, n := range []string{"d/", "d/.wh..wh..opq", "d/.wh.gone", "suid", "fifo"} {
		if got[n] == nil {
			t.Fatalf("missing %s in %v", n, got)
		}
	}
	if s := got["suid"]; s.Mode != 0o4755 || s.Uid != 1000 || s.PAXRecords["SCHILY.xattr.user.test"] != "v1" {
		t.Fatalf("suid header: %+v", s)
	}
	if _, ok := got["d/"].PAXRecords["SCHILY.xattr."+OpaqueXattr]; ok {
		t.Fatal("overlay xattr leaked into the tar")
	}
}

func TestNoOverwriteDirNonDir(t *testing.T) {
	root, _ := sandbox(t)
	os.Mkdir(filepath.Join(root, "d"), 0o755)
	_, err := Extract(root, bytes.NewReader(mkTar(t, entry{name: "d", typ: tar.TypeReg, body: "x"})), ExtractOptions{NoOverwriteDirNonDir: true})
	if err == nil {
		t.Fatal("expected refusal")
	}
}

func TestTarAndStatForCopy(t *testing.T) {
	root, _ := sandbox(t)
	os.MkdirAll(filepath.Join(root, "etc/sub"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/hosts"), []byte("127.0.0.1 x\n"), 0o644)
	os.Symlink("/etc/hosts", filepath.Join(root, "link"))
	rc, err := Tar(root, "/etc/hosts", TarOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(rc)
	h, err := tr.Next()
	if err != nil || h.Name != "hosts" || h.Size != 12 {
		t.Fatalf("%v %+v", err, h)
	}
	rc.Close()
	rc, _ = Tar(root, "etc", TarOptions{})
	tr = tar.NewReader(rc)
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	if len(names) != 3 || names[0] != "etc/" || names[1] != "etc/hosts" || names[2] != "etc/sub/" {
		t.Fatalf("names %v", names)
	}
	st, err := Stat(root, "/link")
	if err != nil || st.LinkTarget != "/etc/hosts" || st.Mode&os.ModeSymlink == 0 || st.Name != "link" {
		t.Fatalf("%v %+v", err, st)
	}
	if _, err := Stat(root, "/nope"); !os.IsNotExist(err) {
		t.Fatalf("want not-exist, got %v", err)
	}
}

func TestDecompressStream(t *testing.T) {
	plain := mkTar(t, entry{name: "f", typ: tar.TypeReg, body: "hello"})
	var gz, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(plain)
	zw.Close()
	inputs := map[string][]byte{"plain": plain, "gzip": gz.Bytes(), "zstd": zs.Bytes()}
	for _, tool := range []string{"bzip2", "xz"} {
		if p, err := exec.LookPath(tool); err == nil {
			cmd := exec.Command(p, "-c")
			cmd.Stdin = bytes.NewReader(plain)
			if out, err := cmd.Output(); err == nil {
				inputs[tool] = out
			}
		}
	}
	for name, in := range inputs {
		rc, err := DecompressStream(bytes.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: %v, %d bytes", name, err, len(got))
		}
	}
}

// "NAME/" names a directory: a file there is ENOTDIR, a directory or a
// symlink to one (resolved inside the root) is fine.
func TestStatTrailingSlashWantsADirectory(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root"), 0o644)
	os.Symlink("/etc", filepath.Join(root, "etclink"))
	os.Symlink("/etc/passwd", filepath.Join(root, "filelink"))
	for p, wantErr := range map[string]bool{
		"/etc/passwd/": true, "/filelink/": true, "/etc/passwd": false,
		"/etc/": false, "/etclink/": false, "/": false,
	} {
		_, err := Stat(root, p)
		if gotErr := err != nil; gotErr != wantErr || (wantErr && !errors.Is(err, unix.ENOTDIR)) {
			t.Errorf("Stat(%q): %v", p, err)
		}
	}
}
