package drafting

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// env is one drafting service on an embedded JetStream, served over gRPC.
type env struct {
	t      *testing.T
	ctx    context.Context
	nats   *testutil.NATS
	svc    *Service
	client draftingv1.DraftingServiceClient
	// Callers: a writer, another writer, and a reviewer (who may read only).
	writer, writer2, reviewer grpc.CallOption
}

// start runs the service on a JetStream stored in dir ("" for a fresh
// one). Everything stops when t (or the subtest) ends.
func start(t *testing.T, dir string, keys *auth.Keyring) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	n := testutil.StartNATS(t, dir)
	svc, err := New(ctx, testutil.Deps(n, keys, nil), Config{RecoveryInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	conn := testutil.Serve(t, keys, svc)
	return &env{
		t: t, ctx: ctx, nats: n, svc: svc,
		client:   draftingv1.NewDraftingServiceClient(conn),
		writer:   testutil.As(testutil.Token(t, keys, "wanda", auth.Writer)),
		writer2:  testutil.As(testutil.Token(t, keys, "walt", auth.Writer, auth.Editor)),
		reviewer: testutil.As(testutil.Token(t, keys, "rita", auth.Reviewer)),
	}
}

func newEnv(t *testing.T) *env { return start(t, "", testutil.Keys(t)) }

// article is a valid article for requests.
func article(headline, desk string) *articlev1.Article {
	return &articlev1.Article{
		Desk:       desk,
		Byline:     "Wanda Writer",
		Tags:       []string{"city hall", "budget"},
		Headline:   headline,
		Dek:        "What the council decided.",
		Summary:    "A summary.\nOn two lines.",
		Body:       "The report.\n\n## Analysis\n\nWhy it matters.",
		Takeaways:  []*articlev1.Takeaway{{Quote: "We will build it.", Context: "The mayor, on Monday."}},
		Highlights: []string{"Budget passes"},
		Kicker:     "More to come.",
	}
}

func (e *env) create(headline, desk string) *articlev1.Article {
	e.t.Helper()
	resp, err := e.client.CreateArticle(e.ctx, &draftingv1.CreateArticleRequest{Article: article(headline, desk)}, e.writer)
	if err != nil {
		e.t.Fatalf("create %q: %v", headline, err)
	}
	return resp.Article
}

func (e *env) get(id string) *articlev1.Article {
	e.t.Helper()
	resp, err := e.client.GetArticle(e.ctx, &draftingv1.GetArticleRequest{Id: id}, e.reviewer)
	if err != nil {
		e.t.Fatalf("get %s: %v", id, err)
	}
	return resp.Article
}

func (e *env) update(a *articlev1.Article, headline string) *articlev1.Article {
	e.t.Helper()
	in := clone(a)
	in.Headline = headline
	resp, err := e.client.UpdateArticle(e.ctx, &draftingv1.UpdateArticleRequest{Id: a.Id, Article: in, ExpectedRevision: a.Revision}, e.writer)
	if err != nil {
		e.t.Fatalf("update %s: %v", a.Id, err)
	}
	return resp.Article
}

func (e *env) submit(id string) *articlev1.Article {
	e.t.Helper()
	resp, err := e.client.SubmitArticle(e.ctx, &draftingv1.SubmitArticleRequest{Id: id}, e.writer)
	if err != nil {
		e.t.Fatalf("submit %s: %v", id, err)
	}
	return resp.Article
}

// inject publishes another service's event into its stream (created if
// need be), as that service would.
func (e *env) inject(stream, subject, id string, msg proto.Message) {
	e.t.Helper()
	svc := map[string]string{events.StreamReview: "review", events.StreamPublishing: "publishing"}[stream]
	if _, err := natsx.EnsureStream(e.ctx, e.nats.JS, stream, events.StreamSubjects(svc), 1); err != nil {
		e.t.Fatal(err)
	}
	if err := natsx.Publish(e.ctx, e.nats.JS, natsx.Event{Subject: subject, ID: id, Msg: msg}); err != nil {
		e.t.Fatal(err)
	}
}

// drained waits until drafting's consumer on stream has acked everything
// in it, so a test can check that an event changed nothing.
func (e *env) drained(stream string) {
	e.t.Helper()
	testutil.Drained(e.t, e.nats.JS, stream, StatusConsumer, 10*time.Second)
}

// count is how many messages the DRAFTING stream holds on subject.
func (e *env) count(subject string) uint64 {
	e.t.Helper()
	s, err := e.nats.JS.Stream(e.ctx, events.StreamDrafting)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(e.ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		e.t.Fatal(err)
	}
	return info.State.Subjects[subject]
}

// drafted returns every message on a DRAFTING subject, oldest first.
func (e *env) drafted(subject string) []*jetstream.RawStreamMsg {
	e.t.Helper()
	s, err := e.nats.JS.Stream(e.ctx, events.StreamDrafting)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	info, err := s.Info(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := s.GetMsg(e.ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			e.t.Fatal(err)
		}
		if m.Subject == subject {
			out = append(out, m)
		}
	}
	return out
}

// statusChanges decodes every ArticleStatusChanged event on the stream.
func (e *env) statusChanges() []*draftingv1.ArticleStatusChanged {
	e.t.Helper()
	var out []*draftingv1.ArticleStatusChanged
	for _, m := range e.drafted(events.ArticleStatusChanged) {
		var ev draftingv1.ArticleStatusChanged
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, &ev)
	}
	return out
}

// waitStatus polls until the article has status st.
func (e *env) waitStatus(id string, st articlev1.Status) *articlev1.Article {
	e.t.Helper()
	var a *articlev1.Article
	testutil.Eventually(e.t, 10*time.Second, "status "+st.String(), func() bool {
		a = e.get(id)
		return a.Status == st
	})
	return a
}

// wantCode fails unless err is a status with code c and, if msg is not
// empty, exactly that message.
func wantCode(t *testing.T, err error, c codes.Code, msg string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != c {
		t.Fatalf("got %v, want code %v", err, c)
	}
	if msg != "" && st.Message() != msg {
		t.Fatalf("got message %q, want %q", st.Message(), msg)
	}
}

// badFields returns the sorted field paths of err's BadRequest detail.
func badFields(t *testing.T, err error) []string {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("got %v, want InvalidArgument", err)
	}
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				if fv.GetDescription() == "" {
					t.Errorf("violation of %s has no description", fv.GetField())
				}
				fields = append(fields, fv.GetField())
			}
		}
	}
	if fields == nil {
		t.Fatalf("InvalidArgument without a BadRequest detail: %v", err)
	}
	sort.Strings(fields)
	return fields
}

// waitFor polls until cond holds for the article.
func waitFor(t *testing.T, e *env, id string, cond func(*articlev1.Article) bool) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, "article "+id, func() bool { return cond(e.get(id)) })
}

// waitDLQ waits until drafting-status dead-lettered n messages.
func waitDLQ(t *testing.T, e *env, n uint64) {
	t.Helper()
	subject := natsx.DLQSubject + "." + StatusConsumer
	testutil.Eventually(t, 10*time.Second, "dead letters", func() bool {
		s, err := e.nats.JS.Stream(e.ctx, natsx.DLQStream)
		if err != nil {
			return false
		}
		info, err := s.Info(e.ctx, jetstream.WithSubjectFilter(subject))
		return err == nil && info.State.Subjects[subject] == n
	})
}
