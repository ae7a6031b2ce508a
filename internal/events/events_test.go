package events

import (
	"fmt"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/filters"
	"github.com/moby/moby/api/types/events"
)

const webID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestMatch(t *testing.T) {
	ctr := events.Message{Type: events.ContainerEventType, Action: events.ActionStart,
		Actor: events.Actor{ID: webID, Attributes: map[string]string{"name": "web", "image": "busybox", "app": "shop"}}}
	execMsg := events.Message{Type: events.ContainerEventType, Action: "exec_start: sh -c true",
		Actor: events.Actor{ID: webID, Attributes: map[string]string{"name": "web"}}}
	img := events.Message{Type: events.ImageEventType, Action: events.ActionTag,
		Actor: events.Actor{ID: "sha256:abc", Attributes: map[string]string{"name": "busybox:latest"}}}
	tests := []struct {
		name string
		m    events.Message
		f    filters.Args
		want bool
	}{
		{"no filter", ctr, filters.Args{}, true},
		{"type matches", ctr, filters.Args{"type": {"container"}}, true},
		{"type differs", img, filters.Args{"type": {"container"}}, false},
		{"one of types", img, filters.Args{"type": {"container", "image"}}, true},
		{"event matches", ctr, filters.Args{"event": {"start"}}, true},
		{"event differs", ctr, filters.Args{"event": {"die", "stop"}}, false},
		{"action alias", ctr, filters.Args{"action": {"start"}}, true},
		{"exec action by prefix", execMsg, filters.Args{"event": {"exec_start"}}, true},
		{"event is not a plain prefix", ctr, filters.Args{"event": {"sta"}}, false},
		{"container by name", ctr, filters.Args{"container": {"web"}}, true},
		{"container by full ID", ctr, filters.Args{"container": {webID}}, true},
		{"container by ID prefix", ctr, filters.Args{"container": {"0123"}}, true},
		{"container by image", ctr, filters.Args{"container": {"busybox"}}, true},
		{"container other name", ctr, filters.Args{"container": {"db"}}, false},
		{"container filter drops image events", img, filters.Args{"container": {"busybox:latest"}}, false},
		{"image by name", img, filters.Args{"image": {"busybox:latest"}}, true},
		// As Docker: an image filter also matches the events of containers of that image.
		{"image filter matches the image's containers", ctr, filters.Args{"image": {"busybox"}}, true},
		{"image filter drops other images' containers", ctr, filters.Args{"image": {"alpine"}}, false},
		{"image name without its tag", img, filters.Args{"image": {"busybox"}}, true},
		{"label key", ctr, filters.Args{"label": {"app"}}, true},
		{"label key=value", ctr, filters.Args{"label": {"app=shop"}}, true},
		{"label value differs", ctr, filters.Args{"label": {"app=blog"}}, false},
		{"all filters AND", ctr, filters.Args{"type": {"container"}, "event": {"start"}, "container": {"web"}, "label": {"app"}}, true},
		{"one filter fails", ctr, filters.Args{"type": {"container"}, "event": {"die"}, "container": {"web"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(tt.m, tt.f); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func recv(t *testing.T, ch <-chan events.Message) events.Message {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return m
	case <-time.After(2 * time.Second):
		t.Fatal("no event received")
	}
	return events.Message{}
}

func expectNone(t *testing.T, ch <-chan events.Message) {
	t.Helper()
	select {
	case m, ok := <-ch:
		if ok {
			t.Fatalf("unexpected event %s %s", m.Type, m.Action)
		}
		t.Fatal("channel closed unexpectedly")
	default:
	}
}

func TestPublishSubscribeLive(t *testing.T) {
	b := New()
	past, ch, cancel := b.Subscribe(time.Time{}, time.Time{}, filters.Args{"container": {"web"}, "event": {"start"}})
	defer cancel()
	if len(past) != 0 {
		t.Errorf("past = %v without since", past)
	}
	if ch == nil {
		t.Fatal("no live channel without until")
	}
	b.Publish(events.ContainerEventType, events.ActionStart, "dbid", map[string]string{"name": "db"})
	b.Publish(events.ContainerEventType, events.ActionDie, webID, map[string]string{"name": "web"})
	before := time.Now()
	b.Publish(events.ContainerEventType, events.ActionStart, webID, map[string]string{"name": "web"})
	m := recv(t, ch)
	if m.Actor.ID != webID || m.Action != events.ActionStart || m.Type != events.ContainerEventType {
		t.Errorf("got %+v", m)
	}
	if m.Scope != "local" || m.Actor.Attributes["name"] != "web" {
		t.Errorf("scope/attributes = %q/%v", m.Scope, m.Actor.Attributes)
	}
	if m.TimeNano < before.UnixNano() || m.Time != m.TimeNano/1e9 {
		t.Errorf("time = %d / %d, published after %d", m.Time, m.TimeNano, before.UnixNano())
	}
	expectNone(t, ch)
}

func TestCancelClosesChannel(t *testing.T) {
	b := New()
	_, ch, cancel := b.Subscribe(time.Time{}, time.Time{}, nil)
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("received an event after cancel")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("channel not closed by cancel")
	}
	cancel()                                                           // idempotent
	b.Publish(events.ContainerEventType, events.ActionStart, "x", nil) // must not panic on a closed channel
	if len(b.subs) != 0 {
		t.Errorf("%d subscribers left after cancel", len(b.subs))
	}
}

func TestSinceUntilReplay(t *testing.T) {
	b := New()
	pub := func(id string) {
		b.Publish(events.ContainerEventType, events.ActionCreate, id, map[string]string{"name": id})
		time.Sleep(3 * time.Millisecond)
	}
	pub("a")
	t1 := time.Now()
	time.Sleep(3 * time.Millisecond)
	pub("b")
	pub("c")
	t2 := time.Now()
	time.Sleep(3 * time.Millisecond)
	pub("d")

	ids := func(ms []events.Message) string {
		s := ""
		for _, m := range ms {
			s += m.Actor.ID
		}
		return s
	}
	tests := []struct {
		name         string
		since, until time.Time
		f            filters.Args
		want         string
		live         bool
	}{
		{"since only, then live", t1, time.Time{}, nil, "bcd", true},
		{"since and past until", t1, t2, nil, "bc", false},
		{"since with filter", t1, t2, filters.Args{"container": {"c"}}, "c", false},
		{"since far past", time.Unix(1, 0), time.Time{}, nil, "abcd", true},
		{"since in the future", time.Now().Add(time.Hour), time.Time{}, nil, "", true},
		{"until in the future keeps live", t1, time.Now().Add(time.Hour), nil, "bcd", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			past, ch, cancel := b.Subscribe(tt.since, tt.until, tt.f)
			defer cancel()
			if got := ids(past); got != tt.want {
				t.Errorf("replayed %q, want %q", got, tt.want)
			}
			if (ch != nil) != tt.live {
				t.Errorf("live channel = %v, want %v", ch != nil, tt.live)
			}
		})
	}
}

func TestHistoryIsBounded(t *testing.T) {
	b := New()
	for i := 0; i < historySize+10; i++ {
		b.Publish(events.ContainerEventType, events.ActionCreate, fmt.Sprint(i), nil)
	}
	past, _, cancel := b.Subscribe(time.Unix(1, 0), time.Now(), nil)
	cancel()
	if len(past) != historySize {
		t.Fatalf("history holds %d, want %d", len(past), historySize)
	}
	if past[0].Actor.ID != "10" || past[len(past)-1].Actor.ID != fmt.Sprint(historySize+9) {
		t.Errorf("history spans %s..%s, want 10..%d", past[0].Actor.ID, past[len(past)-1].Actor.ID, historySize+9)
	}
}

func TestSlowSubscriberDroppedWithoutBlocking(t *testing.T) {
	b := New()
	_, slow, cancelSlow := b.Subscribe(time.Time{}, time.Time{}, nil)
	defer cancelSlow()
	_, other, cancelOther := b.Subscribe(time.Time{}, time.Time{}, filters.Args{"event": {"die"}})
	defer cancelOther()

	done := make(chan struct{})
	go func() {
		for i := 0; i < subBuffer+50; i++ {
			b.Publish(events.ContainerEventType, events.ActionStart, "x", nil)
		}
		b.Publish(events.ContainerEventType, events.ActionDie, "x", nil)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
	n := 0
	for range slow {
		n++
	}
	if n != subBuffer {
		t.Errorf("slow subscriber got %d events before being closed, want %d", n, subBuffer)
	}
	if m := recv(t, other); m.Action != events.ActionDie {
		t.Errorf("other subscriber got %s, want die", m.Action)
	}
	cancelSlow() // after the bus closed it: must not panic
	b.mu.Lock()
	left := len(b.subs)
	b.mu.Unlock()
	if left != 1 {
		t.Errorf("%d subscribers registered, want 1 (the slow one dropped)", left)
	}
}
