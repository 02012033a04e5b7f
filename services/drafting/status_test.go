package drafting

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// Events as review and publishing send them.

func evMeta(id string, rev int64, kind string) *articlev1.EventMeta {
	return &articlev1.EventMeta{Id: events.ID(id, rev, kind), ArticleId: id, Revision: rev, Actor: "system", Time: timestamppb.Now()}
}

func cleared(id string, rev int64, note *articlev1.SensitivityNote) *reviewv1.ArticleCleared {
	return &reviewv1.ArticleCleared{Meta: evMeta(id, rev, "cleared"), Article: &articlev1.Article{Id: id, Revision: rev, SensitivityNote: note}}
}

func changesEv(id string, rev int64) *reviewv1.ChangesRequested {
	return &reviewv1.ChangesRequested{Meta: evMeta(id, rev, "changes_requested"), Note: "Source the second claim."}
}

func scheduledEv(id string, rev int64, at time.Time) *publishingv1.ArticleScheduled {
	return &publishingv1.ArticleScheduled{Meta: evMeta(id, rev, "scheduled"), PublishAt: timestamppb.New(at)}
}

func publishedEv(id string, rev int64, url string, at time.Time) *publishingv1.ArticlePublished {
	return &publishingv1.ArticlePublished{Meta: evMeta(id, rev, "published"), Article: &articlev1.Article{
		Id: id, Revision: rev, PublicUrl: url, PublishedAt: timestamppb.New(at), Status: articlev1.Status_STATUS_PUBLISHED,
	}}
}

func unpublishedEv(id string, rev int64) *publishingv1.ArticleUnpublished {
	return &publishingv1.ArticleUnpublished{Meta: evMeta(id, rev, "unpublished"), Reason: "legal"}
}

// TestStatusFollowsEvents walks one article through review and publishing,
// republication after an edit, and a take-down.
func TestStatusFollowsEvents(t *testing.T) {
	e := newEnv(t)
	a := e.create("Followed", "metro")
	id := a.Id
	s := e.submit(id)

	note := &articlev1.SensitivityNote{Title: "Political sensitivity", Text: "Names a head of state."}
	e.inject(events.StreamReview, events.ArticleCleared, events.ID(id, 1, "cleared", "2"), cleared(id, 1, note))
	r := e.waitStatus(id, articlev1.Status_STATUS_READY)
	if !proto.Equal(r.SensitivityNote, note) || r.StateSeq != s.StateSeq+1 {
		t.Errorf("ready: note %v state_seq %d", r.SensitivityNote, r.StateSeq)
	}

	at := time.Now().Add(time.Hour).Truncate(time.Second)
	e.inject(events.StreamPublishing, events.ArticleScheduled, events.ID(id, 1, "scheduled", "1"), scheduledEv(id, 1, at))
	sc := e.waitStatus(id, articlev1.Status_STATUS_SCHEDULED)
	if !sc.ScheduledAt.AsTime().Equal(at) {
		t.Errorf("scheduled_at %v, want %v", sc.ScheduledAt.AsTime(), at)
	}

	first := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	url := "http://site/articles/" + id + "/followed"
	e.inject(events.StreamPublishing, events.ArticlePublished, events.ID(id, 1, "published", "1"), publishedEv(id, 1, url, first))
	p := e.waitStatus(id, articlev1.Status_STATUS_PUBLISHED)
	if p.PublishedRevision != 1 || p.PublicUrl != url || !p.PublishedAt.AsTime().Equal(first) || p.ScheduledAt != nil {
		t.Errorf("published: %v", p)
	}

	// Editing a live article: a new working revision, the old one stays live.
	d := e.update(p, "Followed, corrected")
	if d.Status != articlev1.Status_STATUS_DRAFT || d.PublishedRevision != 1 || d.PublicUrl != url || !proto.Equal(d.PublishedAt, p.PublishedAt) {
		t.Errorf("edited live article: %v", d)
	}
	// The new revision goes through review and is republished; the first
	// publication time is kept.
	e.submit(id)
	e.inject(events.StreamReview, events.ArticleCleared, events.ID(id, 2, "cleared", "5"), cleared(id, 2, nil))
	r2 := e.waitStatus(id, articlev1.Status_STATUS_READY)
	if r2.SensitivityNote != nil {
		t.Errorf("the cleared revision has no note, but the article keeps %v", r2.SensitivityNote)
	}
	e.inject(events.StreamPublishing, events.ArticlePublished, events.ID(id, 2, "published", "2"), publishedEv(id, 2, url, first.Add(24*time.Hour)))
	p2 := e.waitStatus(id, articlev1.Status_STATUS_PUBLISHED)
	if p2.PublishedRevision != 2 || !p2.PublishedAt.AsTime().Equal(first) {
		t.Errorf("republished: revision %d published_at %v", p2.PublishedRevision, p2.PublishedAt.AsTime())
	}

	// A late take-down of the older publication does nothing...
	e.inject(events.StreamPublishing, events.ArticleUnpublished, events.ID(id, 1, "unpublished", "1"), unpublishedEv(id, 1))
	e.drained(events.StreamPublishing)
	if got := e.get(id); got.Status != articlev1.Status_STATUS_PUBLISHED || got.PublishedRevision != 2 {
		t.Errorf("a stale unpublish moved the article: %v", got)
	}
	// ...the real one takes it down.
	e.inject(events.StreamPublishing, events.ArticleUnpublished, events.ID(id, 2, "unpublished", "2"), unpublishedEv(id, 2))
	u := e.waitStatus(id, articlev1.Status_STATUS_UNPUBLISHED)
	if u.PublishedRevision != 0 {
		t.Errorf("unpublished keeps published_revision %d", u.PublishedRevision)
	}
	// Publishing the cleared revision again puts it back.
	e.inject(events.StreamPublishing, events.ArticlePublished, events.ID(id, 2, "published", "3"), publishedEv(id, 2, url, time.Now()))
	p3 := e.waitStatus(id, articlev1.Status_STATUS_PUBLISHED)
	if p3.PublishedRevision != 2 || !p3.PublishedAt.AsTime().Equal(first) {
		t.Errorf("published again: %v", p3)
	}

	// Every transition made one status event, in order, with its from/to.
	want := [][2]articlev1.Status{
		{articlev1.Status_STATUS_IN_REVIEW, articlev1.Status_STATUS_READY},
		{articlev1.Status_STATUS_READY, articlev1.Status_STATUS_SCHEDULED},
		{articlev1.Status_STATUS_SCHEDULED, articlev1.Status_STATUS_PUBLISHED},
		{articlev1.Status_STATUS_IN_REVIEW, articlev1.Status_STATUS_READY},
		{articlev1.Status_STATUS_READY, articlev1.Status_STATUS_PUBLISHED},
		{articlev1.Status_STATUS_PUBLISHED, articlev1.Status_STATUS_UNPUBLISHED},
		{articlev1.Status_STATUS_UNPUBLISHED, articlev1.Status_STATUS_PUBLISHED},
	}
	got := e.statusChanges()
	if len(got) != len(want) {
		t.Fatalf("%d status events, want %d: %v", len(got), len(want), got)
	}
	for i, ev := range got {
		if ev.From != want[i][0] || ev.To != want[i][1] || ev.Meta.ArticleId != id || ev.Meta.Actor != "system" {
			t.Errorf("status event %d: %v, want %v→%v", i, ev, want[i][0], want[i][1])
		}
	}
	if last := got[len(got)-1]; last.Meta.Id != events.ID(id, 2, "status", fmt.Sprint(p3.StateSeq)) {
		t.Errorf("last status event id %q", last.Meta.Id)
	}
}

func TestChangesRequested(t *testing.T) {
	e := newEnv(t)
	a := e.create("Needs work", "metro")
	e.submit(a.Id)
	e.inject(events.StreamReview, events.ChangesRequested, events.ID(a.Id, 1, "changes_requested", "2"), changesEv(a.Id, 1))
	c := e.waitStatus(a.Id, articlev1.Status_STATUS_CHANGES_REQUESTED)
	// The author's edit keeps the request visible until resubmission.
	u := e.update(c, "Needs work, fixed")
	if u.Status != articlev1.Status_STATUS_CHANGES_REQUESTED {
		t.Errorf("after edit: %v", u.Status)
	}
	if s := e.submit(a.Id); s.Status != articlev1.Status_STATUS_IN_REVIEW || s.Revision != 2 {
		t.Errorf("resubmitted: %v", s)
	}
}

// TestStaleAndDuplicateEvents: an event for an old revision is ignored,
// and the same event delivered twice (even under two message ids, so
// JetStream's dedupe does not catch it) is applied once.
func TestStaleAndDuplicateEvents(t *testing.T) {
	e := newEnv(t)
	a := e.create("Edited under review", "metro")
	e.submit(a.Id)
	if _, err := e.client.WithdrawArticle(e.ctx, &draftingv1.WithdrawArticleRequest{Id: a.Id}, e.writer); err != nil {
		t.Fatal(err)
	}
	b := e.update(e.get(a.Id), "Edited under review, take 2")
	b = e.submit(b.Id)

	// Review clears revision 1, which is no longer the current one.
	e.inject(events.StreamReview, events.ArticleCleared, events.ID(a.Id, 1, "cleared", "2"), cleared(a.Id, 1, nil))
	e.drained(events.StreamReview)
	if got := e.get(a.Id); got.Status != articlev1.Status_STATUS_IN_REVIEW || got.StateSeq != b.StateSeq {
		t.Fatalf("a stale event changed the article: %v", got)
	}

	// The clearance of revision 2, twice.
	ev := cleared(a.Id, 2, &articlev1.SensitivityNote{Title: "t", Text: "x"})
	e.inject(events.StreamReview, events.ArticleCleared, "dup/1", ev)
	e.inject(events.StreamReview, events.ArticleCleared, "dup/2", ev)
	e.drained(events.StreamReview)
	got := e.get(a.Id)
	if got.Status != articlev1.Status_STATUS_READY || got.StateSeq != b.StateSeq+1 {
		t.Errorf("after a duplicate: status %v state_seq %d, want READY %d", got.Status, got.StateSeq, b.StateSeq+1)
	}
	if n := len(e.statusChanges()); n != 1 {
		t.Errorf("%d status events, want 1", n)
	}

	// Changes requested for a revision already cleared: not from IN_REVIEW.
	e.inject(events.StreamReview, events.ChangesRequested, "late/cr", changesEv(a.Id, 2))
	// Published twice: applied once.
	url := "http://site/x"
	pub := publishedEv(a.Id, 2, url, time.Now())
	e.inject(events.StreamPublishing, events.ArticlePublished, "p/1", pub)
	e.inject(events.StreamPublishing, events.ArticlePublished, "p/2", pub)
	e.drained(events.StreamReview)
	e.drained(events.StreamPublishing)
	got = e.get(a.Id)
	if got.Status != articlev1.Status_STATUS_PUBLISHED || got.StateSeq != b.StateSeq+2 {
		t.Errorf("status %v state_seq %d, want PUBLISHED %d", got.Status, got.StateSeq, b.StateSeq+2)
	}
	if n := len(e.statusChanges()); n != 2 {
		t.Errorf("%d status events, want 2", n)
	}
}

// TestPublishedAfterEdit: the publication of a revision the newsroom has
// since edited records what is live but leaves the status alone.
func TestPublishedAfterEdit(t *testing.T) {
	e := newEnv(t)
	a := e.create("Race", "metro")
	e.submit(a.Id)
	e.inject(events.StreamReview, events.ArticleCleared, "c1", cleared(a.Id, 1, nil))
	r := e.waitStatus(a.Id, articlev1.Status_STATUS_READY)
	d := e.update(r, "Race, edited before publication landed")
	e.inject(events.StreamPublishing, events.ArticlePublished, "p1", publishedEv(a.Id, 1, "http://site/race", time.Now()))
	waitFor(t, e, a.Id, func(g *articlev1.Article) bool { return g.PublishedRevision == 1 })
	got := e.get(a.Id)
	if got.Status != articlev1.Status_STATUS_DRAFT || got.Revision != d.Revision || got.PublicUrl != "http://site/race" || got.PublishedAt == nil {
		t.Errorf("after a late publication: %v", got)
	}
	if n := len(e.statusChanges()); n != 1 { // only IN_REVIEW→READY
		t.Errorf("%d status events, want 1", n)
	}
	// Unpublished while edited: the live revision is gone, the draft stays a draft.
	e.inject(events.StreamPublishing, events.ArticleUnpublished, "u1", unpublishedEv(a.Id, 1))
	waitFor(t, e, a.Id, func(g *articlev1.Article) bool { return g.PublishedRevision == 0 })
	if got := e.get(a.Id); got.Status != articlev1.Status_STATUS_DRAFT {
		t.Errorf("status %v after unpublish of an edited article", got.Status)
	}
}

// TestMalformedEventDeadLettered: an event that does not decode goes to the
// DLQ at once and does not block the ones behind it.
func TestMalformedEventDeadLettered(t *testing.T) {
	e := newEnv(t)
	a := e.create("After poison", "metro")
	e.submit(a.Id)
	e.inject(events.StreamReview, events.ArticleCleared, "bad/1", &reviewv1.ArticleCleared{Meta: &articlev1.EventMeta{ArticleId: "not an id", Revision: 1}})
	if _, err := e.nats.JS.Publish(e.ctx, events.ChangesRequested, []byte{0xff, 0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	e.inject(events.StreamReview, events.ArticleCleared, "good/1", cleared(a.Id, 1, nil))
	e.waitStatus(a.Id, articlev1.Status_STATUS_READY)
	waitDLQ(t, e, 2)
}

func unscheduledEv(id string, rev int64, at time.Time) *publishingv1.ArticleUnscheduled {
	return &publishingv1.ArticleUnscheduled{Meta: evMeta(id, rev, "unscheduled"), PublishAt: timestamppb.New(at)}
}

// TestRescheduleAndUnschedule: a second scheduled event moves the time, an
// unscheduled one brings the article back to READY, where it can be
// withdrawn and edited again.
func TestRescheduleAndUnschedule(t *testing.T) {
	e := newEnv(t)
	a := e.create("Planned", "metro")
	id := a.Id
	e.submit(id)
	e.inject(events.StreamReview, events.ArticleCleared, events.ID(id, 1, "cleared", "2"), cleared(id, 1, nil))
	e.waitStatus(id, articlev1.Status_STATUS_READY)

	first := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	e.inject(events.StreamPublishing, events.ArticleScheduled, events.ID(id, 1, "scheduled", "1"), scheduledEv(id, 1, first))
	e.waitStatus(id, articlev1.Status_STATUS_SCHEDULED)
	second := first.Add(3 * time.Hour)
	e.inject(events.StreamPublishing, events.ArticleScheduled, events.ID(id, 1, "scheduled", "2"), scheduledEv(id, 1, second))
	waitFor(t, e, id, func(g *articlev1.Article) bool { return g.ScheduledAt.AsTime().Equal(second) })
	if got := e.get(id); got.Status != articlev1.Status_STATUS_SCHEDULED {
		t.Fatalf("rescheduled: %v", got)
	}
	// Scheduled articles cannot be edited or withdrawn until unscheduled.
	_, err := e.client.WithdrawArticle(e.ctx, &draftingv1.WithdrawArticleRequest{Id: id}, e.writer)
	wantCode(t, err, codes.FailedPrecondition, "")

	// An unscheduled event for another revision is late and ignored.
	e.inject(events.StreamPublishing, events.ArticleUnscheduled, events.ID(id, 7, "unscheduled", "3"), unscheduledEv(id, 7, second))
	e.drained(events.StreamPublishing)
	if got := e.get(id); got.Status != articlev1.Status_STATUS_SCHEDULED {
		t.Fatalf("a stale unscheduled event moved the article: %v", got)
	}
	e.inject(events.StreamPublishing, events.ArticleUnscheduled, events.ID(id, 1, "unscheduled", "3"), unscheduledEv(id, 1, second))
	r := e.waitStatus(id, articlev1.Status_STATUS_READY)
	if r.ScheduledAt != nil {
		t.Errorf("unscheduled article keeps scheduled_at %v", r.ScheduledAt)
	}
	if _, err := e.client.WithdrawArticle(e.ctx, &draftingv1.WithdrawArticleRequest{Id: id}, e.writer); err != nil {
		t.Fatalf("withdraw after unscheduling: %v", err)
	}
	want := []articlev1.Status{articlev1.Status_STATUS_READY, articlev1.Status_STATUS_SCHEDULED, articlev1.Status_STATUS_READY}
	got := e.statusChanges()
	if len(got) != len(want) {
		t.Fatalf("%d status events, want %d: %v", len(got), len(want), got)
	}
	for i, ev := range got {
		if ev.To != want[i] {
			t.Errorf("status event %d to %v, want %v", i, ev.To, want[i])
		}
	}
}

// TestUnpublishWhileANewerRevisionWaits: the live copy comes down while the
// next revision is READY (or was SCHEDULED and publishing called that off
// first): the article keeps its status and loses its live revision.
func TestUnpublishWhileANewerRevisionWaits(t *testing.T) {
	e := newEnv(t)
	a := e.create("Live then corrected", "metro")
	id := a.Id
	e.submit(id)
	e.inject(events.StreamReview, events.ArticleCleared, events.ID(id, 1, "cleared", "2"), cleared(id, 1, nil))
	r := e.waitStatus(id, articlev1.Status_STATUS_READY)
	e.inject(events.StreamPublishing, events.ArticlePublished, events.ID(id, 1, "published", "1"), publishedEv(id, 1, "http://site/x", time.Now()))
	p := e.waitStatus(id, articlev1.Status_STATUS_PUBLISHED)
	if p.PublishedRevision != r.Revision {
		t.Fatalf("published: %v", p)
	}
	e.update(p, "Live then corrected, take 2")
	e.submit(id)
	e.inject(events.StreamReview, events.ArticleCleared, events.ID(id, 2, "cleared", "5"), cleared(id, 2, nil))
	e.waitStatus(id, articlev1.Status_STATUS_READY)
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	e.inject(events.StreamPublishing, events.ArticleScheduled, events.ID(id, 2, "scheduled", "1"), scheduledEv(id, 2, at))
	e.waitStatus(id, articlev1.Status_STATUS_SCHEDULED)

	// Publishing's take-down: unscheduled for revision 2, then unpublished
	// for the live revision 1.
	e.inject(events.StreamPublishing, events.ArticleUnscheduled, events.ID(id, 2, "unscheduled", "2"), unscheduledEv(id, 2, at))
	e.inject(events.StreamPublishing, events.ArticleUnpublished, events.ID(id, 1, "unpublished", "1"), unpublishedEv(id, 1))
	u := waitArticle(t, e, id, func(g *articlev1.Article) bool { return g.PublishedRevision == 0 })
	if u.Status != articlev1.Status_STATUS_READY || u.Revision != 2 || u.ScheduledAt != nil {
		t.Fatalf("after the take-down: %v", u)
	}
	// Revision 2 may go up later.
	e.inject(events.StreamPublishing, events.ArticlePublished, events.ID(id, 2, "published", "2"), publishedEv(id, 2, "http://site/x", time.Now()))
	if p := e.waitStatus(id, articlev1.Status_STATUS_PUBLISHED); p.PublishedRevision != 2 {
		t.Fatalf("republished: %v", p)
	}
}

// TestImportedAndCorrectedPublications: an archive import's ArticlePublished
// names no article of drafting's and is ignored, whatever its id; the
// corrections a publication carries are copied onto the article.
func TestImportedAndCorrectedPublications(t *testing.T) {
	e := newEnv(t)
	imp := publishedEv("imp-0123456789abcdef0123", 1, "http://site/old", time.Now())
	e.inject(events.StreamPublishing, events.ArticlePublished, "imp/1", &publishingv1.ArticlePublished{Meta: imp.Meta, Article: imp.Article, Imported: true})

	a := e.create("Corrected later", "metro")
	id := a.Id
	e.submit(id)
	e.inject(events.StreamReview, events.ArticleCleared, events.ID(id, 1, "cleared", "2"), cleared(id, 1, nil))
	e.waitStatus(id, articlev1.Status_STATUS_READY)
	e.inject(events.StreamPublishing, events.ArticlePublished, events.ID(id, 1, "published", "1"), publishedEv(id, 1, "http://site/c", time.Now()))
	e.waitStatus(id, articlev1.Status_STATUS_PUBLISHED)
	again := publishedEv(id, 1, "http://site/c", time.Now())
	again.Article.Corrections = []*articlev1.Correction{{Sequence: 1, Text: "Fixed a name.", Time: timestamppb.Now()}}
	e.inject(events.StreamPublishing, events.ArticlePublished, events.ID(id, 1, "published", "2"), again)
	got := waitArticle(t, e, id, func(g *articlev1.Article) bool { return len(g.Corrections) == 1 })
	if got.Corrections[0].Text != "Fixed a name." || got.Status != articlev1.Status_STATUS_PUBLISHED {
		t.Fatalf("corrected: %v", got)
	}
	e.drained(events.StreamPublishing)
	if n := dlqCount(t, e); n != 0 {
		t.Fatalf("%d dead letters; the import's event must be acked quietly", n)
	}
}

// waitArticle polls until cond holds for the article and returns it.
func waitArticle(t *testing.T, e *env, id string, cond func(*articlev1.Article) bool) *articlev1.Article {
	t.Helper()
	var a *articlev1.Article
	testutil.Eventually(t, 10*time.Second, "article "+id, func() bool { a = e.get(id); return cond(a) })
	return a
}

// dlqCount is how many messages drafting-status dead-lettered.
func dlqCount(t *testing.T, e *env) uint64 {
	t.Helper()
	s, err := e.nats.JS.Stream(e.ctx, natsx.DLQStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	subject := natsx.DLQSubject + "." + StatusConsumer
	info, err := s.Info(e.ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[subject]
}

// TestLateEventsOfAnEarlierPublication: one revision goes up, down and up
// again; the first publication and its take-down, delivered again after
// that (a lost ack, a consumer restart), must not take the story down or
// change anything.
func TestLateEventsOfAnEarlierPublication(t *testing.T) {
	e := newEnv(t)
	a := e.create("Up, down and up", "metro")
	e.submit(a.Id)
	e.inject(events.StreamReview, events.ArticleCleared, "c1", cleared(a.Id, 1, nil))
	e.waitStatus(a.Id, articlev1.Status_STATUS_READY)

	numbered := func(n int32) (*publishingv1.ArticlePublished, *publishingv1.ArticleUnpublished) {
		p := publishedEv(a.Id, 1, "http://site/up", time.Now())
		p.Publication = n
		u := unpublishedEv(a.Id, 1)
		u.Publication = n
		return p, u
	}
	pub1, down1 := numbered(1)
	pub2, _ := numbered(2)
	e.inject(events.StreamPublishing, events.ArticlePublished, "p1", pub1)
	e.waitStatus(a.Id, articlev1.Status_STATUS_PUBLISHED)
	e.inject(events.StreamPublishing, events.ArticleUnpublished, "u1", down1)
	e.waitStatus(a.Id, articlev1.Status_STATUS_UNPUBLISHED)
	// A late copy of publication 1 after its take-down stays down.
	e.inject(events.StreamPublishing, events.ArticlePublished, "p1-late", pub1)
	e.drained(events.StreamPublishing)
	if got := e.get(a.Id); got.Status != articlev1.Status_STATUS_UNPUBLISHED || got.PublishedRevision != 0 {
		t.Fatalf("a late publication put a taken-down story back: %v", got)
	}
	e.inject(events.StreamPublishing, events.ArticlePublished, "p2", pub2)
	up := e.waitStatus(a.Id, articlev1.Status_STATUS_PUBLISHED)
	if up.Publication != 2 || up.PublishedRevision != 1 {
		t.Fatalf("republished: %v", up)
	}
	// Late copies of publication 1 and its take-down change nothing.
	e.inject(events.StreamPublishing, events.ArticleUnpublished, "u1-late", down1)
	e.inject(events.StreamPublishing, events.ArticlePublished, "p1-later", pub1)
	e.drained(events.StreamPublishing)
	got := e.get(a.Id)
	if got.Status != articlev1.Status_STATUS_PUBLISHED || got.StateSeq != up.StateSeq || got.Publication != 2 {
		t.Fatalf("late events of publication 1 changed the republished story: %v", got)
	}
	// Status events: READY, PUBLISHED, UNPUBLISHED, PUBLISHED.
	if n := len(e.statusChanges()); n != 4 {
		t.Errorf("%d status events, want 4", n)
	}
}
