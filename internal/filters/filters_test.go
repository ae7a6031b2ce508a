package filters

import (
	"reflect"
	"sort"
	"testing"

	"github.com/berth-dev/berth/internal/errdefs"
)

func sorted(a Args) Args {
	for k := range a {
		sort.Strings(a[k])
	}
	return a
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want Args
	}{
		{"empty", "", Args{}},
		{"empty object", "{}", Args{}},
		{"current form", `{"status":{"running":true,"exited":true},"name":{"web":true}}`,
			Args{"status": {"exited", "running"}, "name": {"web"}}},
		{"current form drops false", `{"label":{"a=b":true,"c":false}}`, Args{"label": {"a=b"}}},
		{"legacy form", `{"status":["running","paused"],"id":["abc"]}`,
			Args{"status": {"paused", "running"}, "id": {"abc"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.raw)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.raw, err)
			}
			if !reflect.DeepEqual(sorted(got), tt.want) {
				t.Errorf("Parse(%q) = %v, want %v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, raw := range []string{"{", "not json", `{"status":"running"}`, `["a"]`, `{"status":{"running":"yes"}}`} {
		t.Run(raw, func(t *testing.T) {
			got, err := Parse(raw)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", raw, got)
			}
			if !errdefs.IsInvalid(err) {
				t.Errorf("Parse(%q) error kind = %v, want invalid", raw, errdefs.KindOf(err))
			}
		})
	}
}

func TestHasGet(t *testing.T) {
	a := Args{"name": {"web"}, "empty": {}}
	if !a.Has("name") || a.Has("empty") || a.Has("missing") {
		t.Errorf("Has: name=%v empty=%v missing=%v", a.Has("name"), a.Has("empty"), a.Has("missing"))
	}
	if got := a.Get("name"); !reflect.DeepEqual(got, []string{"web"}) {
		t.Errorf("Get(name) = %v", got)
	}
	if got := a.Get("missing"); got != nil {
		t.Errorf("Get(missing) = %v, want nil", got)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		args    Args
		allowed []string
		wantErr string
	}{
		{"all allowed", Args{"status": {"running"}, "name": {"x"}}, []string{"name", "status", "id"}, ""},
		{"empty args", Args{}, nil, ""},
		{"unknown filter", Args{"bogus": {"x"}}, []string{"name"}, "invalid filter 'bogus'"},
		{"nothing allowed", Args{"name": {"x"}}, nil, "invalid filter 'name'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.args.Validate(tt.allowed...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("Validate error = %v, want %q", err, tt.wantErr)
			}
			if !errdefs.IsInvalid(err) {
				t.Errorf("Validate error kind = %v, want invalid", errdefs.KindOf(err))
			}
		})
	}
}

func TestMatchAny(t *testing.T) {
	a := Args{"status": {"running", "paused"}}
	tests := []struct {
		name, key, v string
		want         bool
	}{
		{"no filter matches all", "type", "anything", true},
		{"one of values", "status", "paused", true},
		{"not among values", "status", "exited", false},
		{"exact only, no prefix", "status", "run", false},
		{"case sensitive", "status", "Running", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.MatchAny(tt.key, tt.v); got != tt.want {
				t.Errorf("MatchAny(%q, %q) = %v, want %v", tt.key, tt.v, got, tt.want)
			}
		})
	}
}

func TestMatchLabels(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "", "env": "a=b"}
	tests := []struct {
		name    string
		filters []string
		want    bool
	}{
		{"no filters", nil, true},
		{"key present", []string{"app"}, true},
		{"key present with empty value", []string{"tier"}, true},
		{"key missing", []string{"db"}, false},
		{"key=value equal", []string{"app=web"}, true},
		{"key=value differs", []string{"app=api"}, false},
		{"key= matches empty value", []string{"tier="}, true},
		{"key= does not match non-empty", []string{"app="}, false},
		{"value containing =", []string{"env=a=b"}, true},
		{"all must match", []string{"app=web", "db"}, false},
		{"all match", []string{"app=web", "tier"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Args{"label": tt.filters}
			if got := a.MatchLabels("label", labels); got != tt.want {
				t.Errorf("MatchLabels(%v) = %v, want %v", tt.filters, got, tt.want)
			}
		})
	}
	if !(Args{"label": {"app"}}).MatchLabels("label!", labels) {
		t.Error("MatchLabels reads a different filter name than asked")
	}
	if (Args{"label": {"app"}}).MatchLabels("label", nil) {
		t.Error("MatchLabels with nil labels matched a key filter")
	}
}
