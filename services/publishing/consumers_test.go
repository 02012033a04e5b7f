package publishing

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// drainReview waits until the review consumer has handled everything sent
// so far: it sends a clear for a fresh marker article behind them.
func (h *harness) drainReview(marker string) {
	h.t.Helper()
	h.clear(article(marker, 1))
	h.waitStatus(marker, ready)
}

// drainDrafting does the same for the drafting consumer.
func (h *harness) drainDrafting(marker string) {
	h.t.Helper()
	h.drafting(events.ArticleUpdated, article(marker, 1))
	testutil.Eventually(h.t, 10*time.Second, "the drafting marker", func() bool { return h.get(marker) != nil })
}

func TestLaterRevisionsSupersedeTheClearedOne(t *testing.T) {
	h := start(t, "", nil, nil)
	h.clear(article("v1", 1))
	h.waitStatus("v1", ready)

	// The author edits: revision 1 may no longer be published.
	h.drafting(events.ArticleUpdated, article("v1", 2))
	h.waitStatus("v1", unspecified)
	_, err := h.publish("v1", nil)
	wantCode(t, err, codes.FailedPrecondition)

	// A late (redelivered) clear of revision 1 changes nothing.
	h.clear(article("v1", 1), "/late")
	h.drainReview("m1")
	if p := h.get("v1"); p.GetStatus() != unspecified {
		t.Fatalf("stale clear revived revision 1: %v", p)
	}

	// Revision 2 is cleared and published.
	v2 := article("v1", 2)
	v2.Headline = "HEADLINE-TWO"
	h.clear(v2)
	h.waitStatus("v1", ready)
	if _, err := h.publish("v1", nil); err != nil {
		t.Fatal(err)
	}
	h.related("v1", &articlev1.RelatedStory{ArticleId: "other", Headline: "RELATED-KEPT"})
	testutil.Eventually(t, 10*time.Second, "related on the live article", func() bool {
		return len(h.get("v1").GetArticle().GetRelated()) == 1
	})

	// Revision 3 is cleared while 2 is live: 2 stays up until 3 is published.
	v3 := article("v1", 3)
	v3.Headline = "HEADLINE-THREE"
	h.drafting(events.ArticleSubmitted, v3) // the usual order; must not supersede its own clear
	h.clear(v3)
	p := h.waitStatus("v1", ready)
	if p.GetLiveRevision() != 2 || p.GetReadyRevision() != 3 || p.GetArticle().GetHeadline() != "HEADLINE-TWO" {
		t.Fatalf("while 3 waits: %v", p)
	}
	h.drainDrafting("m2")
	if h.get("v1").GetStatus() != ready {
		t.Fatal("the submission of revision 3 superseded its own clear")
	}
	_, page := h.fetch("/articles/v1/council-passes-budget")
	if !strings.Contains(page, "HEADLINE-TWO") || strings.Contains(page, "HEADLINE-THREE") {
		t.Fatal("the page does not show the live revision 2")
	}
	h.clk.Advance(time.Hour)
	p, err = h.publish("v1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.GetLiveRevision() != 3 || p.GetPublishCount() != 2 || !p.GetPublishedAt().AsTime().Equal(t0) {
		t.Fatalf("after publishing 3: %v", p)
	}
	_, page = h.fetch("/articles/v1/council-passes-budget")
	if !strings.Contains(page, "HEADLINE-THREE") || !strings.Contains(page, "RELATED-KEPT") {
		t.Fatalf("revision 3 page lacks its headline or the related stories:\n%s", page)
	}
	if evs := h.published("v1"); len(evs) != 2 || evs[1].GetMeta().GetId() != "v1/3/published/2" {
		t.Fatalf("events: %v", evs)
	}

	// Revision 4 is cleared, then review sends revision 5 back: the live
	// copy stays and the status returns to PUBLISHED.
	h.clear(article("v1", 4))
	h.waitStatus("v1", ready)
	h.emit(events.ChangesRequested, "v1/5/changes", &reviewv1.ChangesRequested{Meta: evMeta("v1", 5, "changes_requested"), Note: "fix"})
	p = h.waitStatus("v1", published)
	if p.GetLiveRevision() != 3 {
		t.Fatalf("after changes requested: %v", p)
	}
	if p, err := h.publish("v1", nil); err != nil || p.GetLiveRevision() != 3 || p.GetPublishCount() != 2 {
		t.Fatalf("publishing with nothing new: %v %v", p, err)
	}
}

func TestSupersededScheduleIsDropped(t *testing.T) {
	h := start(t, "", nil, nil)
	h.clear(article("w1", 1))
	h.waitStatus("w1", ready)
	due := t0.Add(time.Hour)
	if _, err := h.publish("w1", &due); err != nil {
		t.Fatal(err)
	}
	h.drafting(events.ArticleUpdated, article("w1", 2))
	p := h.waitStatus("w1", unspecified)
	if p.GetScheduledAt() != nil {
		t.Fatalf("still scheduled: %v", p)
	}
	testutil.Eventually(t, 5*time.Second, "the schedule key to go", func() bool { _, ok := h.scheduleKey("w1"); return !ok })
	h.clk.Advance(2 * time.Hour)
	settle(t, h.svc)
	if len(h.published("w1")) != 0 || h.get("w1").GetStatus() != unspecified {
		t.Fatal("a superseded schedule fired")
	}
}

func TestWithdrawalOfTheClearedRevision(t *testing.T) {
	h := start(t, "", nil, nil)
	sub := article("k1", 1) // state_seq 10 at submission
	h.drafting(events.ArticleSubmitted, sub)
	h.clear(sub)
	h.waitStatus("k1", ready)

	// The author withdraws the cleared revision (state_seq 12: cleared at
	// 11 in drafting, withdrawn at 12).
	w := article("k1", 1)
	w.StateSeq = 12
	h.drafting(events.ArticleWithdrawn, w)
	h.waitStatus("k1", unspecified)

	// Resubmitted and cleared again at state_seq 13: publishable.
	re := article("k1", 1)
	re.StateSeq = 13
	h.drafting(events.ArticleSubmitted, re)
	h.clear(re)
	h.waitStatus("k1", ready)

	// The old withdrawal, redelivered, does not take the new clear back,
	// and neither does the old clear's redelivery confuse anything.
	h.emit(events.ArticleWithdrawn, "k1/1/withdrawn/12/again", mustWithdrawn(w))
	h.drainDrafting("m3")
	h.clear(sub, "/again")
	h.drainReview("m4")
	if p := h.get("k1"); p.GetStatus() != ready {
		t.Fatalf("after redeliveries: %v", p)
	}
}

func TestClearArrivingAfterALaterEdit(t *testing.T) {
	h := start(t, "", nil, nil)
	// Publishing's review consumer lags: the drafting events for revision 2
	// are handled before the clear of revision 1.
	h.drafting(events.ArticleUpdated, article("g1", 2))
	testutil.Eventually(t, 10*time.Second, "the edit to be recorded", func() bool { return h.get("g1") != nil })
	h.clear(article("g1", 1))
	h.drainReview("m5")
	if p := h.get("g1"); p.GetStatus() != unspecified {
		t.Fatalf("a clear of an already edited revision became publishable: %v", p)
	}
	_, err := h.publish("g1", nil)
	wantCode(t, err, codes.FailedPrecondition)
}

func TestRelatedIsIdempotentAndIgnoredForUnknown(t *testing.T) {
	h := start(t, "", nil, nil)
	h.clear(article("l1", 1))
	h.waitStatus("l1", ready)
	rel := &articlev1.RelatedStory{ArticleId: "o1", Headline: "Other", Url: baseURL + "/articles/o1/other"}
	h.related("l1", rel)
	testutil.Eventually(t, 10*time.Second, "related stored", func() bool { return len(h.get("l1").GetArticle().GetRelated()) == 1 })
	before, err := h.svc.boxes.KV.Get(context.Background(), boxKey("l1"))
	if err != nil {
		t.Fatal(err)
	}
	h.related("l1", rel)         // the same list again
	h.related("unknown-id", rel) // an article publishing never heard of
	h.clear(article("l2-marker", 1))
	h.waitStatus("l2-marker", ready)
	h.related("l2-marker", rel)
	testutil.Eventually(t, 10*time.Second, "the marker's related", func() bool {
		return len(h.get("l2-marker").GetArticle().GetRelated()) == 1
	})
	after, err := h.svc.boxes.KV.Get(context.Background(), boxKey("l1"))
	if err != nil {
		t.Fatal(err)
	}
	if after.Revision() != before.Revision() {
		t.Fatal("the same related list rewrote the box")
	}
	if h.get("unknown-id") != nil {
		t.Fatal("a related update created a publication")
	}
	// Related stories set before publication go live with the article.
	if _, err := h.publish("l1", nil); err != nil {
		t.Fatal(err)
	}
	_, page := h.fetch("/articles/l1/council-passes-budget")
	if !strings.Contains(page, `id="related"`) || !strings.Contains(page, "/articles/o1/other") {
		t.Fatal("related set before publication is missing from the page")
	}
}

// A Related News box is kept apart from the publication (boxKey):
// linking's changes to it leave the publication record alone, yet the
// page, the RPCs, the published event and the page's Last-Modified show
// the latest box, also after a restart.
func TestBoxChangesLeaveThePublication(t *testing.T) {
	dir := t.TempDir()
	keys := testutil.Keys(t)
	h := start(t, dir, keys, nil)
	a := article("bx", 1)
	h.clear(a)
	h.waitStatus("bx", ready)
	h.related("bx", &articlev1.RelatedStory{ArticleId: "o1", Headline: "BOX-BEFORE", Url: baseURL + "/articles/o1/x"})
	testutil.Eventually(t, 10*time.Second, "the box before publication", func() bool {
		return len(h.get("bx").GetArticle().GetRelated()) == 1
	})
	if _, err := h.publish("bx", nil); err != nil {
		t.Fatal(err)
	}
	if ev := h.published("bx"); len(ev) != 1 || ev[0].GetArticle().GetRelated()[0].GetHeadline() != "BOX-BEFORE" {
		t.Fatalf("published event = %v, want the box with the story", ev)
	}
	ctx := context.Background()
	rec, err := h.svc.pubs.KV.Get(ctx, "bx")
	if err != nil {
		t.Fatal(err)
	}
	wasModified := h.get("bx").GetModifiedAt().AsTime()

	h.clk.Advance(time.Minute)
	h.related("bx", &articlev1.RelatedStory{ArticleId: "o2", Headline: "BOX-AFTER", Url: baseURL + "/articles/o2/y"})
	testutil.Eventually(t, 10*time.Second, "the new box", func() bool {
		r := h.get("bx").GetArticle().GetRelated()
		return len(r) == 1 && r[0].GetHeadline() == "BOX-AFTER"
	})
	if now, err := h.svc.pubs.KV.Get(ctx, "bx"); err != nil || now.Revision() != rec.Revision() {
		t.Fatalf("a box change rewrote the publication (revision %d, was %d; %v)", now.Revision(), rec.Revision(), err)
	}
	p := h.get("bx")
	if !p.GetModifiedAt().AsTime().Equal(wasModified.Add(time.Minute)) {
		t.Errorf("modified_at = %v, want the box change at %v", p.GetModifiedAt().AsTime(), wasModified.Add(time.Minute))
	}
	resp, page := h.fetch("/articles/bx/council-passes-budget")
	if !strings.Contains(page, "BOX-AFTER") || strings.Contains(page, "BOX-BEFORE") {
		t.Fatal("the page does not show the latest box")
	}
	if lm := resp.Header.Get("Last-Modified"); lm != wasModified.Add(time.Minute).UTC().Format(http.TimeFormat) {
		t.Errorf("Last-Modified = %q, want the box change", lm)
	}

	h.stop()
	h2 := start(t, dir, keys, h.clk)
	if _, page := h2.fetch("/articles/bx/council-passes-budget"); !strings.Contains(page, "BOX-AFTER") {
		t.Fatal("after a restart the page lost the box")
	}
}

// A first revision's submission that finds its record already stored by
// another writer (here: another Store on the bucket, as another replica
// would have written it; this service has no copy of it) changes nothing
// it should not: the submission is offered as new, the bucket refuses
// it, and it is decided again on the stored record, whose clear stands.
func TestFirstSubmissionFindsARecordWrittenElsewhere(t *testing.T) {
	h := start(t, "", nil, nil)
	ctx := context.Background()
	other := otherWriter(t, h, func() *publishingv1.Publication { return &publishingv1.Publication{} })
	a := article("e1", 1)
	if _, err := other.Update(ctx, "e1", func(cur *publishingv1.Publication, _ bool) (*publishingv1.Publication, []natsx.Event, error) {
		cur.ArticleId = "e1"
		applyCleared(cur, a)
		return cur, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	h.drafting(events.ArticleSubmitted, a)
	h.drainDrafting("m-e1")
	if p := h.get("e1"); p.GetStatus() != ready || p.GetCleared().GetRevision() != 1 || p.GetSeenRevision() != 1 {
		t.Fatalf("after the submission: %v", p)
	}
	h.drafting(events.ArticleSubmitted, article("f1", 1))
	testutil.Eventually(t, 10*time.Second, "a new article's submission to be recorded", func() bool { return h.get("f1") != nil })
	if p := h.get("f1"); p.GetStatus() != unspecified || p.GetSeenRevision() != 1 {
		t.Fatalf("a new article's submission: %v", p)
	}
}

// A box event that says it is linking's first for the article is offered
// to the bucket as new, without a read. A copy stored all the same (here
// by another writer, as one kept past a take-down, or another replica's,
// would be; this service has no copy of it) refuses the create, and the
// new box is stored over it as usual.
func TestFirstBoxOverACopyStoredElsewhere(t *testing.T) {
	h := start(t, "", nil, nil)
	ctx := context.Background()
	other := otherWriter(t, h, func() *linkingv1.RelatedUpdated { return &linkingv1.RelatedUpdated{} })
	kept := &articlev1.RelatedStory{ArticleId: "o1", Headline: "KEPT", Url: baseURL + "/articles/o1/x"}
	if _, err := other.Update(ctx, boxKey("b1"), func(*linkingv1.RelatedUpdated, bool) (*linkingv1.RelatedUpdated, []natsx.Event, error) {
		return &linkingv1.RelatedUpdated{Meta: &articlev1.EventMeta{ArticleId: "b1"}, Related: []*articlev1.RelatedStory{kept}}, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ id, headline string }{{"b1", "OVER-KEPT"}, {"b2", "NEW"}} {
		m := evMeta(c.id, 0, "related", "first")
		h.emit(events.RelatedUpdated, m.Id, &linkingv1.RelatedUpdated{Meta: m, First: true, Related: []*articlev1.RelatedStory{
			{ArticleId: "o2", Headline: c.headline, Url: baseURL + "/articles/o2/y"},
		}})
		testutil.Eventually(t, 10*time.Second, c.id+"'s box stored", func() bool {
			b, err := h.svc.box(ctx, c.id)
			return err == nil && len(b.GetRelated()) == 1 && b.GetRelated()[0].GetHeadline() == c.headline
		})
	}
}

// otherWriter is another Store on the publications bucket, writing as
// another replica would: this service has no copy of what it writes.
func otherWriter[T proto.Message](t *testing.T, h *harness, newT func() T) *natsx.Store[T] {
	t.Helper()
	st, err := natsx.NewStore(context.Background(), h.nats.JS, BucketPublications, 1, newT, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
