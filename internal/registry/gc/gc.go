// Package gc is the registry's garbage collector: mark every blob that a manifest of any
// repository needs, then sweep the rest. Content that may be in use without a manifest yet
// is never swept: upload sessions live outside the blob store until they commit, and a blob
// (or repository link) modified after `now - Grace` is kept, which covers blobs committed,
// mounted or HEAD-checked by a push that has not put its manifest yet (the server touches
// them).
package gc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-dev/berth/internal/registry/storage"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// Options of one collection.
type Options struct {
	DryRun bool
	// Grace keeps unreferenced content younger than this (a push in flight).
	Grace time.Duration
	// UploadTTL expires upload sessions untouched for that long (0: never). An active
	// session's data file is written by every chunk, so only abandoned ones age.
	UploadTTL time.Duration
	// Log, when set, is told about every blob that is (or would be) removed.
	Log func(format string, args ...any)
}

// Result sums up a collection.
type Result struct {
	Marked         int
	Deleted        []digest.Digest
	FreedBytes     int64
	RemovedLinks   int
	ExpiredUploads int
}

// Run collects the store's garbage.
func Run(store *storage.Store, opts Options) (Result, error) {
	var res Result
	unlock, err := lock(store.Root())
	if err != nil {
		return res, err
	}
	defer unlock()
	cutoff := time.Now().Add(-opts.Grace)
	logf := opts.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}

	marked, err := mark(store)
	if err != nil {
		return res, err
	}
	res.Marked = len(marked)

	repos, err := store.Repositories()
	if err != nil {
		return res, err
	}
	for _, repo := range repos {
		links, err := store.BlobLinks(repo)
		if err != nil {
			return res, err
		}
		for _, d := range links {
			if marked[d] {
				continue
			}
			p := store.BlobLinkPath(repo, d)
			if fi, err := os.Lstat(p); err != nil || fi.ModTime().After(cutoff) {
				continue
			}
			res.RemovedLinks++
			if !opts.DryRun {
				os.Remove(p)
			}
		}
	}

	blobsDir := filepath.Join(store.Root(), "blobs")
	err = filepath.WalkDir(blobsDir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if de.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(blobsDir, p)
		alg, hh, hex := filepath.Dir(filepath.Dir(rel)), filepath.Base(filepath.Dir(rel)), de.Name()
		d := digest.NewDigestFromEncoded(digest.Algorithm(alg), hex)
		if d.Validate() != nil || len(hex) < 2 || hex[:2] != hh || marked[d] {
			return nil // not ours (or in use): leave it
		}
		fi, err := de.Info()
		if err != nil || fi.ModTime().After(cutoff) {
			return nil
		}
		logf("%s %s (%d bytes)", map[bool]string{true: "would delete", false: "deleting"}[opts.DryRun], d, fi.Size())
		res.Deleted = append(res.Deleted, d)
		res.FreedBytes += fi.Size()
		if !opts.DryRun {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	if opts.UploadTTL > 0 {
		res.ExpiredUploads, err = expireUploads(store, time.Now().Add(-opts.UploadTTL), opts.DryRun)
	}
	return res, err
}

// expireUploads removes upload data (sessions and leftovers of monolithic uploads) not
// written since before cutoff.
func expireUploads(store *storage.Store, cutoff time.Time, dryRun bool) (int, error) {
	dir := filepath.Join(store.Root(), "uploads")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || fi.ModTime().After(cutoff) {
			continue
		}
		n++
		if !dryRun {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return n, nil
}

// mark returns every digest some manifest of some repository needs, manifests included.
func mark(store *storage.Store) (map[digest.Digest]bool, error) {
	marked := map[digest.Digest]bool{}
	repos, err := store.Repositories()
	if err != nil {
		return nil, err
	}
	for _, repo := range repos {
		mans, err := store.ManifestDigests(repo)
		if err != nil {
			return nil, err
		}
		for _, m := range mans {
			marked[m] = true
			content, err := os.ReadFile(store.BlobPath(m))
			if err != nil {
				continue // a manifest link without content: nothing to mark below it
			}
			for _, d := range storage.References(content) {
				marked[d] = true
			}
		}
	}
	return marked, nil
}

// lock keeps two collectors off the same root.
func lock(root string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(root, "gc.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another garbage collection is running on %s", root)
	}
	return func() { f.Close() }, nil
}
