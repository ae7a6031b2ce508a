package image

import (
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// normalize turns "bb" into "docker.io/library/bb:latest".
func normalize(s string) (string, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return "", err
	}
	if _, ok := named.(reference.Digested); ok {
		return "", errdefs.Invalid("digest references are not supported: %s", s)
	}
	return reference.TagNameOnly(named).String(), nil
}

// familiar is the short display form of a normalized reference ("bb:latest").
func familiar(s string) string {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return s
	}
	return reference.FamiliarString(named)
}

// displayRef is how Docker names a missing image: "bb" becomes
// "bb:latest"; IDs and unparsable input are shown as given.
func displayRef(s string) string {
	if strings.HasPrefix(s, "sha256:") {
		return s
	}
	norm, err := normalize(s)
	if err != nil {
		return s
	}
	return familiar(norm)
}

// JoinRepoTag is the reference the API's repo and tag parameters name
// (tag, commit, import): a tag replaces one repo already has ("bb:a" + "b"
// is "bb:b"), as dockerd reads them.
func JoinRepoTag(repo, tag string) string {
	if tag == "" {
		return repo
	}
	if named, err := reference.ParseNormalizedNamed(repo); err == nil {
		if _, digested := named.(reference.Digested); digested {
			return repo // refused as a tag name by what follows, as dockerd refuses it
		}
		return reference.FamiliarName(named) + ":" + tag
	}
	return repo + ":" + tag // not valid either way: the parse that follows says why
}

// newTagRef checks ref as the name of a new tag and normalizes it.
func newTagRef(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", errdefs.Invalid("%s", err.Error())
	}
	if _, ok := named.(reference.Digested); ok {
		return "", errdefs.Invalid("refusing to create a tag with a digest reference")
	}
	if reference.FamiliarName(named) == string(digest.Canonical) {
		return "", errdefs.Invalid("refusing to create an ambiguous tag using digest algorithm as name")
	}
	return reference.TagNameOnly(named).String(), nil
}

// Tag points ref at image id.
func (s *Store) Tag(id digest.Digest, ref string) error {
	norm, err := newTagRef(ref)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	img, ok := s.images[id]
	if !ok {
		return errdefs.NotFound("No such image: %s", id)
	}
	return s.setRefLocked(norm, img)
}

// refTarget is the image a normalized reference names now.
func (s *Store) refTarget(norm string) (digest.Digest, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.refs[norm]
	return id, ok
}

func (s *Store) setRefLocked(norm string, img *Image) error {
	old, had := s.refs[norm]
	s.refs[norm] = img.ID
	if err := s.saveRepos(); err != nil {
		if had {
			s.refs[norm] = old
		} else {
			delete(s.refs, norm)
		}
		return err
	}
	img.LastTagTime = now()
	s.writeRecord(img)
	s.refreshTags()
	return nil
}

// Untag removes ref; not found → NotFound as Docker words it.
func (s *Store) Untag(ref string) error {
	norm, err := normalize(ref)
	if err != nil {
		return errdefs.Invalid("%s", err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.untagLocked(norm, ref)
}

func (s *Store) untagLocked(norm, shown string) error {
	id, ok := s.refs[norm]
	if !ok {
		return errdefs.NotFound("No such image: %s", shown)
	}
	delete(s.refs, norm)
	if err := s.saveRepos(); err != nil {
		s.refs[norm] = id
		return err
	}
	s.refreshTags()
	return nil
}
