// Package events is the engine's event bus: publishers never block, a ring
// buffer answers `events --since`, and each subscriber gets a buffered
// channel that drops (and is closed) if it falls too far behind.
package events

import (
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/filters"
	"github.com/moby/moby/api/types/events"
)

const (
	historySize = 1024
	subBuffer   = 256
)

type subscriber struct {
	ch     chan events.Message
	filter filters.Args
}

// Bus fans events out to subscribers.
type Bus struct {
	mu      sync.Mutex
	history []events.Message
	subs    map[*subscriber]struct{}
}

func New() *Bus { return &Bus{subs: map[*subscriber]struct{}{}} }

// Publish records and delivers one event.
func (b *Bus) Publish(typ events.Type, action events.Action, id string, attrs map[string]string) {
	now := time.Now()
	m := events.Message{
		Type:     typ,
		Action:   action,
		Actor:    events.Actor{ID: id, Attributes: attrs},
		Scope:    "local",
		Time:     now.Unix(),
		TimeNano: now.UnixNano(),
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.history) >= historySize {
		copy(b.history, b.history[1:])
		b.history = b.history[:historySize-1]
	}
	b.history = append(b.history, m)
	for s := range b.subs {
		if !Match(m, s.filter) {
			continue
		}
		select {
		case s.ch <- m:
		default: // too slow: cut it off rather than stall the engine
			close(s.ch)
			delete(b.subs, s)
		}
	}
}

// Subscribe returns the matching past events in [since, until] and, when
// until is zero, a live channel. cancel must be called.
func (b *Bus) Subscribe(since, until time.Time, f filters.Args) ([]events.Message, <-chan events.Message, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var past []events.Message
	if !since.IsZero() {
		for _, m := range b.history {
			t := time.Unix(0, m.TimeNano)
			if t.Before(since) || (!until.IsZero() && t.After(until)) {
				continue
			}
			if Match(m, f) {
				past = append(past, m)
			}
		}
	}
	if !until.IsZero() && !until.After(time.Now()) {
		return past, nil, func() {}
	}
	s := &subscriber{ch: make(chan events.Message, subBuffer), filter: f}
	b.subs[s] = struct{}{}
	var once sync.Once
	return past, s.ch, func() {
		once.Do(func() {
			b.mu.Lock()
			if _, ok := b.subs[s]; ok {
				delete(b.subs, s)
				close(s.ch)
			}
			b.mu.Unlock()
		})
	}
}

// Match applies Docker's event filters: type, event/action, container,
// image, label, and the generic id/name matches.
func Match(m events.Message, f filters.Args) bool {
	if !f.MatchAny("type", string(m.Type)) {
		return false
	}
	if f.Has("event") && !matchAction(f.Get("event"), string(m.Action)) {
		return false
	}
	if f.Has("action") && !matchAction(f.Get("action"), string(m.Action)) {
		return false
	}
	if f.Has("image") && !matchImage(f.Get("image"), m) {
		return false
	}
	name := m.Actor.Attributes["name"]
	for key, typ := range map[string]events.Type{"container": events.ContainerEventType, "volume": events.VolumeEventType, "network": events.NetworkEventType} {
		if !f.Has(key) {
			continue
		}
		if m.Type != typ {
			return false
		}
		ok := false
		for _, v := range f.Get(key) {
			if v == m.Actor.ID || v == name || strings.HasPrefix(m.Actor.ID, v) || v == m.Actor.Attributes["image"] {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return f.MatchLabels("label", m.Actor.Attributes)
}

func matchAction(want []string, action string) bool {
	for _, w := range want {
		// "exec_start: sh" style actions match their prefix, as Docker.
		if w == action || strings.HasPrefix(action, w+":") {
			return true
		}
	}
	return false
}

// matchImage is Docker's image filter: an image event's ID or name, or a
// container event's image, each also without its tag ("bb" matches
// "bb:latest").
func matchImage(want []string, m events.Message) bool {
	attr := "image"
	if m.Type == events.ImageEventType {
		attr = "name"
	}
	name := m.Actor.Attributes[attr]
	for _, w := range want {
		for _, v := range []string{m.Actor.ID, name, stripTag(m.Actor.ID), stripTag(name)} {
			if v != "" && v == w {
				return true
			}
		}
	}
	return false
}

// stripTag drops a ":tag" after the last "/" (a registry's port stays).
func stripTag(ref string) string {
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') && !strings.HasPrefix(ref, "sha256:") {
		return ref[:i]
	}
	return ref
}
