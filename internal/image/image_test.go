package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/filters"
	"github.com/berth-dev/berth/internal/snapshot"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
)

func newStore(t *testing.T) (*Store, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: layers keep owners and whiteouts")
	}
	root := t.TempDir()
	snaps, err := snapshot.New(filepath.Join(root, "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(root, snaps)
	if err != nil {
		t.Fatal(err)
	}
	return s, root
}

type file struct {
	name, body, link string
	typ              byte
}

func tarOf(t *testing.T, files ...file) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Typeflag: f.typ, Mode: 0o755, Linkname: f.link}
		if f.typ == tar.TypeReg {
			h.Size = int64(len(f.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.body))
	}
	tw.Close()
	return buf.Bytes()
}

func busyboxTar(t *testing.T) []byte {
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skip("no /bin/busybox")
	}
	return tarOf(t, file{name: "bin/", typ: tar.TypeDir}, file{name: "bin/busybox", body: string(bb), typ: tar.TypeReg},
		file{name: "bin/sh", link: "busybox", typ: tar.TypeSymlink}, file{name: "etc/", typ: tar.TypeDir},
		file{name: "etc/hostname", body: "bb\n", typ: tar.TypeReg})
}

func TestImportResolveTagHistoryInspect(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	img, err := s.Import(ctx, bytes.NewReader(busyboxTar(t)), ImportOptions{Ref: "bb", Message: "hello",
		Changes: []string{`CMD ["sh"]`, "ENV A=1 B=\"two words\"", "EXPOSE 80", "LABEL x=y", "WORKDIR /tmp"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"bb", "bb:latest", "docker.io/library/bb:latest", img.ID.String(), img.ID.Encoded(), img.ID.Encoded()[:5]} {
		got, err := s.Resolve(ref)
		if err != nil || got.ID != img.ID {
			t.Fatalf("resolve %s: %v", ref, err)
		}
	}
	if _, err := s.Resolve("nope"); !errdefs.IsNotFound(err) || err.Error() != "No such image: nope:latest" {
		t.Fatalf("missing image: %v", err)
	}
	cfg := img.Config.Config
	if strings.Join(cfg.Cmd, " ") != "sh" || strings.Join(cfg.Env, ",") != "A=1,B=two words" || cfg.Labels["x"] != "y" || cfg.WorkingDir != "/tmp" {
		t.Fatalf("config %+v", cfg)
	}
	if _, ok := cfg.ExposedPorts["80/tcp"]; !ok {
		t.Fatal("expose")
	}
	if _, err := s.Import(ctx, bytes.NewReader(busyboxTar(t)), ImportOptions{Changes: []string{"FOO bar"}}); err == nil || err.Error() != "foo is not a valid change command" { // dockerd's words
		t.Fatalf("bad change: %v", err)
	}
	if err := s.Tag(img.ID, "localhost:5000/x:1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(img.ID, "Bad"); !errdefs.IsInvalid(err) {
		t.Fatalf("bad tag: %v", err)
	}
	img, _ = s.Resolve("bb")
	if strings.Join(img.RepoTags, ",") != "bb:latest,localhost:5000/x:1" {
		t.Fatalf("tags %v", img.RepoTags)
	}
	if err := s.Untag("localhost:5000/x:1"); err != nil {
		t.Fatal(err)
	}
	h := s.History(img)
	if len(h) != 1 || h[0].ID != img.ID.String() || h[0].Comment != "hello" || h[0].Size == 0 {
		t.Fatalf("history %+v", h)
	}
	ins := s.Inspect(img)
	if ins.Os != "linux" || ins.RootFS.Type != "layers" || len(ins.RootFS.Layers) != 1 || ins.GraphDriver.Name != "overlay2" || ins.Comment != "hello" {
		t.Fatalf("inspect %+v", ins)
	}
	dirs, err := s.LayerDirs(img)
	if err != nil || len(dirs) != 1 {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dirs[0], "etc/hostname")); string(b) != "bb\n" {
		t.Fatalf("layer content %q", b)
	}
	// The index comes back after a restart.
	s2, err := New(s.root, s.snaps)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s2.Resolve("bb"); err != nil || got.ID != img.ID {
		t.Fatalf("after reopen: %v", err)
	}
}

func TestSaveLoadRoundTripAndCommit(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	base, err := s.Import(ctx, bytes.NewReader(busyboxTar(t)), ImportOptions{Ref: "bb"})
	if err != nil {
		t.Fatal(err)
	}
	diff := tarOf(t, file{name: "etc/", typ: tar.TypeDir}, file{name: "etc/.wh.hostname", typ: tar.TypeReg}, file{name: "new", body: "n", typ: tar.TypeReg})
	child, err := s.Commit(ctx, base, bytes.NewReader(diff), dockerspec.DockerOCIImageConfig{}, CommitOptions{Ref: "bb:child", Comment: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if len(child.ChainIDs) != 2 || child.ChainIDs[0] != base.ChainIDs[0] {
		t.Fatalf("chain %v", child.ChainIDs)
	}
	if h := s.History(child); len(h) != 2 || h[0].ID != child.ID.String() || h[1].ID != "<missing>" {
		t.Fatalf("history %+v", h)
	}
	var buf bytes.Buffer
	if err := s.Save(ctx, &buf, []string{"bb:child", "bb:latest"}); err != nil {
		t.Fatal(err)
	}
	s2, _ := newStore(t)
	var lines []string
	if err := s2.Load(ctx, bytes.NewReader(buf.Bytes()), func(l string) { lines = append(lines, l) }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(lines, "|") != "Loaded image: bb:child|Loaded image: bb:latest" {
		t.Fatalf("progress %v", lines)
	}
	got, err := s2.Resolve("bb:child")
	if err != nil || got.ID != child.ID {
		t.Fatalf("loaded %v %v", got, err)
	}
	dirs, _ := s2.LayerDirs(got)
	if _, err := os.Lstat(filepath.Join(dirs[0], "etc/hostname")); err != nil {
		t.Fatalf("whiteout lost: %v", err)
	}
	// Only the OCI part (drop manifest.json) loads too, names from annotations.
	s3, _ := newStore(t)
	if err := s3.Load(ctx, bytes.NewReader(dropEntry(t, buf.Bytes(), "manifest.json")), nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s3.Resolve("bb:latest"); err != nil || got.ID != base.ID {
		t.Fatalf("oci load: %v", err)
	}
}

func dropEntry(t *testing.T, in []byte, name string) []byte {
	var out bytes.Buffer
	tr := tar.NewReader(bytes.NewReader(in))
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Name == name {
			continue
		}
		tw.WriteHeader(h)
		b := new(bytes.Buffer)
		b.ReadFrom(tr)
		tw.Write(b.Bytes())
	}
	tw.Close()
	return out.Bytes()
}

func TestLoadLegacyAndMalicious(t *testing.T) {
	s, root := newStore(t)
	ctx := context.Background()
	layer := tarOf(t, file{name: "hello", body: "hi", typ: tar.TypeReg})
	cfg := map[string]any{"architecture": "amd64", "os": "linux", "rootfs": map[string]any{"type": "layers", "diff_ids": []string{digest.FromBytes(layer).String()}}}
	cfgData, _ := json.Marshal(cfg)
	id := digest.FromBytes(cfgData)
	mf, _ := json.Marshal([]legacyManifest{{Config: id.Encoded() + ".json", RepoTags: []string{"legacy:1"}, Layers: []string{"abc/layer.tar"}}})
	legacy := tarOf(t, file{name: "abc/", typ: tar.TypeDir}, file{name: "abc/layer.tar", body: string(layer), typ: tar.TypeReg},
		file{name: id.Encoded() + ".json", body: string(cfgData), typ: tar.TypeReg}, file{name: "manifest.json", body: string(mf), typ: tar.TypeReg})
	var lines []string
	if err := s.Load(ctx, bytes.NewReader(legacy), func(l string) { lines = append(lines, l) }); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Resolve("legacy:1"); err != nil || got.ID != id || lines[0] != "Loaded image: legacy:1" {
		t.Fatalf("legacy: %v %v", err, lines)
	}
	// Wrong diff ID: refused.
	bad := tarOf(t, file{name: "abc/", typ: tar.TypeDir}, file{name: "abc/layer.tar", body: string(layer) + "x", typ: tar.TypeReg},
		file{name: id.Encoded() + ".json", body: string(cfgData), typ: tar.TypeReg}, file{name: "manifest.json", body: string(mf), typ: tar.TypeReg})
	if err := s.Load(ctx, bytes.NewReader(bad), nil); err == nil {
		t.Fatal("tampered layer accepted")
	}
	outside := filepath.Join(filepath.Dir(root), "outside-"+filepath.Base(root))
	os.Mkdir(outside, 0o755)
	defer os.RemoveAll(outside)
	evil := tarOf(t, file{name: "../../../../../../" + outside + "/x", body: "bad", typ: tar.TypeReg})
	if err := s.Load(ctx, bytes.NewReader(evil), nil); err == nil {
		t.Fatal("evil tar accepted")
	}
	evil2 := tarOf(t, file{name: "l", link: outside, typ: tar.TypeSymlink}, file{name: "l/x", body: "bad", typ: tar.TypeReg},
		file{name: "manifest.json", link: outside + "/m", typ: tar.TypeSymlink})
	s.Load(ctx, bytes.NewReader(evil2), nil)
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("written outside: %v", ents)
	}
	if ents, _ := os.ReadDir(s.tmpDir()); len(ents) != 0 {
		t.Fatalf("spool not cleaned: %v", ents)
	}
}

func TestDeleteAndPrune(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	base, _ := s.Import(ctx, bytes.NewReader(busyboxTar(t)), ImportOptions{Ref: "bb"})
	s.Tag(base.ID, "other:1")
	child, err := s.Commit(ctx, base, bytes.NewReader(tarOf(t, file{name: "f", body: "x", typ: tar.TypeReg})), dockerspec.DockerOCIImageConfig{}, CommitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	short := base.ID.Encoded()[:12]
	_, err = s.Delete(ctx, short, false, false, nil)
	if !errdefs.IsConflict(err) || err.Error() != "conflict: unable to delete "+short+" (must be forced) - image is referenced in multiple repositories" {
		t.Fatalf("multi-ref delete: %v", err)
	}
	recs, err := s.Delete(ctx, "other:1", false, false, nil)
	if err != nil || len(recs) != 1 || recs[0].Untagged != "other:1" {
		t.Fatalf("untag only: %v %+v", err, recs)
	}
	used := func(id digest.Digest) (string, bool) {
		if id == base.ID {
			return "0123456789abcdef", false
		}
		return "", false
	}
	_, err = s.Delete(ctx, short, false, false, used)
	if err == nil || err.Error() != "conflict: unable to delete "+short+" (must be forced) - image is being used by stopped container 0123456789ab" {
		t.Fatalf("in use: %v", err)
	}
	running := func(digest.Digest) (string, bool) { return "0123456789abcdef", true }
	if _, err := s.Delete(ctx, short, true, false, running); err == nil || !strings.Contains(err.Error(), "(cannot be forced) - image is being used by running container") {
		t.Fatalf("running: %v", err)
	}
	recs, err = s.Delete(ctx, "bb", false, false, nil)
	if err != nil || recs[0].Untagged != "bb:latest" || recs[1].Deleted != base.ID.String() {
		t.Fatalf("delete: %v %+v", err, recs)
	}
	// The child still uses the base layer: it stays.
	if dirs, err := s.LayerDirs(child); err != nil || len(dirs) != 2 {
		t.Fatalf("shared layer lost: %v", err)
	}
	rep, err := s.Prune(ctx, true, filters.Args{}, nil)
	if err != nil || len(rep.ImagesDeleted) != 3 || rep.ImagesDeleted[0].Deleted != child.ID.String() || rep.SpaceReclaimed == 0 {
		t.Fatalf("prune: %v %+v", err, rep)
	}
	if len(s.List()) != 0 {
		t.Fatal("images left")
	}
	blobs, _ := os.ReadDir(filepath.Join(s.blobs.dir, "sha256"))
	snaps, _ := os.ReadDir(s.snaps.Root())
	if len(blobs) != 0 || len(snaps) != 0 {
		t.Fatalf("leftovers: %d blobs, %d snapshots", len(blobs), len(snaps))
	}
}
