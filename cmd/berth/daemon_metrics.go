package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/berth-dev/berth/internal/api"
	"github.com/berth-dev/berth/internal/metrics"
	"github.com/berth-dev/berth/internal/monitor"
)

// startMetrics serves Prometheus metrics on addr (dockerd's --metrics-addr)
// and hooks the API's latency into them. No address: nothing runs.
func startMetrics(addr string, src monitor.Source, opts *api.Options, log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	m := metrics.New(src)
	bound, err := m.Serve(addr)
	if err != nil {
		return nil, fmt.Errorf("metrics-addr %s: %w", addr, err)
	}
	opts.Observe = m.ObserveRequest
	log.Info("serving metrics", "addr", "http://"+bound.String()+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		m.Close(ctx)
	}, nil
}
