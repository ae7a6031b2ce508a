package daemon

import (
	"context"
	"io"
	"strings"

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
	if err := f.Validate("dangling", "label", "label!", "before", "since", "reference", "until"); err != nil {
		return nil, err
	}
	out := []apiimage.Summary{}
	counts := d.imageContainerCounts()
	for _, img := range d.images.List() {
		s := d.images.Summary(img)
		if !imageMatches(img, s, f) {
			continue
		}
		s.Containers = int64(counts[img.ID.String()])
		out = append(out, s)
	}
	return out, nil
}

func imageMatches(img *image.Image, s apiimage.Summary, f filters.Args) bool {
	if v := f.Get("dangling"); len(v) > 0 {
		dangling := len(s.RepoTags) == 0
		if (v[0] == "true" || v[0] == "1") != dangling {
			return false
		}
	}
	if !f.MatchLabels("label", s.Labels) || (f.Has("label!") && matchesAnyLabel(f.Get("label!"), s.Labels)) {
		return false
	}
	if refs := f.Get("reference"); len(refs) > 0 {
		ok := false
		for _, pat := range refs {
			for _, t := range s.RepoTags {
				if matchReference(pat, t) {
					ok = true
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchReference matches "name", "name:tag" and shell patterns like "bb*"
// against "name:tag". A pattern matches the whole reference or its name
// without the tag (the tag is after the last ':' that follows the last '/',
// so a registry port is not taken for one).
func matchReference(pattern, ref string) bool {
	name := ref
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
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
	ref := repo
	if tag != "" {
		ref += ":" + tag
	}
	if err := d.images.Tag(img.ID, ref); err != nil {
		return err
	}
	// Docker names the new tag in its familiar form ("bb:v2", not
	// "docker.io/library/bb:v2").
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		ref = reference.FamiliarString(named)
	}
	d.imageEvent(events.ActionTag, ref)
	return nil
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
	id := name
	if img, err := d.images.Resolve(name); err == nil {
		id = img.ID.String()
	}
	resp, err := d.images.Delete(ctx, name, force, noPrune, d.imageUsers())
	for _, r := range resp {
		if r.Untagged != "" {
			d.events.Publish(events.ImageEventType, events.ActionUnTag, id, map[string]string{"name": r.Untagged})
		}
		if r.Deleted != "" {
			d.events.Publish(events.ImageEventType, events.ActionDelete, r.Deleted, map[string]string{"name": r.Deleted})
		}
	}
	return resp, err
}

// imageEvent publishes an image event whose actor is the image's ID, as
// Docker's are, with the name the user gave as an attribute.
func (d *Daemon) imageEvent(action events.Action, name string) {
	id := name
	if img, err := d.images.Resolve(name); err == nil {
		id = img.ID.String()
	}
	d.events.Publish(events.ImageEventType, action, id, map[string]string{"name": name})
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
	if repo != "" && tag != "" {
		ref += ":" + tag
	}
	if platform != "" && !strings.HasPrefix(platform, "linux") {
		return "", errdefs.Invalid("operating system is not supported: %s", platform)
	}
	img, err := d.images.Import(ctx, src, image.ImportOptions{Ref: ref, Message: message, Changes: changes, Platform: platform})
	if err != nil {
		return "", err
	}
	d.events.Publish(events.ImageEventType, events.ActionImport, img.ID.String(), map[string]string{"name": ref})
	return img.ID.String(), nil
}

func (d *Daemon) ImagesSave(ctx context.Context, names []string, w io.Writer) error {
	if err := d.images.Save(ctx, w, names); err != nil {
		return err
	}
	for _, n := range names {
		d.imageEvent(events.ActionSave, n)
	}
	return nil
}

func (d *Daemon) ImagesLoad(ctx context.Context, r io.Reader, progress func(string)) error {
	return d.images.Load(ctx, r, func(line string) {
		// "Loaded image: bb:latest" or "Loaded image ID: sha256:..."
		if _, name, ok := strings.Cut(line, ": "); ok {
			d.imageEvent(events.ActionLoad, name)
		}
		progress(line)
	})
}
