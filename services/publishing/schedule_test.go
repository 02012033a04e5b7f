package publishing

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"

	"newsroom.dev/platform/events"
	"newsroom.dev/platform/testutil"
)

// settle waits until every given service's scheduler has made a full
// pass after this call, so a schedule that was going to fire has fired.
func settle(t *testing.T, svcs ...*Service) {
	t.Helper()
	for _, s := range svcs {
		n := s.passes.Load()
		testutil.Eventually(t, 5*time.Second, "a scheduler pass", func() bool { return s.passes.Load() >= n+2 })
	}
}

// scheduleKey returns the due time stored for id, or false.
func (h *harness) scheduleKey(id string) (string, bool) {
	h.t.Helper()
	e, err := h.svc.sched.Get(context.Background(), id)
	if err == jetstream.ErrKeyNotFound {
		return "", false
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return string(e.Value()), true
}

func TestScheduleFiresWhenTheClockPasses(t *testing.T) {
	h := start(t, "", nil, nil)
	h.clear(article("s1", 1))
	h.waitStatus("s1", ready)

	due := t0.Add(2 * time.Hour)
	p, err := h.publish("s1", &due)
	if err != nil {
		t.Fatal(err)
	}
	if p.GetStatus() != scheduled || !p.GetScheduledAt().AsTime().Equal(due) {
		t.Fatalf("after scheduling: %v", p)
	}
	if v, ok := h.scheduleKey("s1"); !ok || v != "2026-03-02T11:00:00Z" {
		t.Fatalf("schedule key = %q, %v", v, ok)
	}
	if n := len(h.streamMsgs(events.ArticleScheduled)); n != 1 {
		t.Fatalf("%d scheduled events, want 1", n)
	}
	// A time in the past is "now"; not-yet-due does nothing.
	h.clk.Advance(time.Hour)
	settle(t, h.svc)
	if got := h.get("s1"); got.GetStatus() != scheduled || len(h.published("s1")) != 0 {
		t.Fatalf("fired early: %v", got)
	}
	if resp, _ := h.fetch("/articles/s1/council-passes-budget"); resp.StatusCode != 404 {
		t.Fatalf("scheduled story already on the site: %d", resp.StatusCode)
	}

	h.clk.Advance(time.Hour + time.Second)
	p = h.waitStatus("s1", published)
	if !p.GetPublishedAt().AsTime().Equal(due.Add(time.Second)) || p.GetScheduledAt() != nil {
		t.Fatalf("after firing: %v", p)
	}
	evs := h.published("s1")
	if len(evs) != 1 || evs[0].GetMeta().GetActor() != "system" {
		t.Fatalf("published events: %v", evs)
	}
	testutil.Eventually(t, 5*time.Second, "the schedule key to go", func() bool { _, ok := h.scheduleKey("s1"); return !ok })
	if resp, _ := h.fetch("/articles/s1/council-passes-budget"); resp.StatusCode != 200 {
		t.Fatalf("fired story not on the site: %d", resp.StatusCode)
	}
}

func TestPublishNowOverridesSchedule(t *testing.T) {
	h := start(t, "", nil, nil)
	h.clear(article("s2", 1))
	h.waitStatus("s2", ready)
	due := t0.Add(time.Hour)
	if _, err := h.publish("s2", &due); err != nil {
		t.Fatal(err)
	}
	// Rescheduling moves the key; then publishing now clears it.
	later := t0.Add(3 * time.Hour)
	if p, err := h.publish("s2", &later); err != nil || !p.GetScheduledAt().AsTime().Equal(later) {
		t.Fatalf("reschedule: %v %v", p, err)
	}
	if v, _ := h.scheduleKey("s2"); v != "2026-03-02T12:00:00Z" {
		t.Fatalf("schedule key after reschedule = %q", v)
	}
	if p, err := h.publish("s2", nil); err != nil || p.GetStatus() != published {
		t.Fatalf("publish now: %v %v", p, err)
	}
	if _, ok := h.scheduleKey("s2"); ok {
		t.Fatal("schedule key left after publishing now")
	}
	h.clk.Advance(4 * time.Hour)
	settle(t, h.svc)
	if n := len(h.published("s2")); n != 1 {
		t.Fatalf("%d published events, want 1", n)
	}
}

func TestScheduleSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	keys := testutil.Keys(t)
	h := start(t, dir, keys, nil)
	h.clear(article("r1", 1))
	h.waitStatus("r1", ready)
	due := t0.Add(30 * time.Minute)
	if _, err := h.publish("r1", &due); err != nil {
		t.Fatal(err)
	}
	h.stop()

	// A new process, on the same store, whose clock is past the due time:
	// the overdue schedule fires at once.
	h2 := start(t, dir, keys, nil)
	h2.clk.Set(t0.Add(time.Hour))
	p := h2.waitStatus("r1", published)
	if !p.GetPublishedAt().AsTime().Equal(t0.Add(time.Hour)) {
		t.Fatalf("after restart: %v", p)
	}
	if n := len(h2.published("r1")); n != 1 {
		t.Fatalf("%d published events, want 1", n)
	}
}

func TestTwoReplicasPublishOnce(t *testing.T) {
	h := start(t, "", nil, nil)
	// A second replica on the same NATS, with its own clock.
	other, err := New(context.Background(), testutil.Deps(h.nats, h.keys, h.clk), Config{BaseURL: baseURL})
	if err != nil {
		t.Fatal(err)
	}
	_, stop := serve(t, h.keys, other)
	t.Cleanup(stop)

	for _, id := range []string{"x1", "x2", "x3"} {
		h.clear(article(id, 1))
		h.waitStatus(id, ready)
		due := t0.Add(time.Minute)
		if _, err := h.publish(id, &due); err != nil {
			t.Fatal(err)
		}
	}
	h.clk.Advance(2 * time.Minute)
	for _, id := range []string{"x1", "x2", "x3"} {
		h.waitStatus(id, published)
	}
	settle(t, h.svc, other)
	for _, id := range []string{"x1", "x2", "x3"} {
		// Event ids are deterministic, so the stream would hide a double
		// firing; the publish count would not.
		if p := h.get(id); p.GetPublishCount() != 1 {
			t.Errorf("%s: published %d times, want 1", id, p.GetPublishCount())
		}
		if n := len(h.published(id)); n != 1 {
			t.Errorf("%s: %d published events, want 1", id, n)
		}
	}
	// Both replicas serve the same site.
	testutil.Eventually(t, 5*time.Second, "the other replica's index", func() bool { return len(other.live.list()) == 3 })
}

func TestScheduleRejectsBadRequests(t *testing.T) {
	h := start(t, "", nil, nil)
	due := t0.Add(time.Hour)
	_, err := h.publish("nobody", &due)
	wantCode(t, err, codes.NotFound)
	h.drafting(events.ArticleUpdated, article("z1", 1))
	testutil.Eventually(t, 5*time.Second, "the draft to be known", func() bool { return h.get("z1") != nil })
	_, err = h.publish("z1", &due)
	wantCode(t, err, codes.FailedPrecondition)
	if _, ok := h.scheduleKey("z1"); ok {
		t.Fatal("a refused schedule left a key")
	}
}
