package api

import (
	"encoding/json"
	"net/http/httptest"
	"net/netip"
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/network"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// asObject renders a response body the way writeJSON sends it and reads it
// back as a client would.
func asObject(t *testing.T, body any) any {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func inspectAt(t *testing.T, version string) map[string]any {
	t.Helper()
	r := httptest.NewRequest("GET", "/images/x/json", nil)
	r = r.WithContext(withVersion(r.Context(), version))
	img := &image.InspectResponse{
		ID: "sha256:abc", Size: 1234567890123, Comment: "Imported from -",
		Created:    "2026-11-24T08:00:00Z",
		Config:     &dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{Cmd: []string{"sh"}}},
		Descriptor: &ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest},
	}
	body, err := imageInspectJSON(r, img)
	if err != nil {
		t.Fatal(err)
	}
	return asObject(t, body).(map[string]any)
}

func TestImageInspectCarriesEachVersionsFields(t *testing.T) {
	old := inspectAt(t, "1.41")
	for _, k := range []string{"Parent", "DockerVersion", "Author", "Container", "ContainerConfig", "VirtualSize"} {
		if _, ok := old[k]; !ok {
			t.Errorf("1.41: %s missing: %v", k, old)
		}
	}
	if old["VirtualSize"] != float64(1234567890123) || old["Comment"] != "Imported from -" {
		t.Errorf("1.41: VirtualSize %v, Comment %v", old["VirtualSize"], old["Comment"])
	}
	if _, ok := old["Descriptor"]; ok {
		t.Errorf("1.41 has Descriptor (added in 1.48)")
	}
	cfg := old["Config"].(map[string]any)
	if cfg["Hostname"] != "" || cfg["Env"] != nil || cfg["Cmd"].([]any)[0] != "sh" {
		t.Errorf("1.41 Config: %v", cfg)
	}
	if _, ok := cfg["Hostname"]; !ok {
		t.Errorf("1.41 Config lacks the empty legacy members: %v", cfg)
	}

	v150 := inspectAt(t, "1.50")
	if _, ok := v150["Parent"]; !ok {
		t.Errorf("1.50: Parent missing")
	}
	if _, ok := v150["VirtualSize"]; ok {
		t.Errorf("1.50 has VirtualSize (gone in 1.44)")
	}
	cfg = v150["Config"].(map[string]any)
	if _, ok := cfg["WorkingDir"]; !ok {
		t.Errorf("1.50 Config lacks WorkingDir: %v", cfg)
	}
	if _, ok := cfg["Hostname"]; ok {
		t.Errorf("1.50 Config has Hostname (gone in 1.50)")
	}

	cur := inspectAt(t, MaxAPIVersion)
	for _, k := range []string{"Parent", "DockerVersion", "VirtualSize", "Container"} {
		if _, ok := cur[k]; ok {
			t.Errorf("%s: has %s", MaxAPIVersion, k)
		}
	}
	if _, ok := cur["Descriptor"]; !ok {
		t.Errorf("%s: Descriptor missing", MaxAPIVersion)
	}
}

func TestImageListCarriesEachVersionsFields(t *testing.T) {
	list := func(version string) []any {
		r := httptest.NewRequest("GET", "/images/json", nil)
		r = r.WithContext(withVersion(r.Context(), version))
		body, err := imageListJSON(r, []image.Summary{
			{ID: "sha256:a", RepoTags: []string{"a:latest"}, Size: 10, Containers: 2},
			{ID: "sha256:b", Size: 20, Containers: 0},
		})
		if err != nil {
			t.Fatal(err)
		}
		return asObject(t, body).([]any)
	}
	old := list("1.41")
	untagged := old[1].(map[string]any)
	if tags := untagged["RepoTags"].([]any); len(tags) != 1 || tags[0] != "<none>:<none>" {
		t.Errorf("1.41 untagged RepoTags: %v", tags)
	}
	if untagged["VirtualSize"] != float64(20) || untagged["Containers"] != float64(-1) {
		t.Errorf("1.41: %v", untagged)
	}
	cur := list(MaxAPIVersion)
	tagged, untagged := cur[0].(map[string]any), cur[1].(map[string]any)
	if tags := untagged["RepoTags"].([]any); len(tags) != 0 {
		t.Errorf("%s untagged RepoTags: %v", MaxAPIVersion, tags)
	}
	if _, ok := tagged["VirtualSize"]; ok || tagged["Containers"] != float64(2) {
		t.Errorf("%s: %v", MaxAPIVersion, tagged)
	}
}

func TestContainerInspectCarriesTheBridgeAtTopLevelBefore152(t *testing.T) {
	at := func(version string) map[string]any {
		r := httptest.NewRequest("GET", "/containers/x/json", nil)
		r = r.WithContext(withVersion(r.Context(), version))
		c := &container.InspectResponse{
			ID:     "abc",
			Config: &container.Config{Hostname: "h"},
			NetworkSettings: &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{
				"bridge": {EndpointID: "ep1", IPAddress: netip.MustParseAddr("172.18.0.2"), IPPrefixLen: 16,
					Gateway: netip.MustParseAddr("172.18.0.1")},
			}},
		}
		body, err := containerInspectJSON(r, c)
		if err != nil {
			t.Fatal(err)
		}
		return asObject(t, body).(map[string]any)
	}
	ns := at("1.50")["NetworkSettings"].(map[string]any)
	if ns["IPAddress"] != "172.18.0.2" || ns["Gateway"] != "172.18.0.1" || ns["IPPrefixLen"] != float64(16) || ns["EndpointID"] != "ep1" {
		t.Errorf("1.50 NetworkSettings: %v", ns)
	}
	if _, ok := ns["SecondaryIPAddresses"]; !ok {
		t.Errorf("1.50 NetworkSettings lacks the empty legacy members: %v", ns)
	}
	if _, ok := ns["Networks"].(map[string]any)["bridge"]; !ok {
		t.Errorf("1.50 lost Networks: %v", ns)
	}
	ns = at(MaxAPIVersion)["NetworkSettings"].(map[string]any)
	if _, ok := ns["IPAddress"]; ok {
		t.Errorf("%s NetworkSettings has IPAddress: %v", MaxAPIVersion, ns)
	}
}

func TestEventsCarryStatusIDFromBefore152(t *testing.T) {
	ev := events.Message{Type: events.ContainerEventType, Action: events.ActionStart,
		Actor: events.Actor{ID: "abc", Attributes: map[string]string{"image": "bb"}}}
	at := func(version string) map[string]any {
		r := httptest.NewRequest("GET", "/events", nil)
		r = r.WithContext(withVersion(r.Context(), version))
		body, err := eventJSON(r, ev)
		if err != nil {
			t.Fatal(err)
		}
		return asObject(t, body).(map[string]any)
	}
	old := at("1.41")
	if old["status"] != "start" || old["id"] != "abc" || old["from"] != "bb" || old["Action"] != "start" {
		t.Errorf("1.41 event: %v", old)
	}
	if _, ok := at(MaxAPIVersion)["status"]; ok {
		t.Errorf("%s event has status", MaxAPIVersion)
	}
}

func TestEventsContentType(t *testing.T) {
	for _, tc := range []struct {
		version string
		accept  []string
		want    string
	}{
		{"1.41", nil, "application/json"},
		{"1.56", nil, "application/jsonl"},
		{"1.56", []string{"*/*"}, "application/jsonl"},
		{"1.41", []string{"application/json-seq"}, "application/json-seq"},
		// the moby client sends three Accept headers
		{"1.56", []string{"application/jsonl;q=0.2", "application/x-ndjson;q=0.9", "application/json-seq;q=0.5"}, "application/x-ndjson"},
		{"1.56", []string{"application/x-ndjson;q=0, application/json-seq"}, "application/json-seq"},
	} {
		r := httptest.NewRequest("GET", "/events", nil)
		r = r.WithContext(withVersion(r.Context(), tc.version))
		for _, a := range tc.accept {
			r.Header.Add("Accept", a)
		}
		if got := eventsContentType(r); got != tc.want {
			t.Errorf("%s %q: %s, want %s", tc.version, tc.accept, got, tc.want)
		}
	}
}

// dockerd reads "Cmd": "true" as ["true"]; berth's types have []string.
func TestCreateTakesCmdAsOneString(t *testing.T) {
	var b createBody
	if err := json.Unmarshal([]byte(`{"Image":"bb","Cmd":"true","Entrypoint":"/bin/sh","HostConfig":{"Privileged":true}}`), &b); err != nil {
		t.Fatal(err)
	}
	if b.Config == nil || len(b.Config.Cmd) != 1 || b.Config.Cmd[0] != "true" || b.Config.Entrypoint[0] != "/bin/sh" || b.Image != "bb" || !b.HostConfig.Privileged {
		t.Fatalf("decoded %+v %+v", b.Config, b.HostConfig)
	}
	if err := json.Unmarshal([]byte(`{"Image":"bb","Cmd":7}`), &b); err == nil {
		t.Fatal("a number as Cmd was taken")
	}
}

func TestLegacyNetworkingBefore152(t *testing.T) {
	at := func(version, body string) (*container.CreateRequest, error) {
		r := httptest.NewRequest("POST", "/containers/create", nil)
		r = r.WithContext(withVersion(r.Context(), version))
		var b createBody
		if err := json.Unmarshal([]byte(body), &b); err != nil {
			t.Fatal(err)
		}
		req := b.CreateRequest
		if req.HostConfig == nil {
			req.HostConfig = &container.HostConfig{NetworkMode: network.NetworkDefault}
		}
		req.NetworkingConfig = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{}}
		return &req, legacyNetworking(r, &req, b.legacyMAC)
	}
	req, err := at("1.41", `{"Image":"bb","MacAddress":"02:42:ac:11:00:97"}`)
	if err != nil || req.NetworkingConfig.EndpointsConfig["bridge"].MacAddress.String() != "02:42:ac:11:00:97" {
		t.Fatalf("Config.MacAddress at 1.41: %v %+v", err, req.NetworkingConfig.EndpointsConfig)
	}
	if _, err := at("1.41", `{"Image":"bb","MacAddress":"zz"}`); err == nil {
		t.Fatal("a bad MAC was taken")
	}
	if _, err := at("1.41", `{"Image":"bb","MacAddress":"02:42:ac:11:00:97","HostConfig":{"NetworkMode":"host"}}`); err == nil {
		t.Fatal("a MAC with host networking was taken")
	}
	req, err = at(MaxAPIVersion, `{"Image":"bb","MacAddress":"02:42:ac:11:00:97"}`)
	if err != nil || len(req.NetworkingConfig.EndpointsConfig) != 0 {
		t.Fatalf("Config.MacAddress at %s is not read: %v %+v", MaxAPIVersion, err, req.NetworkingConfig.EndpointsConfig)
	}
}

func TestInspectAliasesBefore145(t *testing.T) {
	store := make([]string, 1, 4) // the daemon's record, with room an append could write into
	store[0] = "web"
	at := func(version string) []any {
		r := httptest.NewRequest("GET", "/containers/x/json", nil)
		r = r.WithContext(withVersion(r.Context(), version))
		c := &container.InspectResponse{ID: "0123456789abcdef", Config: &container.Config{Hostname: "h"},
			NetworkSettings: &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{"mynet": {Aliases: store}}}}
		body, err := containerInspectJSON(r, c)
		if err != nil {
			t.Fatal(err)
		}
		nets := asObject(t, body).(map[string]any)["NetworkSettings"].(map[string]any)["Networks"].(map[string]any)
		return nets["mynet"].(map[string]any)["Aliases"].([]any)
	}
	if got := at("1.41"); len(got) != 3 || got[1] != "0123456789ab" || got[2] != "h" {
		t.Errorf("1.41 aliases: %v", got)
	}
	if got := at("1.45"); len(got) != 1 {
		t.Errorf("1.45 aliases: %v", got)
	}
	if spare := store[:2][1]; spare != "" {
		t.Errorf("the record's backing array was written: %q", spare)
	}
}
