// Package volume is the local volume driver: one directory per volume,
// DATA_ROOT/volumes/<name>/_data, with its options and labels in a metadata
// file written atomically next to it, so a kill -9 never loses a volume.
package volume

import (
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/errdefs"
)

// DriverName is the only driver: Docker's built-in "local".
const DriverName = "local"

// AnonymousLabel marks volumes made for a container's anonymous mounts;
// Docker (>= 23) uses the same label, and `volume prune` without --all
// removes only volumes that carry it.
const AnonymousLabel = "com.docker.volume.anonymous"

const (
	metaFile = "opts.json"
	dataDir  = "_data"
)

var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// Volume is one volume's persisted record.
type Volume struct {
	Name      string            `json:"name"`
	Driver    string            `json:"driver"`
	Labels    map[string]string `json:"labels,omitempty"`
	Options   map[string]string `json:"options,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
}

// Anonymous reports a volume made for an anonymous mount.
func (v *Volume) Anonymous() bool {
	_, ok := v.Labels[AnonymousLabel]
	return ok
}

// Store holds the volumes under one root.
type Store struct {
	root string
	mu   sync.Mutex
	vols map[string]*Volume
	// removing are volumes Remove is unmounting (remove.go).
	removing map[string]bool
}

// New loads every volume under root. A directory whose metadata file is
// missing (a crash between mkdir and the write) is kept as a plain volume:
// its data matters more than its labels.
func New(root string) (*Store, error) {
	if err := os.MkdirAll(root, 0o701); err != nil {
		return nil, err
	}
	s := &Store{root: root, vols: map[string]*Volume{}, removing: map[string]bool{}}
	sweepTrash(root)
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !e.IsDir() || !validName.MatchString(e.Name()) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		atomicfile.SweepTemps(dir)
		v := &Volume{}
		if err := atomicfile.ReadJSON(filepath.Join(dir, metaFile), v); err != nil || v.Name != e.Name() {
			info, _ := e.Info()
			v = &Volume{Name: e.Name(), Driver: DriverName}
			if info != nil {
				v.CreatedAt = info.ModTime().UTC()
			}
		}
		s.vols[v.Name] = v
	}
	return s, nil
}

// NewAnonymousName is Docker's name for an anonymous volume: 64 hex digits.
func NewAnonymousName() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ValidateName refuses names the local driver cannot hold, with Docker's message.
func ValidateName(name string) error {
	if !validName.MatchString(name) {
		return errdefs.Invalid("create %s: %q includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", name, name)
	}
	return nil
}

// Create makes a volume, or returns the existing one of that name (as
// Docker does: create is idempotent). created reports a new volume.
func (s *Store) Create(name, driver string, opts, labels map[string]string) (v *Volume, created bool, err error) {
	if driver == "" {
		driver = DriverName
	}
	if name == "" {
		name = NewAnonymousName()
	}
	if driver != DriverName {
		return nil, false, errdefs.NotFound("create %s: error looking up volume plugin %s: plugin %q not found", name, driver, driver)
	}
	if err := ValidateName(name); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.vols[name]; ok {
		return v, false, nil
	}
	o, err := parseOptions(opts)
	if err != nil {
		return nil, false, errdefs.Invalid("create %s: %v", name, err)
	}
	dir := filepath.Join(s.root, name)
	if err := os.MkdirAll(filepath.Join(dir, dataDir), 0o755); err != nil {
		return nil, false, err
	}
	v = &Volume{Name: name, Driver: driver, Labels: labels, Options: opts, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	if err := atomicfile.WriteJSON(filepath.Join(dir, metaFile), v, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, false, err
	}
	// A plain directory volume takes the explicit owner now; a mounted one
	// (tmpfs, bind device) when it is mounted.
	if !o.mounted() && o.owner.set() {
		if err := o.owner.apply(filepath.Join(dir, dataDir)); err != nil {
			os.RemoveAll(dir)
			return nil, false, err
		}
	}
	s.vols[name] = v
	return v, true, nil
}

// Get returns the named volume or Docker's "no such volume" error.
func (s *Store) Get(name string) (*Volume, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.vols[name]; ok {
		return v, nil
	}
	return nil, errdefs.NotFound("get %s: no such volume", name)
}

// List returns every volume, sorted by name.
func (s *Store) List() []*Volume {
	s.mu.Lock()
	out := make([]*Volume, 0, len(s.vols))
	for _, v := range s.vols {
		out = append(out, v)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Path is the directory containers see: DATA_ROOT/volumes/<name>/_data.
func (s *Store) Path(name string) string { return filepath.Join(s.root, name, dataDir) }

// Remove unmounts (if the driver mounted it) and deletes the volume's
// directory. Whether containers still use it is the caller's check.
// Only cheap steps run under the store lock (start and exit paths call Get
// while holding a container's lock): the unmount runs with the volume
// marked removing, then the directory is renamed out of the store and the
// volume taken out of the map; the deletion runs unlocked. The rename means
// a crash never leaves a half-deleted volume visible: New sweeps it.
func (s *Store) Remove(name string) error {
	s.mu.Lock()
	if _, ok := s.vols[name]; !ok {
		s.mu.Unlock()
		return errdefs.NotFound("get %s: no such volume", name)
	}
	if s.removing[name] {
		s.mu.Unlock()
		return errdefs.Conflict("remove %s: volume is being removed", name)
	}
	s.removing[name] = true
	s.mu.Unlock()

	if err := unmountIfMounted(s.Path(name)); err != nil {
		s.mu.Lock()
		delete(s.removing, name)
		s.mu.Unlock()
		return errdefs.Conflict("remove %s: %v", name, err)
	}

	s.mu.Lock()
	trash, err := s.detachLocked(name)
	delete(s.removing, name)
	if err == nil {
		delete(s.vols, name)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return removeTrash(trash)
}

// Size is the bytes the volume's files take on disk (blocks, not lengths,
// so that prune reports what df gives back).
func (s *Store) Size(name string) int64 {
	var total int64
	seen := map[[2]uint64]bool{}
	filepath.WalkDir(s.Path(name), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if st, ok := statT(info); ok {
			key := [2]uint64{st.Dev, st.Ino}
			if seen[key] {
				return nil
			}
			seen[key] = true
			total += st.Blocks * 512
			return nil
		}
		total += info.Size()
		return nil
	})
	return total
}

// CreatedString is CreatedAt in the API's RFC 3339 form.
func (v *Volume) CreatedString() string {
	return v.CreatedAt.Format(time.RFC3339)
}

func itoa(n int) string { return strconv.Itoa(n) }
