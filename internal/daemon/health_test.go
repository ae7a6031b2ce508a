package daemon

import (
	"testing"

	"github.com/berth-dev/berth/internal/container"
	"github.com/berth-dev/berth/internal/filters"
	apicontainer "github.com/moby/moby/api/types/container"
)

func TestHealthSuffixAsDockerPs(t *testing.T) {
	for _, tc := range []struct {
		h    *apicontainer.Health
		want string
	}{
		{nil, ""},
		{&apicontainer.Health{Status: apicontainer.Starting}, " (health: starting)"},
		{&apicontainer.Health{Status: apicontainer.Healthy}, " (healthy)"},
		{&apicontainer.Health{Status: apicontainer.Unhealthy}, " (unhealthy)"},
	} {
		if got := healthSuffix(tc.h); got != tc.want {
			t.Errorf("healthSuffix(%v) = %q, want %q", tc.h, got, tc.want)
		}
	}
}

func TestHealthFilter(t *testing.T) {
	if err := validateHealthFilter(filters.Args{"health": {"healthy", "none", "starting", "unhealthy"}}); err != nil {
		t.Fatal(err)
	}
	err := validateHealthFilter(filters.Args{"health": {"sick"}})
	if err == nil || err.Error() != "Unrecognised filter value for health: sick" {
		t.Fatalf("bad value: %v", err)
	}
	c := &container.Container{}
	if healthStatus(c) != apicontainer.NoHealthcheck {
		t.Fatal("a container without a healthcheck is health=none")
	}
	c.State.Health = &apicontainer.Health{Status: apicontainer.Unhealthy}
	if healthStatus(c) != apicontainer.Unhealthy {
		t.Fatal("status not reported")
	}
}
