package container

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/errdefs"
)

// RecordFile is the name of a container's record inside its directory.
const RecordFile = "config.json"

var validName = regexp.MustCompile(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

var containerID = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Store indexes containers by ID and name and persists their records under
// root/<id>/config.json.
type Store struct {
	root  string
	mu    sync.RWMutex
	byID  map[string]*Container
	names map[string]string // "/name" -> id
}

// NewStore loads every record under root. Records that cannot be read are
// skipped with their error returned in bad (the daemon logs them).
func NewStore(root string) (s *Store, bad []error, err error) {
	if err := os.MkdirAll(root, 0o710); err != nil {
		return nil, nil, err
	}
	s = &Store{root: root, byID: map[string]*Container{}, names: map[string]string{}}
	sweepTrash(root) // remove.go
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		atomicfile.SweepTemps(dir)
		c := &Container{}
		if err := atomicfile.ReadJSON(filepath.Join(dir, RecordFile), c); err != nil {
			if os.IsNotExist(err) && containerID.MatchString(e.Name()) {
				// A create cut off before its record was saved (the
				// record is written last, atomically): it never answered,
				// so nothing is lost; its half-made directory goes.
				os.RemoveAll(dir)
				continue
			}
			bad = append(bad, err)
			continue
		}
		s.byID[c.ID] = c
		s.names[c.Name] = c.ID
	}
	return s, bad, nil
}

// Dir is the container's data directory.
func (s *Store) Dir(id string) string { return filepath.Join(s.root, id) }

// Save persists c's record. Callers hold c.Mu.
func (s *Store) Save(c *Container) error {
	return atomicfile.WriteJSON(filepath.Join(s.Dir(c.ID), RecordFile), c, 0o600)
}

// ValidateName checks a user-given name the way Docker does.
func ValidateName(name string) error {
	if !validName.MatchString(name) {
		return errdefs.Invalid("Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", strings.TrimPrefix(name, "/"))
	}
	return nil
}

func conflict(name, id string) error {
	return errdefs.Conflict("Conflict. The container name %q is already in use by container %q. You have to remove (or rename) that container to be able to reuse that name.", name, id)
}

// Add reserves c's name and records it in memory; it does not persist.
func (s *Store) Add(c *Container) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.names[c.Name]; ok {
		return conflict(c.Name, id)
	}
	s.byID[c.ID] = c
	s.names[c.Name] = c.ID
	return nil
}

// Rename moves c to newName ("/"-prefixed).
func (s *Store) Rename(c *Container, newName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.names[newName]; ok {
		return conflict(newName, id)
	}
	delete(s.names, c.Name)
	s.names[newName] = c.ID
	c.Name = newName
	return nil
}

// Delete forgets c and removes its directory.
func (s *Store) Delete(c *Container) error {
	s.Forget(c)
	return s.RemoveFiles(c.ID)
}

// Get finds a container by full ID, name (with or without "/") or a unique
// ID prefix, as Docker resolves them.
func (s *Store) Get(ref string) (*Container, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if ref == "" {
		return nil, errdefs.NotFound("No such container: %s", ref)
	}
	if c, ok := s.byID[ref]; ok {
		return c, nil
	}
	name := ref
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	if id, ok := s.names[name]; ok {
		return s.byID[id], nil
	}
	var found *Container
	for id, c := range s.byID {
		if strings.HasPrefix(id, ref) {
			if found != nil {
				return nil, errdefs.Invalid("multiple IDs found with provided prefix: %s", ref)
			}
			found = c
		}
	}
	if found == nil {
		return nil, errdefs.NotFound("No such container: %s", ref)
	}
	return found, nil
}

// List returns every container, newest first.
func (s *Store) List() []*Container {
	s.mu.RLock()
	out := make([]*Container, 0, len(s.byID))
	for _, c := range s.byID {
		out = append(out, c)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out
}
