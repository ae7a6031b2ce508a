// Package cache is the build cache index: step keys (a hash of the parent
// step's key, the instruction and the content it reads) mapped to the
// image config and layers that step produced. It lives in one JSON file
// written through atomicfile; layers stay in the image store.
package cache

import (
	"encoding/json"
	"path/filepath"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/image"
	"github.com/opencontainers/go-digest"
)

// Entry is one cached step result.
type Entry struct {
	// Config is the image config after the step, byte for byte, so that a
	// fully cached rebuild produces the same image ID.
	Config json.RawMessage `json:"config"`
	Layers []image.Layer   `json:"layers"`
	// Own is the layer this step added (nil for a config-only step): the
	// one prune frees.
	Own         *image.Layer `json:"own,omitempty"`
	Description string       `json:"description"`
	Created     time.Time    `json:"created"`
	LastUsed    time.Time    `json:"lastUsed"`
	UsageCount  int          `json:"usageCount"`
}

// Key chains a step onto its parent: sha256(parent, parts...).
func Key(parent digest.Digest, parts ...string) digest.Digest {
	d := digest.Canonical.Digester()
	h := d.Hash()
	h.Write([]byte(parent.String()))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return d.Digest()
}

// Index is the persistent key → entry map.
type Index struct {
	path string
	mu   sync.Mutex
	m    map[digest.Digest]*Entry
}

type file struct {
	Entries map[digest.Digest]*Entry `json:"entries"`
}

// Open loads (or starts) the index at dir/index.json.
func Open(dir string) (*Index, error) {
	ix := &Index{path: filepath.Join(dir, "index.json"), m: map[digest.Digest]*Entry{}}
	var f file
	if err := atomicfile.ReadJSON(ix.path, &f); err == nil && f.Entries != nil {
		ix.m = f.Entries
	}
	atomicfile.SweepTemps(dir)
	return ix, nil
}

// Get returns the entry of key if valid(entry) holds; an invalid entry (its
// layers were deleted with an image) is dropped.
func (ix *Index) Get(key digest.Digest, valid func(*Entry) bool) (*Entry, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	e, ok := ix.m[key]
	if !ok {
		return nil, false
	}
	if !valid(e) {
		delete(ix.m, key)
		return nil, false
	}
	e.LastUsed = time.Now().UTC()
	e.UsageCount++
	c := *e
	return &c, true
}

// Put records an entry (not yet saved: Save writes the index once per build).
func (ix *Index) Put(key digest.Digest, e *Entry) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	now := time.Now().UTC()
	e.Created, e.LastUsed, e.UsageCount = now, now, 1
	ix.m[key] = e
}

// Save writes the index atomically.
func (ix *Index) Save() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return atomicfile.WriteJSON(ix.path, file{Entries: ix.m}, 0o600)
}

// TakeAll empties the index and returns what it held.
func (ix *Index) TakeAll() map[digest.Digest]*Entry {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	m := ix.m
	ix.m = map[digest.Digest]*Entry{}
	return m
}

// Len is the number of entries.
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.m)
}

// Held lists the layer blobs and snapshots the entries use: the image
// store keeps them when an image is deleted.
func (ix *Index) Held() (blobs, snapshots map[digest.Digest]bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	blobs, snapshots = map[digest.Digest]bool{}, map[digest.Digest]bool{}
	for _, e := range ix.m {
		for _, l := range e.Layers {
			blobs[l.Desc.Digest] = true
			snapshots[l.ChainID] = true
		}
	}
	return blobs, snapshots
}

// Snapshot returns copies of the entries.
func (ix *Index) Snapshot() map[digest.Digest]Entry {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	out := make(map[digest.Digest]Entry, len(ix.m))
	for k, e := range ix.m {
		out[k] = *e
	}
	return out
}
