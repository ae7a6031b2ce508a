package container

import (
	"os"
	"path/filepath"
	"strings"
)

// trashPrefix names a container directory RemoveFiles renamed away before
// deleting it; NewStore deletes leftovers before loading records.
const trashPrefix = ".rm-"

// Forget takes c out of the index (its name is free again); its directory
// stays until RemoveFiles. The daemon forgets a removed container under
// c.Mu and deletes its files after unlocking, so a big rw layer never
// holds up anyone waiting for the container.
func (s *Store) Forget(c *Container) {
	s.mu.Lock()
	delete(s.byID, c.ID)
	if s.names[c.Name] == c.ID {
		delete(s.names, c.Name)
	}
	s.mu.Unlock()
}

// RemoveFiles deletes a container's directory. It is renamed first: a crash
// midway leaves a trash dir NewStore sweeps, never a record whose rw layer
// is half gone.
func (s *Store) RemoveFiles(id string) error {
	trash, err := s.MoveToTrash(id)
	if err != nil || trash == "" {
		return err
	}
	return os.RemoveAll(trash)
}

// MoveToTrash is RemoveFiles' first half: after it the container is gone
// (its directory renamed away, "" if there was none) and the caller deletes
// the returned trash directory when it suits it.
func (s *Store) MoveToTrash(id string) (string, error) {
	trash := filepath.Join(s.root, trashPrefix+id)
	if err := os.Rename(s.Dir(id), trash); err != nil {
		if os.IsNotExist(err) {
			return "", nil
		}
		return "", err
	}
	return trash, nil
}

// sweepTrash finishes deletions a crash interrupted.
func sweepTrash(root string) {
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), trashPrefix) {
			os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}
