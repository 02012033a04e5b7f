package review_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/review"
)

const wait = 15 * time.Second

// env is a review service on a real embedded JetStream behind a real gRPC
// server, with drafting simulated by publishing its events.
type env struct {
	t      *testing.T
	nats   *testutil.NATS
	keys   *auth.Keyring
	client reviewv1.ReviewServiceClient
	// Callers: the article's author and last editor (both also hold the
	// reviewer role, to show the data-dependent check), a reviewer, a writer.
	author, editor, reviewer, writer string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	n := testutil.StartNATS(t, "")
	keys := testutil.Keys(t)
	ctx := context.Background()
	if _, err := natsx.EnsureStream(ctx, n.JS, events.StreamDrafting, events.StreamSubjects("drafting"), 1); err != nil {
		t.Fatal(err)
	}
	svc, err := review.New(ctx, testutil.Deps(n, keys, nil), review.Config{})
	if err != nil {
		t.Fatal(err)
	}
	conn := testutil.Serve(t, keys, svc)
	return &env{
		t: t, nats: n, keys: keys, client: reviewv1.NewReviewServiceClient(conn),
		author:   testutil.Token(t, keys, "wendy", auth.Writer, auth.Reviewer),
		editor:   testutil.Token(t, keys, "eddie", auth.Editor, auth.Reviewer),
		reviewer: testutil.Token(t, keys, "rita", auth.Reviewer),
		writer:   testutil.Token(t, keys, "walt", auth.Writer),
	}
}

// article is a submitted revision written by wendy and last edited by eddie.
func article(id string, rev, seq int64, body string) *articlev1.Article {
	return &articlev1.Article{
		Id: id, Revision: rev, StateSeq: seq, Slug: id, Desk: "world", Byline: "Wendy Writer",
		Headline: "Talks resume in Geneva", Dek: "Delegations met for a third day.",
		Body: body, Status: articlev1.Status_STATUS_IN_REVIEW,
		CreatedBy: "wendy", UpdatedBy: "eddie",
	}
}

// submit publishes drafting's ArticleSubmitted for a, under msgID if given
// (to simulate a redelivery that JetStream's dedupe would not catch).
func (e *env) submit(a *articlev1.Article, msgID ...string) {
	e.t.Helper()
	id := events.ID(a.Id, a.Revision, "submitted", strconv.FormatInt(a.StateSeq, 10))
	if len(msgID) > 0 {
		id = msgID[0]
	}
	ev := &draftingv1.ArticleSubmitted{
		Meta: &articlev1.EventMeta{
			Id: id, ArticleId: a.Id, Revision: a.Revision, Actor: a.UpdatedBy,
			Time: timestamppb.New(time.Date(2026, 3, 1, 12, 0, int(a.StateSeq), 0, time.UTC)),
		},
		Article: a,
	}
	e.publish(natsx.Event{Subject: events.ArticleSubmitted, ID: id, Msg: ev})
}

func (e *env) withdraw(a *articlev1.Article) {
	e.t.Helper()
	id := events.ID(a.Id, a.Revision, "withdrawn", strconv.FormatInt(a.StateSeq, 10))
	ev := &draftingv1.ArticleWithdrawn{
		Meta:    &articlev1.EventMeta{Id: id, ArticleId: a.Id, Revision: a.Revision, Actor: "wendy", Time: timestamppb.Now()},
		Article: a,
	}
	e.publish(natsx.Event{Subject: events.ArticleWithdrawn, ID: id, Msg: ev})
}

func (e *env) publish(ev natsx.Event) {
	e.t.Helper()
	if err := natsx.Publish(context.Background(), e.nats.JS, ev); err != nil {
		e.t.Fatal(err)
	}
}

// drained waits until the durable consumer has acked everything in DRAFTING.
func (e *env) drained(durable string) {
	e.t.Helper()
	testutil.Drained(e.t, e.nats.JS, events.StreamDrafting, durable, wait)
}

func (e *env) get(id string) (*reviewv1.Review, error) {
	resp, err := e.client.GetReview(context.Background(), &reviewv1.GetReviewRequest{ArticleId: id}, testutil.As(e.reviewer))
	return resp.GetReview(), err
}

// waitReview waits until the review of id is at revision rev in state st.
func (e *env) waitReview(id string, rev int64, st reviewv1.ReviewState) *reviewv1.Review {
	e.t.Helper()
	var r *reviewv1.Review
	testutil.Eventually(e.t, wait, "review of "+id+" to be "+st.String(), func() bool {
		got, err := e.get(id)
		if err != nil {
			return false
		}
		r = got
		return got.GetRevision() == rev && got.GetState() == st
	})
	return r
}

// published returns the REVIEW events on subject, oldest first.
func published[T proto.Message](t *testing.T, n *testutil.NATS, subject string, newT func() T) []T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := n.JS.Stream(ctx, events.StreamReview)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	count := info.State.Subjects[subject]
	if count == 0 {
		return nil
	}
	c, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := c.Fetch(int(count), jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var out []T
	for m := range batch.Messages() {
		v := newT()
		if err := proto.Unmarshal(m.Data(), v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if len(out) != int(count) {
		t.Fatalf("fetched %d of %d events on %s", len(out), count, subject)
	}
	return out
}

func cleared(t *testing.T, n *testutil.NATS) []*reviewv1.ArticleCleared {
	return published(t, n, events.ArticleCleared, func() *reviewv1.ArticleCleared { return &reviewv1.ArticleCleared{} })
}

func clearedFor(t *testing.T, n *testutil.NATS, id string) []*reviewv1.ArticleCleared {
	var out []*reviewv1.ArticleCleared
	for _, c := range cleared(t, n) {
		if c.GetMeta().GetArticleId() == id {
			out = append(out, c)
		}
	}
	return out
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

// flagsOf indexes a review's flags by rule id and field.
func flagOf(t *testing.T, r *reviewv1.Review, ruleID, field string) *reviewv1.Flag {
	t.Helper()
	for _, f := range r.GetFlags() {
		if f.GetRuleId() == ruleID && f.GetField() == field {
			return f
		}
	}
	t.Fatalf("no %s flag on %s; flags: %v", ruleID, field, r.GetFlags())
	return nil
}

func actions(r *reviewv1.Review) []string {
	var out []string
	for _, d := range r.GetDecisions() {
		out = append(out, d.GetAction())
	}
	return out
}
