package distribution

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/snapshot"
	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"
)

func pull(t *testing.T, c *Client, st storeT, ref string) ([]jsonstream.Message, error) {
	t.Helper()
	r, err := ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []jsonstream.Message
	err = c.Pull(context.Background(), st, r, false, PullOptions{Progress: func(m jsonstream.Message) { msgs = append(msgs, m) }})
	return msgs, err
}

func statuses(msgs []jsonstream.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		if m.Progress != nil && m.Status == "Downloading" {
			continue
		}
		b.WriteString(m.ID + ": " + m.Status + "\n")
	}
	return b.String()
}

// The layers a pull unpacks in parallel, each into its own dir, are the
// same trees as applying them one on top of the other.
func TestParallelUnpackEqualsSequential(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("whiteouts are character devices: needs root")
	}
	for _, comp := range []compression.Compression{compression.GZip, compression.ZStd} {
		t.Run(string(comp), func(t *testing.T) {
			f := newFakeRegistry(t)
			layers := testLayers(t)
			pushTestImage(t, f, "test/img:v1", comp, layers)
			st, _ := newTestStore(t)
			msgs, err := pull(t, New(Options{}), st, f.host+"/test/img:v1")
			if err != nil {
				t.Fatalf("pull: %v\n%s", err, statuses(msgs))
			}
			img, err := st.Resolve(f.host + "/test/img:v1")
			if err != nil {
				t.Fatal(err)
			}
			seq, err := snapshot.New(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			var parent digest.Digest
			for i, data := range layers {
				snap, err := seq.Apply(context.Background(), parent, "", strings.NewReader(string(data)))
				if err != nil {
					t.Fatal(err)
				}
				parent = snap.ChainID
				if parent != img.ChainIDs[i] {
					t.Fatalf("layer %d: chain ID %s, pulled %s", i, parent, img.ChainIDs[i])
				}
				pulled, err := st.Snapshots().Get(parent)
				if err != nil {
					t.Fatal(err)
				}
				if a, b := treeOf(t, snap.Dir), treeOf(t, pulled.Dir); !reflect.DeepEqual(a, b) {
					t.Fatalf("layer %d differs:\nsequential %q\nparallel   %q", i, a, b)
				}
			}
			if !strings.Contains(statuses(msgs), "Pull complete") || !strings.Contains(statuses(msgs), "Status: Downloaded newer image for "+f.host+"/test/img:v1") {
				t.Fatalf("progress:\n%s", statuses(msgs))
			}
		})
	}
}

// A pull whose download dies half-way commits nothing of that layer and
// no image; the next pull fetches only what is missing and finishes.
func TestKilledPullResumes(t *testing.T) {
	f := newFakeRegistry(t)
	pushTestImage(t, f, "test/img:v1", compression.GZip, testLayers(t)[:2])
	st, root := newTestStore(t)
	c := New(Options{})
	r, _ := ParseRef(f.host + "/test/img:v1")
	mfImg := manifestLayers(t, c, r)
	f.cut = mfImg[1]

	if _, err := pull(t, c, st, r.String()); err == nil {
		t.Fatal("pull with a broken download succeeded")
	}
	if _, err := st.Resolve(r.String()); err == nil {
		t.Fatal("an image was recorded although a layer failed")
	}
	if l := leftovers(root); len(l) != 0 {
		t.Fatalf("temp files left: %v", l)
	}
	if st.HasBlob(digest.Digest(mfImg[1])) {
		t.Fatal("the broken layer's blob was committed")
	}
	firstGets := f.blobGets(mfImg[0])

	f.cut = ""
	msgs, err := pull(t, c, st, r.String())
	if err != nil {
		t.Fatalf("second pull: %v", err)
	}
	if _, err := st.Resolve(r.String()); err != nil {
		t.Fatal(err)
	}
	if got := f.blobGets(mfImg[0]); got != firstGets {
		t.Fatalf("the complete layer was fetched again (%d GETs, was %d)", got, firstGets)
	}
	if !strings.Contains(statuses(msgs), shortID(mfImg[0])+": Already exists") {
		t.Fatalf("progress:\n%s", statuses(msgs))
	}
	// Pulled again: up to date, nothing downloaded.
	before := f.blobGets(mfImg[1])
	msgs, err = pull(t, c, st, r.String())
	if err != nil || !strings.Contains(statuses(msgs), "Status: Image is up to date for "+r.Familiar()) || f.blobGets(mfImg[1]) != before {
		t.Fatalf("third pull: %v\n%s", err, statuses(msgs))
	}
}

// Bytes that do not match the manifest's digest are refused, and nothing
// of them is committed.
func TestDigestMismatchCommitsNothing(t *testing.T) {
	f := newFakeRegistry(t)
	pushTestImage(t, f, "test/img:v1", compression.GZip, testLayers(t)[:1])
	st, root := newTestStore(t)
	c := New(Options{})
	r, _ := ParseRef(f.host + "/test/img:v1")
	f.corrupt = manifestLayers(t, c, r)[0]
	if _, err := pull(t, c, st, r.String()); err == nil {
		t.Fatal("pull of corrupted bytes succeeded")
	}
	if len(st.List()) != 0 {
		t.Fatal("an image was recorded")
	}
	blobs, _ := os.ReadDir(filepath.Join(root, "content", "blobs", "sha256"))
	snaps, _ := os.ReadDir(filepath.Join(root, "snapshots"))
	if len(blobs) != 0 || len(snaps) != 0 {
		t.Fatalf("committed after a digest mismatch: blobs %v, snapshots %v", blobs, snaps)
	}
}

// manifestLayers lists the layer digests of r as the registry has them.
func manifestLayers(t *testing.T, c *Client, r Ref) []string {
	t.Helper()
	p, err := c.puller(context.Background(), r, zeroAuth)
	if err != nil {
		t.Fatal(err)
	}
	nref, _ := c.nameRef(r)
	desc, err := p.Get(context.Background(), nref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := desc.Image()
	if err != nil {
		t.Fatal(err)
	}
	mf, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range mf.Layers {
		out = append(out, l.Digest.String())
	}
	return out
}

func TestPlatformSelection(t *testing.T) {
	f := newFakeRegistry(t)
	pushTestImage(t, f, "test/img:v1", compression.GZip, testLayers(t)[:1])
	c := New(Options{})
	r, _ := ParseRef(f.host + "/test/img:v1")
	st, _ := newTestStore(t)
	err := c.Pull(context.Background(), st, r, false, PullOptions{Platform: "linux/s390x"})
	if err == nil || !strings.Contains(err.Error(), "does not match the specified platform: wanted linux/s390x, actual: linux/amd64") {
		t.Fatalf("pull of another platform: %v", err)
	}
	if len(st.List()) != 0 {
		t.Fatal("an image was recorded")
	}
	index := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
		{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":1,"platform":{"architecture":"arm","os":"linux","variant":"v7"}},
		{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":1,"platform":{"architecture":"arm64","os":"linux"}},
		{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:3333333333333333333333333333333333333333333333333333333333333333","size":1,"platform":{"architecture":"amd64","os":"linux"}}]}`)
	for platform, want := range map[string]string{"linux/arm/v7": "sha256:1111", "linux/arm64/v8": "sha256:2222", "linux/amd64": "sha256:3333"} {
		got, err := selectPlatform(index, platform)
		if err != nil || !strings.HasPrefix(got.String(), want) {
			t.Errorf("%s: %s %v", platform, got, err)
		}
	}
	if _, err := selectPlatform(index, "linux/ppc64le"); err == nil || err.Error() != "no matching manifest for linux/ppc64le in the manifest list entries" {
		t.Errorf("missing platform: %v", err)
	}
}
