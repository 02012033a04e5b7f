package drafting

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// TestRestartKeepsState stops the service and NATS mid-flow (an article in
// review), lets review clear it while drafting is down, and starts both
// again on the same store: the state is intact and the missed event is
// applied.
func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	keys := testutil.Keys(t)
	var a, b, other *articlev1.Article
	if !t.Run("before", func(t *testing.T) {
		e := start(t, dir, keys)
		a = e.create("Survives restarts", "metro")
		b = e.update(a, "Survives restarts, revised")
		b = e.submit(b.Id)
		other = e.create("Still a draft", "sport")
	}) {
		return
	}
	if !t.Run("down", func(t *testing.T) {
		n := testutil.StartNATS(t, dir)
		ctx := context.Background()
		if _, err := natsx.EnsureStream(ctx, n.JS, events.StreamReview, events.StreamSubjects("review"), 1); err != nil {
			t.Fatal(err)
		}
		if err := natsx.Publish(ctx, n.JS, natsx.Event{Subject: events.ArticleCleared, ID: events.ID(b.Id, 2, "cleared", "3"), Msg: cleared(b.Id, 2, nil)}); err != nil {
			t.Fatal(err)
		}
	}) {
		return
	}
	t.Run("after", func(t *testing.T) {
		e := start(t, dir, keys)
		if got := e.get(other.Id); !proto.Equal(got, other) {
			t.Errorf("after restart: %v\nwant %v", got, other)
		}
		r := e.waitStatus(b.Id, articlev1.Status_STATUS_READY)
		if r.Revision != 2 || r.Headline != b.Headline || r.StateSeq != b.StateSeq+1 {
			t.Errorf("after restart: %v", r)
		}
		revs, err := e.client.ListRevisions(e.ctx, &draftingv1.ListRevisionsRequest{Id: a.Id}, e.reviewer)
		if err != nil || len(revs.Revisions) != 2 || !proto.Equal(revs.Revisions[0], a) {
			t.Fatalf("revisions after restart: %v %v", revs, err)
		}
		list, err := e.client.ListArticles(e.ctx, &draftingv1.ListArticlesRequest{}, e.reviewer)
		if err != nil || len(list.Articles) != 2 || list.Articles[0].Id != other.Id {
			t.Fatalf("list after restart: %v %v", list, err)
		}
		// Work goes on: the optimistic lock still knows the revision.
		_, err = e.client.WithdrawArticle(e.ctx, &draftingv1.WithdrawArticleRequest{Id: b.Id}, e.writer)
		if err != nil {
			t.Fatal(err)
		}
		if c := e.update(e.get(b.Id), "Third take"); c.Revision != 3 {
			t.Errorf("revision %d after restart, want 3", c.Revision)
		}
		// The restart re-sent nothing already sent.
		if n := e.count(events.ArticleCreated); n != 2 {
			t.Errorf("%d created events, want 2", n)
		}
		if n := e.count(events.ArticleSubmitted); n != 1 {
			t.Errorf("%d submitted events, want 1", n)
		}
	})
}

// TestOutboxRecovery: a writer stores a new revision but dies before
// publishing its event (here: the stream is missing, so the publish
// fails). The outbox keeps the event; the service's recovery loop, on
// restart, publishes it, and the revision log consumer then writes the
// snapshot the writer never got to.
func TestOutboxRecovery(t *testing.T) {
	dir := t.TempDir()
	keys := testutil.Keys(t)
	var a *articlev1.Article
	var ev *draftingv1.ArticleUpdated
	if !t.Run("crash", func(t *testing.T) {
		e := start(t, dir, keys)
		a = e.create("Outboxed", "metro")
		if err := e.nats.JS.DeleteStream(e.ctx, events.StreamDrafting); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(e.ctx, 300*time.Millisecond)
		defer cancel()
		_, err := e.svc.articles.Update(ctx, a.Id, func(cur *articlev1.Article, _ bool) (*articlev1.Article, []natsx.Event, error) {
			next := clone(cur)
			next.Headline = "Outboxed, revised"
			next.Revision++
			next.StateSeq++
			out := e.svc.updatedEvent(ctx, next)
			ev = out.Msg.(*draftingv1.ArticleUpdated)
			return next, []natsx.Event{out}, nil
		})
		if err != nil {
			t.Fatalf("the store should keep the change and defer the publish: %v", err)
		}
	}) {
		return
	}
	t.Run("recover", func(t *testing.T) {
		n := testutil.StartNATS(t, dir)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		svc, err := New(ctx, testutil.Deps(n, keys, nil), Config{RecoveryInterval: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		testutil.Serve(t, keys, svc)
		stream, err := n.JS.Stream(ctx, events.StreamDrafting)
		if err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 15*time.Second, "the outboxed event to be published", func() bool {
			m, err := stream.GetLastMsgForSubject(ctx, events.ArticleUpdated)
			if err != nil {
				return false
			}
			var got draftingv1.ArticleUpdated
			return proto.Unmarshal(m.Data, &got) == nil && proto.Equal(&got, ev) && m.Header.Get("Nats-Msg-Id") == events.ID(a.Id, 2, "updated")
		})
		testutil.Eventually(t, 10*time.Second, "the snapshot of revision 2", func() bool {
			revs, err := svc.revisionsOf(ctx, a.Id)
			return err == nil && len(revs) == 2 && revs[1].Headline == "Outboxed, revised"
		})
		if left, err := svc.articles.Recover(ctx, 0); err != nil || left != 0 {
			t.Errorf("recover again: %d records, %v; want nothing left", left, err)
		}
	})
}
