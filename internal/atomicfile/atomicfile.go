// Package atomicfile writes state files so that a reader (or a daemon
// restarted after kill -9) sees either the old content or the new, never half.
package atomicfile

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// WriteFile writes data to a temp file beside path, syncs it and renames it
// into place. The temp name starts with ".tmp-" so start-up can sweep leftovers.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, true)
}

// Publish is WriteFile without the sync: readers and a restarted process still see
// the old content or the new, but a host crash may lose it. It is for files under the
// exec root (the shim's config), whose meaning ends with the boot anyway; a sync there
// is ~0.5 ms on every container start for nothing.
func Publish(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, false)
}

func write(path string, data []byte, perm os.FileMode, sync bool) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}

// WriteJSON marshals v and writes it with WriteFile.
func WriteJSON(path string, v any, perm os.FileMode) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return WriteFile(path, data, perm)
}

// ReadJSON reads path into v.
func ReadJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// SweepTemps removes leftover temp files in dir from writes that were cut off.
func SweepTemps(dir string) {
	matches, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	for _, m := range matches {
		os.Remove(m)
	}
}
