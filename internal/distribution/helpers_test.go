package distribution

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/internal/image"
	"github.com/berth-dev/berth/internal/snapshot"
	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// fakeRegistry is go-containerregistry's in-process registry behind a
// handler that counts blob downloads and can break one blob's download.
type fakeRegistry struct {
	srv  *httptest.Server
	host string

	mu      sync.Mutex
	gets    map[string]int // blob digest → GETs
	cut     string         // digest whose download dies half-way
	corrupt string         // digest whose bytes are altered
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	f := &fakeRegistry{gets: map[string]int{}}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := strings.Index(r.URL.Path, "/blobs/sha256:")
		if r.Method != http.MethodGet || i < 0 {
			reg.ServeHTTP(w, r)
			return
		}
		dg := r.URL.Path[i+len("/blobs/"):]
		f.mu.Lock()
		f.gets[dg]++
		cut, corrupt := f.cut == dg, f.corrupt == dg
		f.mu.Unlock()
		if !cut && !corrupt {
			reg.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if corrupt {
			body = append([]byte(nil), body...)
			body[len(body)/2] ^= 0xff
			w.WriteHeader(http.StatusOK)
			w.Write(body)
			return
		}
		// A download killed half-way: half the bytes, then the connection drops.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}))
	t.Cleanup(f.srv.Close)
	f.host = strings.TrimPrefix(f.srv.URL, "http://")
	return f
}

func (f *fakeRegistry) blobGets(d string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets[d]
}

// tarEntry is one file of a test layer; whiteout entries are ".wh." names.
type tarEntry struct {
	name, body string
	dir        bool
}

func layerTar(t testing.TB, entries ...tarEntry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		if e.dir {
			h = &tar.Header{Name: e.name, Mode: 0o755, Typeflag: tar.TypeDir}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, e.body)
	}
	tw.Close()
	return buf.Bytes()
}

// testLayers are three layers that overwrite and delete each other's files.
func testLayers(t testing.TB) [][]byte {
	big := strings.Repeat("incompressible-ish ", 50000)
	return [][]byte{
		layerTar(t, tarEntry{name: "etc/", dir: true}, tarEntry{name: "etc/a", body: "one"}, tarEntry{name: "etc/b", body: "bee"}, tarEntry{name: "big", body: big}),
		layerTar(t, tarEntry{name: "etc/", dir: true}, tarEntry{name: "etc/a", body: "two"}, tarEntry{name: "etc/.wh.b"}, tarEntry{name: "usr/", dir: true}, tarEntry{name: "usr/x", body: "x"}),
		layerTar(t, tarEntry{name: ".wh.big"}, tarEntry{name: "usr/", dir: true}, tarEntry{name: "usr/.wh..wh..opq"}, tarEntry{name: "usr/y", body: "why"}),
	}
}

// pushTestImage writes an image of those layers (compressed with comp)
// to the registry and returns its reference.
func pushTestImage(t *testing.T, f *fakeRegistry, repoTag string, comp compression.Compression, layers [][]byte) name.Reference {
	t.Helper()
	var ls []v1.Layer
	for _, data := range layers {
		data := data
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, tarball.WithCompression(comp))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	img, err := mutate.AppendLayers(empty.Image, ls...)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(f.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return ref
}

func newTestStore(t testing.TB) (*image.Store, string) {
	t.Helper()
	root := t.TempDir()
	snaps, err := snapshot.New(filepath.Join(root, "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := image.New(root, snaps)
	if err != nil {
		t.Fatal(err)
	}
	return st, root
}

// treeOf lists a directory: path, mode, device and content of every entry.
func treeOf(t testing.TB, dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		line := rel + " " + fi.Mode().String()
		if fi.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			line += " " + string(data)
		}
		out = append(out, line)
		return nil
	})
	sort.Strings(out)
	return out
}

// leftovers lists temp files and dirs under root (an interrupted write).
func leftovers(root string) []string {
	var out []string
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasPrefix(fi.Name(), ".tmp-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}
