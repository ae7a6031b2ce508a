package auth

import "sync"

// syncSet is a concurrent set of strings.
type syncSet struct {
	mu sync.RWMutex
	m  map[string]struct{}
}

func (s *syncSet) has(k string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.m[k]
	return ok
}

func (s *syncSet) add(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]struct{}{}
	}
	if len(s.m) > 10000 { // bound the memory a credential-stuffing client can take
		s.m = map[string]struct{}{}
	}
	s.m[k] = struct{}{}
}
