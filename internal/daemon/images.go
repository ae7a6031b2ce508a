package daemon

import (
	"context"
	"io"
	"path"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/api"
	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/filters"
	"github.com/berth-dev/berth/internal/image"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	apiimage "github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
)

func (d *Daemon) ImageList(ctx context.Context, opts api.ImageListOptions) ([]apiimage.Summary, error) {
	f := opts.Filters
	if err := f.Validate("dangling", "label", "before", "since", "reference", "until"); err != nil {
		return nil, err // no "label!" here, as in Docker
	}
	dangling, err := danglingFilter(f)
	if err != nil {
		return nil, err
	}
	before, since, err := d.imageTimeBounds(f)
	if err != nil {
		return nil, err
	}
	for _, pat := range f.Get("reference") {
		if _, err := path.Match(pat, ""); err != nil {
			return nil, err // "syntax error in pattern", a 500 as in Docker
		}
	}
	out := []apiimage.Summary{}
	counts := d.imageContainerCounts()
	for _, img := range d.images.List() {
		if (!before.IsZero() && !img.Created.Before(before)) || (!since.IsZero() && !img.Created.After(since)) {
			continue
		}
		s := d.images.Summary(img)
		if dangling != nil && *dangling != (len(s.RepoTags) == 0) {
			continue
		}
		if !f.MatchLabels("label", s.Labels) {
			continue
		}
		if refs := f.Get("reference"); len(refs) > 0 {
			// As Docker, an image shows only the names that match.
			s.RepoTags = matchingRefs(refs, s.RepoTags)
			s.RepoDigests = matchingRefs(refs, s.RepoDigests)
			if len(s.RepoTags) == 0 && len(s.RepoDigests) == 0 {
				continue
			}
		}
		s.Containers = int64(counts[img.ID.String()])
		out = append(out, s)
	}
	return out, nil
}

// imageTimeBounds reads the before/since (image names: their creation
// times) and until (a time) filters; several values narrow, as in Docker.
func (d *Daemon) imageTimeBounds(f filters.Args) (before, since time.Time, err error) {
	for _, name := range f.Get("before") {
		img, err := d.images.Resolve(name)
		if err != nil {
			return before, since, err
		}
		if before.IsZero() || img.Created.Before(before) {
			before = img.Created
		}
	}
	for _, v := range f.Get("until") {
		t, err := parseTimeArg(v)
		if err != nil {
			return before, since, err
		}
		if before.IsZero() || t.Before(before) {
			before = t
		}
	}
	for _, name := range f.Get("since") {
		img, err := d.images.Resolve(name)
		if err != nil {
			return before, since, err
		}
		if img.Created.After(since) {
			since = img.Created
		}
	}
	return before, since, nil
}

// matchingRefs keeps the references that one of the patterns matches.
func matchingRefs(patterns, refs []string) []string {
	kept := []string{}
	for _, ref := range refs {
		for _, pat := range patterns {
			if matchReference(pat, ref) {
				kept = append(kept, ref)
				break
			}
		}
	}
	return kept
}

// matchReference matches "name", "name:tag" and shell patterns like "bb*"
// against "name:tag" or "name@digest". A pattern matches the whole
// reference or its name alone (the tag is after the last ':' that follows
// the last '/', so a registry port is not taken for one).
func matchReference(pattern, ref string) bool {
	name := ref
	if i := strings.Index(ref, "@"); i >= 0 {
		name = ref[:i]
	} else if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		name = ref[:i]
	}
	return globMatch(pattern, ref) || globMatch(pattern, name)
}

func (d *Daemon) imageContainerCounts() map[string]int {
	counts := map[string]int{}
	for _, c := range d.containers.List() {
		counts[c.ImageID]++
	}
	return counts
}

func (d *Daemon) ImageInspect(ctx context.Context, name string) (*apiimage.InspectResponse, error) {
	img, err := d.images.Resolve(name)
	if err != nil {
		return nil, err
	}
	return d.images.Inspect(img), nil
}

func (d *Daemon) ImageHistory(ctx context.Context, name string) ([]apiimage.HistoryResponseItem, error) {
	img, err := d.images.Resolve(name)
	if err != nil {
		return nil, err
	}
	return d.images.History(img), nil
}

func (d *Daemon) ImageTag(ctx context.Context, source, repo, tag string) error {
	img, err := d.images.Resolve(source)
	if err != nil {
		return err
	}
	ref := image.JoinRepoTag(repo, tag)
	if err := d.images.Tag(img.ID, ref); err != nil {
		return err
	}
	d.tagEvent(img.ID.String(), ref)
	return nil
}

// tagEvent publishes the "tag" event of ref, named in its familiar form
// ("bb:v2", not "docker.io/library/bb:v2") as Docker names it.
func (d *Daemon) tagEvent(id, ref string) {
	d.imageEvent(events.ActionTag, id, familiarTagged(ref), nil)
}

// familiarTagged is ref as dockerd names a tag it made: familiar, with
// ":latest" when no tag was given ("bb" is "bb:latest").
func familiarTagged(ref string) string {
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		return reference.FamiliarString(reference.TagNameOnly(named))
	}
	return ref
}

// imageUsers snapshots which container uses each image (a running one
// when there are several), for the image store's delete and prune. It is
// taken before the store is locked: start holds a container's lock while it
// reads the store, so asking containers from inside the store's lock would
// deadlock (ABBA).
func (d *Daemon) imageUsers() image.InUseFunc {
	type user struct {
		id      string
		running bool
	}
	users := map[string]user{}
	for _, c := range d.containers.List() {
		c.Mu.Lock()
		img, running := c.ImageID, c.State.Running
		c.Mu.Unlock()
		if u, seen := users[img]; !seen || (running && !u.running) {
			users[img] = user{c.ID, running}
		}
	}
	return func(id digest.Digest) (string, bool) {
		u := users[id.String()]
		return u.id, u.running
	}
}

func (d *Daemon) ImageDelete(ctx context.Context, name string, force, noPrune bool) ([]apiimage.DeleteResponse, error) {
	img, err := d.images.Resolve(name)
	if err != nil {
		return nil, err
	}
	id, labels := img.ID.String(), img.Config.Config.Labels // gone once deleted
	resp, err := d.images.Delete(ctx, name, force, noPrune, d.imageUsers())
	for _, r := range resp {
		switch {
		case r.Untagged != "":
			d.imageEvent(events.ActionUnTag, id, id, labels)
		case r.Deleted == id: // the other Deleted lines are its layers: no events
			d.imageEvent(events.ActionDelete, id, id, labels)
		}
	}
	return resp, err
}

// imageEvent publishes an image event as Docker does: the actor is the
// image's ID, its attributes the image's labels (from the store unless
// given) and "name", which is the image ID again for every action but tag.
func (d *Daemon) imageEvent(action events.Action, id, name string, labels map[string]string) {
	if labels == nil {
		if img, err := d.images.Resolve(id); err == nil {
			labels = img.Config.Config.Labels
		}
	}
	attrs := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		attrs[k] = v
	}
	attrs["name"] = name
	d.events.Publish(events.ImageEventType, action, id, attrs)
}

// refEvent publishes a pull or push event: Docker's actor there is the
// reference itself ("bb:latest", or "bb" for pull -a), named by its
// repository.
func (d *Daemon) refEvent(action events.Action, ref string) {
	name := ref
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		name = reference.FamiliarName(named)
	}
	var labels map[string]string
	if img, err := d.images.Resolve(ref); err == nil {
		labels = img.Config.Config.Labels
	}
	d.imageEvent(action, ref, name, labels)
}

func (d *Daemon) ImagesPrune(ctx context.Context, f filters.Args) (*apiimage.PruneReport, error) {
	if err := f.Validate("dangling", "until", "label", "label!"); err != nil {
		return nil, err
	}
	danglingOnly := true
	if v := f.Get("dangling"); len(v) > 0 && (v[0] == "false" || v[0] == "0") {
		danglingOnly = false
	}
	r, err := d.images.Prune(ctx, danglingOnly, f, d.imageUsers())
	if err == nil {
		d.events.Publish(events.ImageEventType, events.ActionPrune, "", map[string]string{"reclaimed": itoa(int(r.SpaceReclaimed))})
	}
	return r, err
}

func (d *Daemon) ImageImport(ctx context.Context, src io.Reader, repo, tag, message string, changes []string, platform string) (string, error) {
	ref := repo
	if repo != "" {
		ref = image.JoinRepoTag(repo, tag)
	}
	if platform != "" && !strings.HasPrefix(platform, "linux") {
		return "", errdefs.Invalid("operating system is not supported: %s", platform)
	}
	img, err := d.images.Import(ctx, src, image.ImportOptions{Ref: ref, Message: message, Changes: changes, Platform: platform})
	if err != nil {
		return "", err
	}
	id := img.ID.String()
	if ref != "" {
		d.tagEvent(id, ref)
	}
	d.imageEvent(events.ActionImport, id, id, nil)
	return id, nil
}

func (d *Daemon) ImagesSave(ctx context.Context, names []string, w io.Writer) error {
	if err := d.images.Save(ctx, w, names); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, n := range names {
		if img, err := d.images.Resolve(n); err == nil && !seen[img.ID.String()] {
			seen[img.ID.String()] = true
			d.imageEvent(events.ActionSave, img.ID.String(), img.ID.String(), img.Config.Config.Labels)
		}
	}
	return nil
}

func (d *Daemon) ImagesLoad(ctx context.Context, r io.Reader, progress func(string)) error {
	seen := map[string]bool{}
	return d.images.Load(ctx, r, func(line string) {
		// "Loaded image: bb:latest" or "Loaded image ID: sha256:..."
		if _, name, ok := strings.Cut(line, ": "); ok {
			if img, err := d.images.Resolve(name); err == nil && !seen[img.ID.String()] {
				seen[img.ID.String()] = true
				d.imageEvent(events.ActionLoad, img.ID.String(), img.ID.String(), img.Config.Config.Labels)
			}
		}
		progress(line)
	})
}
