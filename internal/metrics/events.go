package metrics

import (
	"strings"
	"sync"

	"github.com/berth-dev/berth/internal/filters"
	"github.com/berth-dev/berth/internal/monitor"
	"github.com/moby/moby/api/types/events"
	"github.com/prometheus/client_golang/prometheus"
)

// eventCounter follows the engine's event bus (no polling: it wakes only
// when something happens) and counts events, image pulls and each
// container's OOM kills.
type eventCounter struct {
	mu       sync.Mutex
	byAction map[[2]string]float64 // {type, action} -> count
	oomKills map[string]float64    // container ID -> OOM kills since the daemon started
	cancel   func()
	stopped  chan struct{}

	eventsDesc, pullsDesc *prometheus.Desc
}

func newEventCounter(src monitor.Source) *eventCounter {
	e := &eventCounter{
		byAction: map[[2]string]float64{}, oomKills: map[string]float64{}, stopped: make(chan struct{}),
		eventsDesc: prometheus.NewDesc(namespace+"_events_total", "Engine events emitted, by object type and action.", []string{"type", "action"}, nil),
		pullsDesc:  prometheus.NewDesc(namespace+"_image_pulls_total", "Images pulled.", nil, nil),
	}
	_, live, cancel := src.SubscribeEvents(zeroTime, zeroTime, filters.Args{})
	e.cancel = cancel
	go e.run(src, live)
	return e
}

func (e *eventCounter) run(src monitor.Source, live <-chan events.Message) {
	for {
		select {
		case <-e.stopped:
			return
		case m, ok := <-live:
			if !ok {
				// The bus cut us off (we fell behind): subscribe again.
				var cancel func()
				_, live, cancel = src.SubscribeEvents(zeroTime, zeroTime, filters.Args{})
				e.mu.Lock()
				e.cancel = cancel
				e.mu.Unlock()
				continue
			}
			e.count(m)
		}
	}
}

// count keeps the action's verb only ("exec_start: sh -c x" counts as
// exec_start) so the label set stays small.
func (e *eventCounter) count(m events.Message) {
	action, _, _ := strings.Cut(string(m.Action), ":")
	e.mu.Lock()
	defer e.mu.Unlock()
	e.byAction[[2]string{string(m.Type), action}]++
	if m.Type == events.ContainerEventType && m.Action == events.ActionOOM {
		e.oomKills[m.Actor.ID]++
	}
	if m.Type == events.ContainerEventType && m.Action == events.ActionDestroy {
		delete(e.oomKills, m.Actor.ID)
	}
}

func (e *eventCounter) oomKillsOf(id string) float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.oomKills[id]
}

func (e *eventCounter) close() {
	select {
	case <-e.stopped:
		return
	default:
	}
	close(e.stopped)
	e.mu.Lock()
	e.cancel()
	e.mu.Unlock()
}

func (e *eventCounter) Describe(ch chan<- *prometheus.Desc) {
	ch <- e.eventsDesc
	ch <- e.pullsDesc
}

func (e *eventCounter) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, v := range e.byAction {
		ch <- prometheus.MustNewConstMetric(e.eventsDesc, prometheus.CounterValue, v, k[0], k[1])
	}
	ch <- prometheus.MustNewConstMetric(e.pullsDesc, prometheus.CounterValue, e.byAction[[2]string{string(events.ImageEventType), string(events.ActionPull)}])
}
