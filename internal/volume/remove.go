package volume

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// trashPrefix names a volume directory Remove renamed away before deleting
// it. A leading dot is not a valid volume name, so New never loads one.
const trashPrefix = ".rm-"

// removeAll is os.RemoveAll; tests swap it for a slow one to prove the
// store is not locked while a volume's files are deleted.
var removeAll = os.RemoveAll

// detachLocked renames the volume's directory to a unique trash name in the
// root and returns it ("" if the directory is already gone). Caller holds mu.
func (s *Store) detachLocked(name string) (string, error) {
	trash, err := os.MkdirTemp(s.root, trashPrefix)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(trash, name)
	if err := os.Rename(filepath.Join(s.root, name), dst); err != nil {
		os.Remove(trash)
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
	return dst, nil
}

// removeTrash deletes a detached volume directory and its trash dir.
func removeTrash(path string) error {
	if path == "" {
		return nil
	}
	if err := removeAll(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	os.Remove(filepath.Dir(path))
	return nil
}

// sweepTrash finishes removals a crash interrupted. A leftover's data dir
// may still be mounted (the daemon died, the host did not): unmount it
// first so the deletion never reaches through a mount.
func sweepTrash(root string) {
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), trashPrefix) {
			continue
		}
		trash := filepath.Join(root, e.Name())
		vols, _ := os.ReadDir(trash)
		clean := true
		for _, v := range vols {
			if unmountIfMounted(filepath.Join(trash, v.Name(), dataDir)) != nil {
				clean = false
			}
		}
		if clean {
			os.RemoveAll(trash)
		}
	}
}
