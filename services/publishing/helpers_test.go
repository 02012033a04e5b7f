package publishing

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/grpcx"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/linking"
)

const baseURL = "http://news.test"

// t0 is the fake clock's start.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// harness is one publishing service on a real embedded JetStream, served
// over real gRPC and a real HTTP test server.
type harness struct {
	t      *testing.T
	nats   *testutil.NATS
	keys   *auth.Keyring
	clk    *clock.Fake
	svc    *Service
	client publishingv1.PublishingServiceClient
	web    *httptest.Server
	pub    grpc.CallOption // a publisher
	writer grpc.CallOption // a writer, who may read but not publish
	editor grpc.CallOption // an editor, who may correct
	admin  grpc.CallOption // an admin, who may import
	stop   func()
}

// start runs the service on a fresh store (dir "") or on dir.
func start(t *testing.T, dir string, keys *auth.Keyring, clk *clock.Fake) *harness {
	t.Helper()
	if keys == nil {
		keys = testutil.Keys(t)
	}
	if clk == nil {
		clk = clock.NewFake(t0)
	}
	n := testutil.StartNATS(t, dir)
	ctx := context.Background()
	for _, svc := range []string{"drafting", "review", "linking"} {
		if _, err := natsx.EnsureStream(ctx, n.JS, strings.ToUpper(svc), events.StreamSubjects(svc), 1); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := New(ctx, testutil.Deps(n, keys, clk), Config{BaseURL: baseURL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		t: t, nats: n, keys: keys, clk: clk, svc: svc,
		pub:    testutil.As(testutil.Token(t, keys, "pat", auth.Publisher)),
		writer: testutil.As(testutil.Token(t, keys, "wendy", auth.Writer)),
		editor: testutil.As(testutil.Token(t, keys, "ed", auth.Editor)),
		admin:  testutil.As(testutil.Token(t, keys, "ada", auth.Admin)),
	}
	conn, stopServe := serve(t, keys, svc)
	h.client = publishingv1.NewPublishingServiceClient(conn)
	h.web = httptest.NewServer(svc.Handler())
	h.stop = func() {
		h.web.Close()
		stopServe()
		n.Stop()
	}
	t.Cleanup(h.stop)
	return h
}

// serve is testutil.Serve with a stop function, so a test can restart the
// service mid-way. Stopping twice is harmless.
func serve(t *testing.T, keys *auth.Keyring, svc *Service) (*grpc.ClientConn, func()) {
	t.Helper()
	srv := grpcx.NewServer(keys, testutil.Logger())
	svc.Register(srv.GRPC)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	srv.SetServing(svc.Name())
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	return conn, func() {
		if stopped {
			return
		}
		stopped = true
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		srv.Stop(sctx)
	}
}

// article is a complete story whose every part is recognisable on the page.
func article(id string, rev int64) *articlev1.Article {
	return &articlev1.Article{
		Id:       id,
		Slug:     "council-passes-budget",
		Desk:     "City Desk",
		Byline:   "Ada Reporter",
		Headline: "Council passes budget",
		Dek:      "DEK-TEXT after a long night",
		Summary:  "SUMMARY-TEXT in three lines.",
		Body: "REPORT-TEXT opens the story.\n\nA second paragraph with [a link](https://example.org/x).\n\n" +
			"## Analysis\n\nSECTIONS-TEXT explains why.\n",
		Takeaways:       []*articlev1.Takeaway{{Quote: "QUOTE-TEXT we did it", Context: "CONTEXT-TEXT said the mayor"}},
		Highlights:      []string{"HIGHLIGHT-TEXT one", "HIGHLIGHT-TEXT two"},
		Kicker:          "KICKER-TEXT more tomorrow",
		SensitivityNote: &articlev1.SensitivityNote{Title: "NOTE-TITLE", Text: "NOTE-TEXT about sources"},
		Status:          articlev1.Status_STATUS_READY,
		Revision:        rev,
		StateSeq:        rev * 10,
		CreatedAt:       timestamppb.New(t0.Add(-time.Hour)),
	}
}

// emit publishes msg on subject into the real stream, as the service that
// owns it would.
func (h *harness) emit(subject, id string, msg proto.Message) {
	h.t.Helper()
	if err := natsx.Publish(context.Background(), h.nats.JS, natsx.Event{Subject: subject, ID: id, Msg: msg}); err != nil {
		h.t.Fatal(err)
	}
}

func evMeta(id string, rev int64, kind string, extra ...string) *articlev1.EventMeta {
	return &articlev1.EventMeta{Id: events.ID(id, rev, kind, extra...), ArticleId: id, Revision: rev, Actor: "test", Time: timestamppb.New(t0)}
}

// clear sends review's ArticleCleared for a. nonce makes a distinct message
// id, so JetStream does not drop a deliberate duplicate before the
// consumer sees it.
func (h *harness) clear(a *articlev1.Article, nonce ...string) {
	m := evMeta(a.GetId(), a.GetRevision(), "cleared", fmt.Sprint(a.GetStateSeq()))
	h.emit(events.ArticleCleared, m.Id+strings.Join(nonce, ""), &reviewv1.ArticleCleared{Meta: m, Article: a})
}

func (h *harness) drafting(subject string, a *articlev1.Article) {
	kind := subject[strings.LastIndex(subject, ".")+1:]
	m := evMeta(a.GetId(), a.GetRevision(), kind, fmt.Sprint(a.GetStateSeq()))
	var msg proto.Message
	switch subject {
	case events.ArticleUpdated:
		msg = &draftingv1.ArticleUpdated{Meta: m, Article: a}
	case events.ArticleSubmitted:
		msg = &draftingv1.ArticleSubmitted{Meta: m, Article: a}
	case events.ArticleWithdrawn:
		msg = &draftingv1.ArticleWithdrawn{Meta: m, Article: a}
	}
	h.emit(subject, m.Id, msg)
}

func (h *harness) related(id string, related ...*articlev1.RelatedStory) {
	m := evMeta(id, 0, "related", fmt.Sprint(time.Now().UnixNano()))
	h.emit(events.RelatedUpdated, m.Id, &linkingv1.RelatedUpdated{Meta: m, Related: related})
}

// get returns the publication (nil if there is none).
func (h *harness) get(id string) *publishingv1.Publication {
	h.t.Helper()
	resp, err := h.client.GetPublication(context.Background(), &publishingv1.GetPublicationRequest{ArticleId: id}, h.writer)
	if status.Code(err) == codes.NotFound {
		return nil
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.GetPublication()
}

// waitStatus waits until the publication of id has status st.
func (h *harness) waitStatus(id string, st articlev1.Status) *publishingv1.Publication {
	h.t.Helper()
	var p *publishingv1.Publication
	testutil.Eventually(h.t, 10*time.Second, fmt.Sprintf("%s to be %s", id, st), func() bool {
		p = h.get(id)
		return p.GetStatus() == st
	})
	return p
}

func (h *harness) publish(id string, at *time.Time) (*publishingv1.Publication, error) {
	req := &publishingv1.PublishArticleRequest{ArticleId: id}
	if at != nil {
		req.PublishAt = timestamppb.New(*at)
	}
	resp, err := h.client.PublishArticle(context.Background(), req, h.pub)
	return resp.GetPublication(), err
}

// published returns the ArticlePublished events for id in the PUBLISHING
// stream, read from the stream itself.
func (h *harness) published(id string) []*publishingv1.ArticlePublished {
	h.t.Helper()
	var out []*publishingv1.ArticlePublished
	for _, m := range h.streamMsgs(events.ArticlePublished) {
		ev := &publishingv1.ArticlePublished{}
		if err := proto.Unmarshal(m, ev); err != nil {
			h.t.Fatal(err)
		}
		if ev.GetMeta().GetArticleId() == id {
			out = append(out, ev)
		}
	}
	return out
}

// streamMsgs reads every message on subject in the PUBLISHING stream.
func (h *harness) streamMsgs(subject string) [][]byte {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := h.nats.JS.Stream(ctx, events.StreamPublishing)
	if err != nil {
		h.t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		h.t.Fatal(err)
	}
	want := int(info.State.Subjects[subject])
	if want == 0 {
		return nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		h.t.Fatal(err)
	}
	var out [][]byte
	for len(out) < want {
		batch, err := cons.Fetch(want-len(out), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			h.t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			out = append(out, m.Data())
			n++
		}
		if n == 0 {
			h.t.Fatalf("stream says %d messages on %s, read %d", want, subject, len(out))
		}
	}
	return out
}

// fetch GETs path from the site without following redirects.
func (h *harness) fetch(path string) (*http.Response, string) {
	h.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(h.web.URL + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp, string(b)
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

func mustWithdrawn(a *articlev1.Article) *draftingv1.ArticleWithdrawn {
	return &draftingv1.ArticleWithdrawn{Meta: evMeta(a.GetId(), a.GetRevision(), "withdrawn", fmt.Sprint(a.GetStateSeq())), Article: a}
}

// fetchIfNoneMatch revalidates path with an ETag.
func (h *harness) fetchIfNoneMatch(path, etag string) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.web.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("If-None-Match", etag)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// withLinking runs the linking service on h's NATS, as in production: it
// learns of live stories only from ArticlePublished and ArticleUnpublished,
// and tells publishing each story's Related News box with RelatedUpdated.
func (h *harness) withLinking() {
	h.t.Helper()
	svc, err := linking.New(context.Background(), testutil.Deps(h.nats, h.keys, h.clk), linking.Config{})
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = svc.Run(ctx); close(done) }()
	h.t.Cleanup(func() { cancel(); <-done })
}

// goLive has review clear a and publishes it now.
func (h *harness) goLive(a *articlev1.Article) *publishingv1.Publication {
	h.t.Helper()
	h.clear(a)
	testutil.Eventually(h.t, 10*time.Second, a.GetId()+" to be cleared", func() bool {
		return h.get(a.GetId()).GetReadyRevision() == a.GetRevision()
	})
	p, err := h.publish(a.GetId(), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if p.GetLiveRevision() != a.GetRevision() {
		h.t.Fatalf("%s not live: %v", a.GetId(), p)
	}
	return p
}

// newStory is article(id, rev) with its own slug and headline.
func newStory(id string, rev int64, headline string) *articlev1.Article {
	a := article(id, rev)
	a.Headline = headline
	a.Slug = id + "-story"
	return a
}

// publishReq calls PublishArticle with an optional time and embargo.
func (h *harness) publishReq(id string, at, embargo *time.Time) (*publishingv1.Publication, error) {
	req := &publishingv1.PublishArticleRequest{ArticleId: id}
	if at != nil {
		req.PublishAt = timestamppb.New(*at)
	}
	if embargo != nil {
		req.EmbargoUntil = timestamppb.New(*embargo)
	}
	resp, err := h.client.PublishArticle(context.Background(), req, h.pub)
	return resp.GetPublication(), err
}

// fetchWith GETs path with extra request headers, without following
// redirects.
func (h *harness) fetchWith(path string, header map[string]string) (*http.Response, string) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.web.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp, string(b)
}

// decodeAll decodes the PUBLISHING stream's messages on subject into new(T).
func decodeAll[T proto.Message](h *harness, subject string, newT func() T) []T {
	h.t.Helper()
	var out []T
	for _, m := range h.streamMsgs(subject) {
		v := newT()
		if err := proto.Unmarshal(m, v); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

const ldOpen = `<script type="application/ld+json">`

// splitJSONLD cuts the page's one JSON-LD element out of page and returns
// the rest of the page and the element's content.
func splitJSONLD(t *testing.T, page string) (rest, ld string) {
	t.Helper()
	if strings.Count(page, ldOpen) != 1 {
		t.Fatalf("want exactly one JSON-LD element:\n%s", page)
	}
	i := strings.Index(page, ldOpen)
	j := strings.Index(page[i:], "</script>")
	if j < 0 {
		t.Fatalf("JSON-LD element not closed:\n%s", page)
	}
	return page[:i] + page[i+j+len("</script>"):], page[i+len(ldOpen) : i+j]
}
