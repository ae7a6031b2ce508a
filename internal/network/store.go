package network

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/errdefs"
)

// Store is the set of networks: in memory, and one file per network under
// its directory. Readers get copies, so a record is only changed through
// the Store's methods, each of which saves before it returns.
type Store struct {
	dir  string
	mu   sync.Mutex
	nets map[string]*Record // by ID
}

// Open loads every network record under dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &Store{dir: dir, nets: map[string]*Record{}}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var r Record
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("network record %s: %w", f, err)
		}
		if r.Endpoints == nil {
			r.Endpoints = map[string]*Endpoint{}
		}
		s.nets[r.ID] = &r
	}
	return s, nil
}

// NewID is a 64-hex-digit ID like Docker's.
func NewID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Store) save(r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(s.dir, r.ID+".json"), b, 0o600)
}

func clone(r *Record) *Record {
	b, _ := json.Marshal(r)
	var c Record
	json.Unmarshal(b, &c)
	if c.Endpoints == nil {
		c.Endpoints = map[string]*Endpoint{}
	}
	return &c
}

// lookup finds a network by full ID, exact name, or unique ID prefix, as
// Docker does. s.mu is held.
func (s *Store) lookup(ref string) (*Record, error) {
	if r, ok := s.nets[ref]; ok {
		return r, nil
	}
	for _, r := range s.nets {
		if r.Name == ref {
			return r, nil
		}
	}
	var found *Record
	for id, r := range s.nets {
		if ref != "" && strings.HasPrefix(id, ref) {
			if found != nil {
				return nil, errdefs.Invalid("network %s is ambiguous (%d matches found based on ID prefix)", ref, 2)
			}
			found = r
		}
	}
	if found == nil {
		return nil, errdefs.NotFound("network %s not found", ref)
	}
	return found, nil
}

// Get returns a copy of the network ref names.
func (s *Store) Get(ref string) (*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	return clone(r), nil
}

// List returns copies of all networks, sorted by name.
func (s *Store) List() []*Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Record, 0, len(s.nets))
	for _, r := range s.nets {
		out = append(out, clone(r))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Add records a new network; its name must be free.
func (s *Store) Add(r *Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.nets {
		if o.Name == r.Name {
			return errdefs.Conflict("network with name %s already exists", r.Name)
		}
	}
	if r.Endpoints == nil {
		r.Endpoints = map[string]*Endpoint{}
	}
	if err := s.save(r); err != nil {
		return err
	}
	s.nets[r.ID] = clone(r)
	return nil
}

// Remove deletes a network record.
func (s *Store) Remove(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(filepath.Join(s.dir, id+".json")); err != nil && !os.IsNotExist(err) {
		return err
	}
	delete(s.nets, id)
	return nil
}

// Attach adds (or returns the existing) endpoint of containerID on the
// network, allocating its address on bridge networks, and saves.
func (s *Store) Attach(netID string, ep Endpoint) (*Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.nets[netID]
	if !ok {
		return nil, errdefs.NotFound("network %s not found", netID)
	}
	if old, ok := r.Endpoints[ep.ContainerID]; ok {
		c := *old
		return &c, nil
	}
	if r.IsBridge() {
		if (ep.RequestedIP.IsValid() || ep.RequestedIP6.IsValid()) && r.IsDefaultBridge() {
			return nil, errdefs.Invalid("user specified IP address is supported on user defined networks only")
		}
		ip, err := r.allocate(ep.RequestedIP)
		if err != nil {
			return nil, err
		}
		ep.IP = ip
		if ep.IP6, err = r.allocate6(ep.RequestedIP6, ip); err != nil {
			return nil, err
		}
		if ep.MAC == "" {
			ep.MAC = MACFor(ip)
		}
	}
	ep.ID = NewID()
	c := ep
	r.Endpoints[ep.ContainerID] = &c
	if err := s.save(r); err != nil {
		delete(r.Endpoints, ep.ContainerID)
		return nil, err
	}
	return &ep, nil
}

// Detach removes containerID's endpoint (and frees its address).
func (s *Store) Detach(netID, containerID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.nets[netID]
	if !ok {
		return nil
	}
	if _, ok := r.Endpoints[containerID]; !ok {
		return nil
	}
	delete(r.Endpoints, containerID)
	return s.save(r)
}

// EndpointsOf returns containerID's attachments: network copies paired
// with their endpoint, in network-name order.
func (s *Store) EndpointsOf(containerID string) []Attachment {
	var out []Attachment
	for _, r := range s.List() {
		if ep, ok := r.Endpoints[containerID]; ok {
			out = append(out, Attachment{Net: r, EP: ep})
		}
	}
	return out
}

// Attachment is one container's endpoint with its network.
type Attachment struct {
	Net *Record
	EP  *Endpoint
}

// FreeSubnet picks a /16 (then /20) private subnet that neither another
// network nor a host route (inUse) overlaps, as Docker's default pools.
func (s *Store) FreeSubnet(inUse func(netip.Prefix) bool) (netip.Prefix, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	taken := func(p netip.Prefix) bool {
		for _, r := range s.nets {
			if r.Subnet.IsValid() && r.Subnet.Overlaps(p) {
				return true
			}
		}
		return inUse != nil && inUse(p)
	}
	var candidates []netip.Prefix
	for i := 17; i <= 31; i++ {
		candidates = append(candidates, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(i), 0, 0}), 16))
	}
	for i := 0; i < 256; i += 16 {
		candidates = append(candidates, netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 168, byte(i), 0}), 20))
	}
	for _, p := range candidates {
		if !taken(p) {
			return p, nil
		}
	}
	return netip.Prefix{}, errdefs.Unavailable("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")
}
