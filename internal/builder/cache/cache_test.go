package cache

import (
	"testing"

	"github.com/berth-dev/berth/internal/image"
)

func TestKeyChainsAndSeparatesParts(t *testing.T) {
	a := Key("", "RUN x")
	if a != Key("", "RUN x") {
		t.Fatal("key is not deterministic")
	}
	if Key(a, "RUN y") == Key(Key("", "RUN y"), "RUN y") {
		t.Fatal("parent does not change the key")
	}
	// Parts are separated: ("ab","c") and ("a","bc") differ.
	if Key("", "ab", "c") == Key("", "a", "bc") {
		t.Fatal("part boundaries are ambiguous")
	}
}

func TestIndexPersistsAndDropsInvalidEntries(t *testing.T) {
	dir := t.TempDir()
	ix, _ := Open(dir)
	k1, k2 := Key("", "one"), Key("", "two")
	ix.Put(k1, &Entry{Config: []byte(`{"a":1}`), Description: "one"})
	ix.Put(k2, &Entry{Config: []byte(`{"b":2}`), Layers: []image.Layer{{}}})
	if err := ix.Save(); err != nil {
		t.Fatal(err)
	}
	ix2, _ := Open(dir)
	e, ok := ix2.Get(k1, func(*Entry) bool { return true })
	if !ok || string(e.Config) != `{"a":1}` || e.UsageCount != 2 {
		t.Fatalf("reloaded entry = %+v, %v", e, ok)
	}
	if _, ok := ix2.Get(k2, func(*Entry) bool { return false }); ok {
		t.Fatal("an invalid entry was returned")
	}
	if ix2.Len() != 1 {
		t.Fatalf("invalid entry kept: %d entries", ix2.Len())
	}
	if got := len(ix2.TakeAll()); got != 1 || ix2.Len() != 0 {
		t.Fatalf("TakeAll took %d, left %d", got, ix2.Len())
	}
}
