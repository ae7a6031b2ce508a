package image

import (
	"strings"
	"time"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/storage"
)

// Summary is img as GET /images/json lists it.
func (s *Store) Summary(img *Image) image.Summary {
	tags := append([]string{}, img.RepoTags...)
	return image.Summary{
		ID:          img.ID.String(),
		RepoTags:    tags,
		RepoDigests: append([]string{}, img.RepoDigests...),
		Created:     img.Created.Unix(),
		Size:        img.Size,
		Labels:      img.Config.Config.Labels,
		Containers:  -1,
		SharedSize:  -1,
	}
}

// Inspect is img as GET /images/{name}/json returns it.
func (s *Store) Inspect(img *Image) *image.InspectResponse {
	cfg := img.Config.Config
	resp := &image.InspectResponse{
		ID:           img.ID.String(),
		RepoTags:     append([]string{}, img.RepoTags...),
		RepoDigests:  append([]string{}, img.RepoDigests...),
		Author:       img.Config.Author,
		Config:       &cfg,
		Architecture: img.Config.Architecture,
		Variant:      img.Config.Variant,
		Os:           img.Config.OS,
		OsVersion:    img.Config.OSVersion,
		Size:         img.Size,
		RootFS:       image.RootFS{Type: "layers"},
		Metadata:     image.Metadata{LastTagTime: img.LastTagTime},
	}
	if !img.Created.IsZero() {
		resp.Created = img.Created.UTC().Format(time.RFC3339Nano)
	}
	if h := img.Config.History; len(h) > 0 {
		resp.Comment = h[len(h)-1].Comment
	}
	for _, d := range img.Config.RootFS.DiffIDs {
		resp.RootFS.Layers = append(resp.RootFS.Layers, d.String())
	}
	if dirs, err := s.LayerDirs(img); err == nil && len(dirs) > 0 {
		data := map[string]string{"UpperDir": dirs[0]}
		if len(dirs) > 1 {
			data["LowerDir"] = strings.Join(dirs[1:], ":")
		}
		resp.GraphDriver = &storage.DriverData{Name: "overlay2", Data: data}
	}
	return resp
}

// History lists img's history newest first, as docker history shows it.
func (s *Store) History(img *Image) []image.HistoryResponseItem {
	hist := img.Config.History
	var out []image.HistoryResponseItem
	layer := 0
	for _, h := range hist {
		item := image.HistoryResponseItem{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment, Tags: []string{}}
		if h.Created != nil {
			item.Created = h.Created.Unix()
		}
		if !h.EmptyLayer && layer < len(img.ChainIDs) {
			item.Size = s.snaps.Size(img.ChainIDs[layer])
			layer++
		}
		out = append(out, item)
	}
	// Layers without history entries (images from other tools).
	for ; layer < len(img.ChainIDs); layer++ {
		out = append(out, image.HistoryResponseItem{ID: "<missing>", Created: img.Created.Unix(), Size: s.snaps.Size(img.ChainIDs[layer]), Tags: []string{}})
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if len(out) == 0 {
		out = append(out, image.HistoryResponseItem{Created: img.Created.Unix()})
	}
	out[0].ID = img.ID.String()
	out[0].Tags = append([]string{}, img.RepoTags...)
	return out
}
