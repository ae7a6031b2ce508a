// Package metrics serves Prometheus metrics for `berth daemon
// --metrics-addr`: the engine's own (API latency, containers by state,
// pulls, builds, events) and per container CPU, memory, network, block I/O,
// restarts, OOM kills and health. Container counters are read from cgroups
// when scraped: no polling loop runs between scrapes.
package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/berth-dev/berth/internal/monitor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "berth"

// Metrics is the daemon's registry.
type Metrics struct {
	reg        *prometheus.Registry
	apiLatency *prometheus.HistogramVec
	builds     *prometheus.CounterVec
	events     *eventCounter
	srv        *http.Server
}

// New registers every collector; src is read at each scrape.
func New(src monitor.Source) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.apiLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "api", Name: "request_duration_seconds",
		Help:    "Engine API request latency by route and HTTP status (streams count until they end).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"method", "route", "status"})
	// Docker emits no event for a build, so builds are counted where they
	// arrive: POST /build requests, by whether the API accepted them (a
	// failing step is reported inside the 200 stream, so "ok" means the
	// build ran, not that it succeeded).
	m.builds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "builds_total", Help: "Image builds requested through POST /build, by HTTP status.",
	}, []string{"status"})
	m.events = newEventCounter(src)
	cc := newContainerCollector(src)
	cc.events = m.events
	m.reg.MustRegister(m.apiLatency, m.builds, m.events, cc,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveRequest records one API request (api.Options.Observe).
func (m *Metrics) ObserveRequest(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.apiLatency.WithLabelValues(method, route, statusText(status)).Observe(d.Seconds())
	if route == "POST /build" {
		m.builds.WithLabelValues(statusText(status)).Inc()
	}
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Serve listens on addr (HOST:PORT) and serves /metrics until Close.
func (m *Metrics) Serve(addr string) (net.Addr, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := m.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			l.Close()
		}
	}()
	return l.Addr(), nil
}

// Close stops the endpoint and the event subscription.
func (m *Metrics) Close(ctx context.Context) {
	m.events.close()
	if m.srv != nil {
		m.srv.Shutdown(ctx)
	}
}

func statusText(code int) string {
	if code == 0 {
		code = http.StatusOK
	}
	return strconv.Itoa(code)
}
