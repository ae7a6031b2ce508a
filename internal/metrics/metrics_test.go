package metrics

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/events"
	"github.com/berth-dev/berth/internal/filters"
	"github.com/berth-dev/berth/internal/monitor"
	"github.com/moby/moby/api/types/container"
	apievents "github.com/moby/moby/api/types/events"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// fakeSource is the engine seen by the collector: fixed containers and a
// real event bus.
type fakeSource struct {
	bus   *events.Bus
	mu    sync.Mutex
	ctrs  []monitor.Container
	reads int
}

func (f *fakeSource) MonitorContainers() []monitor.Container {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.ctrs
}

func (f *fakeSource) SubscribeEvents(since, until time.Time, fl filters.Args) ([]apievents.Message, <-chan apievents.Message, func()) {
	return f.bus.Subscribe(since, until, fl)
}

func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value finds the sample of family name whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		}
	}
	t.Fatalf("no %s sample with %v", name, want)
	return 0
}

func TestScrapeReadsContainersAndEvents(t *testing.T) {
	stats := &container.StatsResponse{}
	stats.CPUStats.CPUUsage.TotalUsage = 1.5e9
	stats.MemoryStats = container.MemoryStats{Usage: 10 << 20, Limit: 64 << 20, Stats: map[string]uint64{"total_inactive_file": 2 << 20}}
	stats.Networks = map[string]container.NetworkStats{"eth0": {RxBytes: 100, TxBytes: 50}}
	stats.BlkioStats.IoServiceBytesRecursive = []container.BlkioStatEntry{{Op: "Read", Value: 4096}, {Op: "Write", Value: 8192}}
	stats.PidsStats.Current = 3
	src := &fakeSource{bus: events.New(), ctrs: []monitor.Container{
		{ID: "aaa", Name: "web", Image: "nginx", ComposeProject: "shop", State: container.StateRunning, Health: container.Healthy, RestartCount: 2, Stats: stats},
		{ID: "bbb", Name: "old", Image: "busybox", State: container.StateExited},
	}}
	m := New(src)
	defer m.Close(t.Context())
	src.bus.Publish(apievents.ContainerEventType, apievents.ActionOOM, "aaa", nil)
	src.bus.Publish(apievents.ContainerEventType, apievents.Action("exec_start: sh -c true"), "aaa", nil)
	src.bus.Publish(apievents.ImageEventType, apievents.ActionPull, "nginx", nil)
	m.ObserveRequest("GET", "GET /containers/json", 200, 3*time.Millisecond)
	m.ObserveRequest("POST", "POST /build", 200, time.Second)

	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(5 * time.Second)
	for {
		fams = scrape(t, m)
		if f := fams["berth_image_pulls_total"]; f != nil && f.Metric[0].Counter.GetValue() == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	web := map[string]string{"name": "web", "image": "nginx", "compose_project": "shop", "id": "aaa"}
	checks := []struct {
		name string
		want float64
	}{
		{"berth_container_cpu_usage_seconds_total", 1.5},
		{"berth_container_memory_usage_bytes", 10 << 20},
		{"berth_container_memory_working_set_bytes", 8 << 20},
		{"berth_container_memory_limit_bytes", 64 << 20},
		{"berth_container_blkio_read_bytes_total", 4096},
		{"berth_container_blkio_write_bytes_total", 8192},
		{"berth_container_pids", 3},
		{"berth_container_restarts_total", 2},
		{"berth_container_oom_kills_total", 1},
	}
	for _, c := range checks {
		if got := value(t, fams, c.name, web); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	if got := value(t, fams, "berth_container_network_receive_bytes_total", map[string]string{"name": "web", "interface": "eth0"}); got != 100 {
		t.Errorf("rx = %v", got)
	}
	if got := value(t, fams, "berth_container_health_status", map[string]string{"name": "web", "status": "healthy"}); got != 1 {
		t.Errorf("health = %v", got)
	}
	if got := value(t, fams, "berth_containers", map[string]string{"state": "running"}); got != 1 {
		t.Errorf("running = %v", got)
	}
	if got := value(t, fams, "berth_containers", map[string]string{"state": "exited"}); got != 1 {
		t.Errorf("exited = %v", got)
	}
	if got := value(t, fams, "berth_events_total", map[string]string{"type": "container", "action": "exec_start"}); got != 1 {
		t.Errorf("exec_start events = %v", got)
	}
	if got := value(t, fams, "berth_builds_total", map[string]string{"status": "200"}); got != 1 {
		t.Errorf("builds = %v", got)
	}
	h := fams["berth_api_request_duration_seconds"]
	if h == nil || h.Metric[0].Histogram.GetSampleCount() != 1 {
		t.Fatalf("latency histogram: %v", h)
	}
	// A stopped container has no resource series, only its state.
	if f := fams["berth_container_pids"]; len(f.Metric) != 1 {
		t.Errorf("pids series: %d", len(f.Metric))
	}
}
