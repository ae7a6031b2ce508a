package builder

import (
	"testing"

	"github.com/berth-dev/berth/internal/builder/cache"
	"github.com/berth-dev/berth/internal/image"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestCacheFromRef(t *testing.T) {
	for in, want := range map[string]string{
		"reg:5000/app:v1":                   "reg:5000/app:v1",
		"type=registry,ref=reg:5000/app:v1": "reg:5000/app:v1",
		"ref=app:cache":                     "app:cache",
		"type=local,src=/tmp/cache":         "",
		" app ":                             "app",
	} {
		if got := cacheFromRef(in); got != want {
			t.Errorf("cacheFromRef(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStepMarkerIsStableAndDistinct(t *testing.T) {
	a, b := cache.Key("", "FROM", "x"), cache.Key("", "FROM", "y")
	if stepMarker(a) != stepMarker(a) || stepMarker(a) == stepMarker(b) || len(stepMarker(a)) != len(stepMarkerPrefix)+32 {
		t.Fatalf("markers %q %q", stepMarker(a), stepMarker(b))
	}
}

// sourceLayers counts only the history entries that made a layer.
func TestSourceLayersFollowHistory(t *testing.T) {
	d := func(s string) digest.Digest { return digest.FromString(s) }
	img := &image.Image{
		Config: dockerspec.DockerOCIImage{Image: ocispec.Image{
			RootFS: ocispec.RootFS{DiffIDs: []digest.Digest{d("l0"), d("l1")}},
			History: []ocispec.History{
				{CreatedBy: "base"}, {CreatedBy: "ENV", EmptyLayer: true}, {CreatedBy: "RUN"}, {CreatedBy: "CMD", EmptyLayer: true},
			},
		}},
		Layers:   []ocispec.Descriptor{{Digest: d("b0")}, {Digest: d("b1")}},
		ChainIDs: []digest.Digest{d("c0"), d("c1")},
	}
	for k, want := range []int{1, 1, 2, 2} {
		got, ok := sourceLayers(img, k)
		if !ok || len(got) != want {
			t.Fatalf("history %d: %d layers (ok %v), want %d", k, len(got), ok, want)
		}
	}
	if got, _ := sourceLayers(img, 2); got[1].DiffID != d("l1") || got[1].ChainID != d("c1") || got[1].Desc.Digest != d("b1") {
		t.Fatalf("layer 1 = %+v", got[1])
	}
	img.Layers = img.Layers[:1] // history claims more layers than the image has
	if _, ok := sourceLayers(img, 2); ok {
		t.Fatal("a source whose history and layers disagree must not be used")
	}
}
