package drafting

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

func TestCreateAndGet(t *testing.T) {
	e := newEnv(t)
	in := article("Zürich’s café owners don't back the €5 tax & more", " Business ")
	in.Tags = []string{" café ", "tax_2026"}
	resp, err := e.client.CreateArticle(e.ctx, &draftingv1.CreateArticleRequest{Article: in}, e.writer)
	if err != nil {
		t.Fatal(err)
	}
	a := resp.Article
	if !validID(a.Id) {
		t.Errorf("id %q is not a valid id", a.Id)
	}
	if a.Slug != "zurichs-cafe-owners-dont-back-the-5-tax-and-more" {
		t.Errorf("slug = %q", a.Slug)
	}
	if a.Desk != "business" || !slices.Equal(a.Tags, []string{"café", "tax_2026"}) {
		t.Errorf("desk %q tags %q: want them normalized", a.Desk, a.Tags)
	}
	if a.Status != articlev1.Status_STATUS_DRAFT || a.Revision != 1 || a.StateSeq != 1 {
		t.Errorf("status %v revision %d state_seq %d", a.Status, a.Revision, a.StateSeq)
	}
	if a.CreatedBy != "wanda" || a.UpdatedBy != "wanda" || a.CreatedAt == nil || !proto.Equal(a.CreatedAt, a.UpdatedAt) {
		t.Errorf("created_by %q updated_by %q created_at %v updated_at %v", a.CreatedBy, a.UpdatedBy, a.CreatedAt, a.UpdatedAt)
	}
	if a.Body != in.Body || a.Headline != in.Headline || !proto.Equal(a.Takeaways[0], in.Takeaways[0]) {
		t.Errorf("content not kept: %v", a)
	}
	if got := e.get(a.Id); !proto.Equal(got, a) {
		t.Errorf("get = %v\nwant %v", got, a)
	}

	// A slug given is kept; a headline with nothing ASCII falls back to the id.
	in = article("新しい市長", "world")
	in.Slug = "new-mayor"
	a2, err := e.client.CreateArticle(e.ctx, &draftingv1.CreateArticleRequest{Article: in}, e.writer)
	if err != nil || a2.Article.Slug != "new-mayor" {
		t.Fatalf("slug from request: %v %v", a2, err)
	}
	a3 := e.create("新しい市長", "world")
	if a3.Slug != a3.Id {
		t.Errorf("slug of a non-ASCII headline = %q, want the id %q", a3.Slug, a3.Id)
	}

	// The created event carries the article.
	msgs := e.drafted(events.ArticleCreated)
	if len(msgs) != 3 {
		t.Fatalf("%d created events, want 3", len(msgs))
	}
	var ev draftingv1.ArticleCreated
	if err := proto.Unmarshal(msgs[0].Data, &ev); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(ev.Article, a) || ev.Meta.Id != a.Id+"/1/created" || ev.Meta.Actor != "wanda" || ev.Meta.ArticleId != a.Id {
		t.Errorf("created event %v", &ev)
	}

	_, err = e.client.GetArticle(e.ctx, &draftingv1.GetArticleRequest{Id: "0000000000000000"}, e.writer)
	wantCode(t, err, codes.NotFound, "article 0000000000000000 not found")
	_, err = e.client.GetArticle(e.ctx, &draftingv1.GetArticleRequest{Id: "no such/id"}, e.writer)
	wantCode(t, err, codes.NotFound, "")
	_, err = e.client.GetArticle(e.ctx, &draftingv1.GetArticleRequest{}, e.writer)
	wantCode(t, err, codes.InvalidArgument, "")
	// Reviewers read but may not write.
	_, err = e.client.CreateArticle(e.ctx, &draftingv1.CreateArticleRequest{Article: article("x", "y")}, e.reviewer)
	wantCode(t, err, codes.PermissionDenied, "")
}

func TestListArticles(t *testing.T) {
	e := newEnv(t)
	var made []*articlev1.Article // oldest first
	for i := range 7 {
		desk := "politics"
		if i%2 == 1 {
			desk = "sport"
		}
		made = append(made, e.create(fmt.Sprintf("Story %d", i), desk))
	}
	e.submit(made[2].Id)
	e.submit(made[5].Id)

	ids := func(as []*articlev1.Article) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Headline)
		}
		return out
	}
	list := func(req *draftingv1.ListArticlesRequest) *draftingv1.ListArticlesResponse {
		t.Helper()
		resp, err := e.client.ListArticles(e.ctx, req, e.reviewer)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	all := list(&draftingv1.ListArticlesRequest{})
	want := []string{"Story 6", "Story 5", "Story 4", "Story 3", "Story 2", "Story 1", "Story 0"}
	if got := ids(all.Articles); !slices.Equal(got, want) || all.NextPageToken != "" {
		t.Errorf("all = %v next %q, want %v and no next page", got, all.NextPageToken, want)
	}
	if got := ids(list(&draftingv1.ListArticlesRequest{Desk: "Sport"}).Articles); !slices.Equal(got, []string{"Story 5", "Story 3", "Story 1"}) {
		t.Errorf("sport = %v", got)
	}
	if got := ids(list(&draftingv1.ListArticlesRequest{Status: articlev1.Status_STATUS_IN_REVIEW}).Articles); !slices.Equal(got, []string{"Story 5", "Story 2"}) {
		t.Errorf("in review = %v", got)
	}
	if got := ids(list(&draftingv1.ListArticlesRequest{Status: articlev1.Status_STATUS_IN_REVIEW, Desk: "politics"}).Articles); !slices.Equal(got, []string{"Story 2"}) {
		t.Errorf("politics in review = %v", got)
	}
	if got := list(&draftingv1.ListArticlesRequest{Desk: "weather"}); len(got.Articles) != 0 || got.NextPageToken != "" {
		t.Errorf("weather = %v", got)
	}

	// Paging through everything, three at a time.
	var paged []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		resp := list(&draftingv1.ListArticlesRequest{PageSize: 3, PageToken: token})
		if len(resp.Articles) > 3 {
			t.Fatalf("page of %d, want at most 3", len(resp.Articles))
		}
		paged = append(paged, ids(resp.Articles)...)
		if resp.NextPageToken == "" {
			break
		}
		token = resp.NextPageToken
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged = %v, want %v", paged, want)
	}
	// A page that ends exactly at the last article has no next page.
	p := list(&draftingv1.ListArticlesRequest{PageSize: 2, Desk: "politics", PageToken: made[4].Id})
	if got := ids(p.Articles); !slices.Equal(got, []string{"Story 2", "Story 0"}) || p.NextPageToken != "" {
		t.Errorf("last politics page = %v next %q", got, p.NextPageToken)
	}
	_, err := e.client.ListArticles(e.ctx, &draftingv1.ListArticlesRequest{PageToken: "garbage!"}, e.reviewer)
	wantCode(t, err, codes.InvalidArgument, "")
}

func TestUpdateArticle(t *testing.T) {
	e := newEnv(t)
	a := e.create("First headline", "metro")
	in := article("Second headline", "Metro")
	in.Slug = "second"
	in.Body = "New body."
	resp, err := e.client.UpdateArticle(e.ctx, &draftingv1.UpdateArticleRequest{Id: a.Id, Article: in, ExpectedRevision: 1}, e.writer2)
	if err != nil {
		t.Fatal(err)
	}
	b := resp.Article
	if b.Revision != 2 || b.StateSeq != 2 || b.Headline != "Second headline" || b.Body != "New body." || b.Slug != "second" {
		t.Errorf("updated = %v", b)
	}
	if b.CreatedBy != "wanda" || b.UpdatedBy != "walt" || !proto.Equal(b.CreatedAt, a.CreatedAt) {
		t.Errorf("created_by %q updated_by %q", b.CreatedBy, b.UpdatedBy)
	}
	// Without a slug, the slug stays (links to the story keep working).
	in.Slug = ""
	resp, err = e.client.UpdateArticle(e.ctx, &draftingv1.UpdateArticleRequest{Id: a.Id, Article: in, ExpectedRevision: 2}, e.writer)
	if err != nil || resp.Article.Slug != "second" || resp.Article.Revision != 3 {
		t.Fatalf("update keeping slug: %v %v", resp, err)
	}

	// A stale revision is refused and changes nothing.
	_, err = e.client.UpdateArticle(e.ctx, &draftingv1.UpdateArticleRequest{Id: a.Id, Article: article("Lost edit", "metro"), ExpectedRevision: 1}, e.writer)
	wantCode(t, err, codes.Aborted, "stale revision 1: current revision is 3")
	if got := e.get(a.Id); got.Revision != 3 || got.Headline != "Second headline" {
		t.Errorf("after stale update: %v", got)
	}
	_, err = e.client.UpdateArticle(e.ctx, &draftingv1.UpdateArticleRequest{Id: a.Id, Article: article("x", "metro")}, e.writer)
	if got := badFields(t, err); !slices.Equal(got, []string{"expected_revision"}) {
		t.Errorf("fields %v", got)
	}
	_, err = e.client.UpdateArticle(e.ctx, &draftingv1.UpdateArticleRequest{Id: "0000000000000000", Article: article("x", "metro"), ExpectedRevision: 1}, e.writer)
	wantCode(t, err, codes.NotFound, "")

	if n := e.count(events.ArticleUpdated); n != 2 {
		t.Errorf("%d updated events, want 2", n)
	}
}

func TestConcurrentUpdatesOneWins(t *testing.T) {
	e := newEnv(t)
	a := e.create("Contended", "metro")
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = e.client.UpdateArticle(e.ctx, &draftingv1.UpdateArticleRequest{
				Id: a.Id, Article: article(fmt.Sprintf("Edit %d", i), "metro"), ExpectedRevision: 1,
			}, e.writer)
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch status.Code(err) {
		case codes.OK:
			if winner >= 0 {
				t.Fatalf("edits %d and %d both won", winner, i)
			}
			winner = i
		case codes.Aborted:
			wantCode(t, err, codes.Aborted, "stale revision 1: current revision is 2")
		default:
			t.Fatalf("edit %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no edit won")
	}
	got := e.get(a.Id)
	if got.Revision != 2 || got.Headline != fmt.Sprintf("Edit %d", winner) {
		t.Errorf("article = revision %d %q, want revision 2 %q", got.Revision, got.Headline, fmt.Sprintf("Edit %d", winner))
	}
	if c := e.count(events.ArticleUpdated); c != 1 {
		t.Errorf("%d updated events, want 1", c)
	}
}

func TestListRevisions(t *testing.T) {
	e := newEnv(t)
	a := e.create("Take 1", "metro")
	b := e.update(a, "Take 2")
	c := e.update(b, "Take 3")
	e.submit(c.Id) // a status change is not a revision
	resp, err := e.client.ListRevisions(e.ctx, &draftingv1.ListRevisionsRequest{Id: a.Id}, e.reviewer)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Revisions) != 3 {
		t.Fatalf("%d revisions, want 3", len(resp.Revisions))
	}
	for i, want := range []*articlev1.Article{a, b, c} {
		if !proto.Equal(resp.Revisions[i], want) {
			t.Errorf("revision %d = %v\nwant %v", i+1, resp.Revisions[i], want)
		}
	}
	_, err = e.client.ListRevisions(e.ctx, &draftingv1.ListRevisionsRequest{Id: "0000000000000000"}, e.reviewer)
	wantCode(t, err, codes.NotFound, "")
}

// TestRevisionLogConsumer stores a revision the way a process that crashed
// before writing its snapshot would leave it, and checks that the
// drafting-revisions consumer writes the snapshot from the event.
func TestRevisionLogConsumer(t *testing.T) {
	e := newEnv(t)
	a := e.create("Take 1", "metro")
	_, err := e.svc.articles.Update(e.ctx, a.Id, func(cur *articlev1.Article, _ bool) (*articlev1.Article, []natsx.Event, error) {
		next := clone(cur)
		next.Headline = "Take 2 (snapshot only in the event)"
		next.Revision++
		next.StateSeq++
		return next, []natsx.Event{e.svc.updatedEvent(e.ctx, next)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the consumer to write snapshot 2", func() bool {
		revs, err := e.svc.revisionsOf(e.ctx, a.Id)
		return err == nil && len(revs) == 2 && revs[1].Headline == "Take 2 (snapshot only in the event)"
	})
	// Redelivery (or the RPC's own write) leaves the snapshot as it is.
	other := clone(a)
	other.Headline = "impostor"
	if err := e.svc.snapshot(e.ctx, other); err != nil {
		t.Fatal(err)
	}
	revs, _ := e.svc.revisionsOf(e.ctx, a.Id)
	if len(revs) != 2 || revs[0].Headline != "Take 1" {
		t.Errorf("snapshots after a repeat write: %v", revs)
	}
}

func TestSubmitEmitsWholeArticle(t *testing.T) {
	e := newEnv(t)
	a := e.create("Submitted story", "metro")
	a = e.update(a, "Submitted story, revised")

	_, err := e.client.SubmitArticle(e.ctx, &draftingv1.SubmitArticleRequest{Id: a.Id, ExpectedRevision: 1}, e.writer)
	wantCode(t, err, codes.Aborted, "stale revision 1: current revision is 2")

	resp, err := e.client.SubmitArticle(e.ctx, &draftingv1.SubmitArticleRequest{Id: a.Id, ExpectedRevision: 2}, e.writer)
	if err != nil {
		t.Fatal(err)
	}
	s := resp.Article
	if s.Status != articlev1.Status_STATUS_IN_REVIEW || s.Revision != 2 || s.StateSeq != a.StateSeq+1 {
		t.Errorf("submitted = %v", s)
	}
	msgs := e.drafted(events.ArticleSubmitted)
	if len(msgs) != 1 {
		t.Fatalf("%d submitted events, want 1", len(msgs))
	}
	var ev draftingv1.ArticleSubmitted
	if err := proto.Unmarshal(msgs[0].Data, &ev); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(ev.Article, s) {
		t.Errorf("event article = %v\nwant %v", ev.Article, s)
	}
	wantID := events.ID(a.Id, 2, "submitted", fmt.Sprint(s.StateSeq))
	if ev.Meta.Id != wantID || ev.Meta.ArticleId != a.Id || ev.Meta.Revision != 2 || ev.Meta.Actor != "wanda" || ev.Meta.Time == nil {
		t.Errorf("meta = %v, want id %s", ev.Meta, wantID)
	}
	if got := msgs[0].Header.Get("Nats-Msg-Id"); got != wantID {
		t.Errorf("Nats-Msg-Id = %q, want %q", got, wantID)
	}

	// A retried submit succeeds and changes nothing.
	again, err := e.client.SubmitArticle(e.ctx, &draftingv1.SubmitArticleRequest{Id: a.Id, ExpectedRevision: 2}, e.writer)
	if err != nil || !proto.Equal(again.Article, s) {
		t.Fatalf("retried submit: %v %v", again, err)
	}
	if n := e.count(events.ArticleSubmitted); n != 1 {
		t.Errorf("%d submitted events after a retry, want 1", n)
	}
}

func TestWithdrawAndResubmit(t *testing.T) {
	e := newEnv(t)
	a := e.create("Withdrawn story", "metro")
	s := e.submit(a.Id)
	resp, err := e.client.WithdrawArticle(e.ctx, &draftingv1.WithdrawArticleRequest{Id: a.Id}, e.writer)
	if err != nil {
		t.Fatal(err)
	}
	w := resp.Article
	if w.Status != articlev1.Status_STATUS_DRAFT || w.Revision != 1 || w.StateSeq != s.StateSeq+1 {
		t.Errorf("withdrawn = %v", w)
	}
	msgs := e.drafted(events.ArticleWithdrawn)
	if len(msgs) != 1 {
		t.Fatalf("%d withdrawn events", len(msgs))
	}
	var ev draftingv1.ArticleWithdrawn
	if err := proto.Unmarshal(msgs[0].Data, &ev); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(ev.Article, w) || ev.Meta.Id != events.ID(a.Id, 1, "withdrawn", fmt.Sprint(w.StateSeq)) {
		t.Errorf("withdrawn event %v", &ev)
	}
	_, err = e.client.WithdrawArticle(e.ctx, &draftingv1.WithdrawArticleRequest{Id: a.Id}, e.writer)
	wantCode(t, err, codes.FailedPrecondition, "")

	// Resubmitting the same revision is a new submission with its own id.
	s2 := e.submit(a.Id)
	subs := e.drafted(events.ArticleSubmitted)
	if len(subs) != 2 || subs[0].Header.Get("Nats-Msg-Id") == subs[1].Header.Get("Nats-Msg-Id") {
		t.Fatalf("want two distinct submitted events, got %d", len(subs))
	}
	if s2.StateSeq != w.StateSeq+1 {
		t.Errorf("state_seq %d after resubmit, want %d", s2.StateSeq, w.StateSeq+1)
	}
}

func TestIllegalTransitions(t *testing.T) {
	e := newEnv(t)
	a := e.create("In review", "metro")
	e.submit(a.Id)
	_, err := e.client.UpdateArticle(e.ctx, &draftingv1.UpdateArticleRequest{Id: a.Id, Article: article("edit", "metro"), ExpectedRevision: 1}, e.writer)
	wantCode(t, err, codes.FailedPrecondition, "")
	if !strings.Contains(status.Convert(err).Message(), "withdraw it first") {
		t.Errorf("message %q should say to withdraw first", status.Convert(err).Message())
	}

	// READY (review cleared it): cannot be submitted again.
	e.inject(events.StreamReview, events.ArticleCleared, events.ID(a.Id, 1, "cleared", "2"), cleared(a.Id, 1, nil))
	e.waitStatus(a.Id, articlev1.Status_STATUS_READY)
	_, err = e.client.SubmitArticle(e.ctx, &draftingv1.SubmitArticleRequest{Id: a.Id}, e.writer)
	wantCode(t, err, codes.FailedPrecondition, "")

	// SCHEDULED: neither edited nor withdrawn.
	e.inject(events.StreamPublishing, events.ArticleScheduled, events.ID(a.Id, 1, "scheduled", "1"), scheduledEv(a.Id, 1, time.Now().Add(time.Hour)))
	e.waitStatus(a.Id, articlev1.Status_STATUS_SCHEDULED)
	_, err = e.client.UpdateArticle(e.ctx, &draftingv1.UpdateArticleRequest{Id: a.Id, Article: article("edit", "metro"), ExpectedRevision: 1}, e.writer)
	wantCode(t, err, codes.FailedPrecondition, "")
	if !strings.Contains(status.Convert(err).Message(), "unschedule it first") {
		t.Errorf("message %q should say to unschedule first", status.Convert(err).Message())
	}
	_, err = e.client.WithdrawArticle(e.ctx, &draftingv1.WithdrawArticleRequest{Id: a.Id}, e.writer)
	wantCode(t, err, codes.FailedPrecondition, "")
	_, err = e.client.SubmitArticle(e.ctx, &draftingv1.SubmitArticleRequest{Id: a.Id}, e.writer)
	wantCode(t, err, codes.FailedPrecondition, "")

	// DRAFT: nothing to withdraw.
	b := e.create("Draft", "metro")
	_, err = e.client.WithdrawArticle(e.ctx, &draftingv1.WithdrawArticleRequest{Id: b.Id}, e.writer)
	wantCode(t, err, codes.FailedPrecondition, "")
	_, err = e.client.SubmitArticle(e.ctx, &draftingv1.SubmitArticleRequest{Id: "0000000000000000"}, e.writer)
	wantCode(t, err, codes.NotFound, "")
	if got := e.get(b.Id); got.StateSeq != 1 {
		t.Errorf("refused calls changed the article: state_seq %d", got.StateSeq)
	}
}
