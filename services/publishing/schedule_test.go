package publishing

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/clock"
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
	// A second one is due after the restart.
	h.clear(article("r2", 1))
	h.waitStatus("r2", ready)
	due2 := t0.Add(3 * time.Hour)
	if _, err := h.publish("r2", &due2); err != nil {
		t.Fatal(err)
	}
	h.stop()

	// A new process, on the same store, whose clock is past the first due
	// time (it was due while everything was down): that schedule fires at
	// once, on start.
	clk := clock.NewFake(t0.Add(time.Hour))
	h2 := start(t, dir, keys, clk)
	p := h2.waitStatus("r1", published)
	if !p.GetPublishedAt().AsTime().Equal(t0.Add(time.Hour)) {
		t.Fatalf("after restart: %v", p)
	}
	if n := len(h2.published("r1")); n != 1 {
		t.Fatalf("%d published events, want 1", n)
	}
	// The other waits for its time on the new process's clock, then fires.
	settle(t, h2.svc)
	if got := h2.get("r2"); got.GetStatus() != scheduled {
		t.Fatalf("fired early after restart: %v", got)
	}
	clk.Set(due2)
	p = h2.waitStatus("r2", published)
	if !p.GetPublishedAt().AsTime().Equal(due2) {
		t.Fatalf("r2 after its time: %v", p)
	}
}

func TestRescheduleAndUnschedule(t *testing.T) {
	h := start(t, "", nil, nil)
	ctx := context.Background()
	h.clear(article("rs1", 1))
	h.waitStatus("rs1", ready)
	due, later := t0.Add(time.Hour), t0.Add(2*time.Hour)
	if _, err := h.publish("rs1", &due); err != nil {
		t.Fatal(err)
	}
	// publish --at again moves the schedule.
	p, err := h.publish("rs1", &later)
	if err != nil || p.GetStatus() != scheduled || !p.GetScheduledAt().AsTime().Equal(later) {
		t.Fatalf("reschedule: %v %v", p, err)
	}
	if v, _ := h.scheduleKey("rs1"); v != "2026-03-02T11:00:00Z" {
		t.Fatalf("schedule key after reschedule = %q", v)
	}

	// Only a publisher may unschedule.
	_, err = h.client.UnscheduleArticle(ctx, &publishingv1.UnscheduleArticleRequest{ArticleId: "rs1"}, h.writer)
	wantCode(t, err, codes.PermissionDenied)
	_, err = h.client.UnscheduleArticle(ctx, &publishingv1.UnscheduleArticleRequest{ArticleId: "nope"}, h.pub)
	wantCode(t, err, codes.NotFound)
	resp, err := h.client.UnscheduleArticle(ctx, &publishingv1.UnscheduleArticleRequest{ArticleId: "rs1"}, h.pub)
	if err != nil {
		t.Fatal(err)
	}
	if p := resp.GetPublication(); p.GetStatus() != ready || p.GetScheduledAt() != nil {
		t.Fatalf("after unscheduling: %v", p)
	}
	if _, ok := h.scheduleKey("rs1"); ok {
		t.Fatal("schedule key left after unscheduling")
	}
	_, err = h.client.UnscheduleArticle(ctx, &publishingv1.UnscheduleArticleRequest{ArticleId: "rs1"}, h.pub)
	wantCode(t, err, codes.FailedPrecondition)

	// Scheduling again at a time used before is a new event, not a
	// duplicate JetStream drops.
	if _, err := h.publish("rs1", &later); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.UnscheduleArticle(ctx, &publishingv1.UnscheduleArticleRequest{ArticleId: "rs1"}, h.pub); err != nil {
		t.Fatal(err)
	}
	sch := decodeAll(h, events.ArticleScheduled, func() *publishingv1.ArticleScheduled { return &publishingv1.ArticleScheduled{} })
	var got []string
	for _, e := range sch {
		got = append(got, e.GetMeta().GetId()+"@"+e.GetPublishAt().AsTime().Format("15:04"))
	}
	if want := []string{"rs1/1/scheduled/1@10:00", "rs1/1/scheduled/2@11:00", "rs1/1/scheduled/4@11:00"}; !slices.Equal(got, want) {
		t.Fatalf("scheduled events %v, want %v", got, want)
	}
	uns := decodeAll(h, events.ArticleUnscheduled, func() *publishingv1.ArticleUnscheduled { return &publishingv1.ArticleUnscheduled{} })
	if len(uns) != 2 || uns[0].GetMeta().GetId() != "rs1/1/unscheduled/3" || !uns[0].GetPublishAt().AsTime().Equal(later) ||
		uns[1].GetMeta().GetId() != "rs1/1/unscheduled/5" {
		t.Fatalf("unscheduled events: %v", uns)
	}

	// Both times pass: nothing fires.
	h.clk.Advance(3 * time.Hour)
	settle(t, h.svc)
	if p := h.get("rs1"); p.GetStatus() != ready || len(h.published("rs1")) != 0 {
		t.Fatalf("an unscheduled publication fired: %v", p)
	}
	// And it can still be published.
	if p, err := h.publish("rs1", nil); err != nil || p.GetStatus() != published {
		t.Fatalf("publish after unscheduling: %v %v", p, err)
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
