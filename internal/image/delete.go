package image

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/diskusage"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/filters"
	"github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"
)

// InUseFunc reports a container using image id ("" when none) and whether
// it runs. It is called with the store locked, so it must not wait on locks
// held by anyone who reads the store (take a snapshot first).
type InUseFunc func(id digest.Digest) (containerID string, running bool)

func digestOf(s string) digest.Digest { return digest.Digest(s) }

func shortID(s string) string {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func conflict(id digest.Digest, hard bool, msg string) error {
	force := "must be forced"
	if hard {
		force = "cannot be forced"
	}
	return errdefs.Conflict("conflict: unable to delete %s (%s) - %s", shortID(id.String()), force, msg)
}

// isIDRef reports whether refOrID names img by (a prefix of) its ID.
func isIDRef(id digest.Digest, refOrID string) bool {
	p := strings.TrimPrefix(refOrID, "sha256:")
	return p != "" && strings.HasPrefix(id.Encoded(), p) && strings.Trim(p, "0123456789abcdef") == ""
}

// Delete removes an image or one of its references, with Docker's rules.
func (s *Store) Delete(ctx context.Context, refOrID string, force, noPrune bool, inUse InUseFunc) ([]image.DeleteResponse, error) {
	if inUse == nil {
		inUse = func(digest.Digest) (string, bool) { return "", false }
	}
	rel := &release{}
	defer rel.finish() // after the deferred unlock: deletion runs unlocked
	s.mu.Lock()
	defer s.mu.Unlock()
	img := s.resolveLocked(refOrID)
	if img == nil {
		return nil, noSuchImage(refOrID)
	}
	var records []image.DeleteResponse
	ctr, running := inUse(img.ID)
	if rd, ok := digestRef(refOrID); ok {
		return s.deleteRepoDigestLocked(img, rd, ctr, rel)
	}
	byName := false
	if !isIDRef(img.ID, refOrID) {
		norm, err := normalize(refOrID)
		if err != nil {
			return nil, errdefs.Invalid("%s", err.Error())
		}
		byName = true
		if !force && len(img.RepoTags) == 1 && ctr != "" {
			return nil, errdefs.Conflict("conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s", refOrID, shortID(ctr), shortID(img.ID.String()))
		}
		if err := s.untagLocked(norm, refOrID); err != nil {
			return nil, err
		}
		records = append(records, image.DeleteResponse{Untagged: familiar(norm)})
		if len(img.RepoTags) > 0 {
			return records, nil
		}
		// The last name is gone: the image goes too unless a container holds it.
		if ctr != "" {
			return records, nil
		}
	} else if len(img.RepoTags) == 1 {
		if ctr != "" && (running || !force) {
			return nil, conflict(img.ID, running, usedMsg(ctr, running))
		}
		for _, t := range append([]string{}, img.RepoTags...) {
			norm, _ := normalize(t)
			if err := s.untagLocked(norm, t); err != nil {
				return nil, err
			}
			records = append(records, image.DeleteResponse{Untagged: t})
		}
	}
	if !byName {
		switch {
		case ctr != "" && running:
			return nil, conflict(img.ID, true, usedMsg(ctr, true))
		case len(img.RepoTags) > 1 && !force:
			return nil, conflict(img.ID, false, "image is referenced in multiple repositories")
		case ctr != "" && !force:
			return nil, conflict(img.ID, false, usedMsg(ctr, false))
		}
	}
	for _, t := range append([]string{}, img.RepoTags...) {
		norm, _ := normalize(t)
		if err := s.untagLocked(norm, t); err != nil {
			return nil, err
		}
		records = append(records, image.DeleteResponse{Untagged: t})
	}
	deleted, r, err := s.removeImageLocked(img)
	rel.merge(r)
	if err != nil {
		return records, err
	}
	return append(records, deleted...), nil
}

func usedMsg(ctr string, running bool) string {
	if running {
		return "image is being used by running container " + shortID(ctr)
	}
	return "image is being used by stopped container " + shortID(ctr)
}

// removeImageLocked drops the record first (so no record ever points at a
// removed blob), then detaches blobs and snapshots no other image uses
// (releaseLocked). The release's finish, called after unlocking, deletes
// them and reports what the data root loses, record included.
func (s *Store) removeImageLocked(img *Image) ([]image.DeleteResponse, *release, error) {
	recPath := filepath.Join(s.recordsDir(), img.ID.Encoded()+".json")
	freed := diskusage.Allocated(recPath)
	if err := os.Remove(recPath); err != nil && !os.IsNotExist(err) {
		return nil, nil, err
	}
	delete(s.images, img.ID)
	records := []image.DeleteResponse{{Deleted: img.ID.String()}}
	blobs := append([]digest.Digest{img.ID, img.ManifestDigest}, layerDigests(img)...)
	removed, rel, err := s.releaseLocked(blobs, img.Config.RootFS.DiffIDs, img.ChainIDs)
	rel.freed += freed
	for _, c := range removed {
		records = append(records, image.DeleteResponse{Deleted: c.String()})
	}
	return records, rel, err
}

func layerDigests(img *Image) []digest.Digest {
	var out []digest.Digest
	for _, l := range img.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// Prune removes dangling images (or, unless danglingOnly, every image no
// container uses). Filters: dangling, until, label, label!.
func (s *Store) Prune(ctx context.Context, danglingOnly bool, f filters.Args, inUse InUseFunc) (*image.PruneReport, error) {
	if err := f.Validate("dangling", "until", "label", "label!"); err != nil {
		return nil, err
	}
	if inUse == nil {
		inUse = func(digest.Digest) (string, bool) { return "", false }
	}
	for _, v := range f.Get("dangling") {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, errdefs.Invalid("invalid filter 'dangling=%s'", v)
		}
		danglingOnly = b
	}
	var until time.Time
	for _, v := range f.Get("until") {
		t, err := parseTimestamp(v)
		if err != nil {
			return nil, err
		}
		until = t
	}
	report := &image.PruneReport{ImagesDeleted: []image.DeleteResponse{}}
	rel := &release{}
	err := s.pruneLocked(ctx, danglingOnly, until, f, inUse, report, rel)
	// Deleting runs unlocked (see release); the report counts it.
	freed, ferr := rel.finish()
	report.SpaceReclaimed += uint64(freed)
	if err == nil {
		err = ferr
	}
	return report, err
}

// pruneLocked untags and detaches the images Prune selected; rel collects
// what to delete once unlocked.
func (s *Store) pruneLocked(ctx context.Context, danglingOnly bool, until time.Time, f filters.Args, inUse InUseFunc, report *image.PruneReport, rel *release) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, img := range s.images {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if danglingOnly && len(img.RepoTags) > 0 {
			continue
		}
		if !until.IsZero() && !img.Created.Before(until) {
			continue
		}
		labels := img.Config.Config.Labels
		if !f.MatchLabels("label", labels) || (f.Has("label!") && matchesAnyLabel(f.Get("label!"), labels)) {
			continue
		}
		if c, _ := inUse(img.ID); c != "" {
			continue
		}
		for _, t := range append([]string{}, img.RepoTags...) {
			norm, _ := normalize(t)
			s.untagLocked(norm, t)
			report.ImagesDeleted = append(report.ImagesDeleted, image.DeleteResponse{Untagged: t})
		}
		recs, r, err := s.removeImageLocked(img)
		report.ImagesDeleted = append(report.ImagesDeleted, recs...)
		rel.merge(r)
		if err != nil {
			return err
		}
	}
	return nil
}

func matchesAnyLabel(fs []string, labels map[string]string) bool {
	for _, f := range fs {
		k, v, hasV := strings.Cut(f, "=")
		if got, ok := labels[k]; ok && (!hasV || got == v) {
			return true
		}
	}
	return false
}

// parseTimestamp reads Docker's filter times: durations ("24h"), unix
// seconds, RFC 3339 and short date forms.
func parseTimestamp(v string) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return now().Add(-d), nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errdefs.Invalid("failed to parse value as time or duration: %q", v)
}
