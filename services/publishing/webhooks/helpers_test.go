package webhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/publishing/webhooks"
)

// testConfig keeps retries quick: a failed attempt is retried 20ms later.
func testConfig() webhooks.Config {
	return webhooks.Config{
		Timeout:    2 * time.Second,
		AckWait:    3 * time.Second,
		MaxDeliver: 4,
		Backoff:    func(int) time.Duration { return 20 * time.Millisecond },
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// env is a webhook service on a fresh embedded NATS, served over gRPC.
type env struct {
	ctx    context.Context
	n      *testutil.NATS
	keys   *auth.Keyring
	svc    *webhooks.Service
	client publishingv1.WebhookServiceClient
	admin  grpc.CallOption
}

func setup(t *testing.T) *env {
	t.Helper()
	return setupWith(t, testConfig())
}

func setupWith(t *testing.T, cfg webhooks.Config) *env {
	t.Helper()
	ctx := testCtx(t)
	n := testutil.StartNATS(t, "")
	ensurePublishing(t, ctx, n.JS)
	keys := testutil.Keys(t)
	svc, err := webhooks.New(ctx, testutil.Deps(n, keys, nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	conn := testutil.Serve(t, keys, svc)
	return &env{
		ctx: ctx, n: n, keys: keys, svc: svc,
		client: publishingv1.NewWebhookServiceClient(conn),
		admin:  testutil.As(testutil.Token(t, keys, "ada", auth.Admin)),
	}
}

func ensurePublishing(t *testing.T, ctx context.Context, js jetstream.JetStream) {
	t.Helper()
	if _, err := natsx.EnsureStream(ctx, js, events.StreamPublishing, events.StreamSubjects("publishing"), 1); err != nil {
		t.Fatal(err)
	}
}

// add registers a subscription as an admin and returns its id.
func (e *env) add(t *testing.T, url, secret string, evs ...string) string {
	t.Helper()
	resp, err := e.client.AddWebhook(e.ctx, &publishingv1.AddWebhookRequest{Url: url, Events: evs, Secret: secret}, e.admin)
	if err != nil {
		t.Fatalf("AddWebhook: %v", err)
	}
	return resp.GetWebhook().GetId()
}

func (e *env) deliveries(t *testing.T, id string) []*publishingv1.WebhookDelivery {
	t.Helper()
	resp, err := e.client.ListDeliveries(e.ctx, &publishingv1.ListDeliveriesRequest{WebhookId: id}, e.admin)
	if err != nil {
		t.Fatalf("ListDeliveries: %v", err)
	}
	return resp.GetDeliveries()
}

// publishedID is the event id of article's first publication.
func publishedID(article string) string { return events.ID(article, 1, "published", "1") }

// publish puts a real ArticlePublished event on the PUBLISHING stream.
func publish(t *testing.T, ctx context.Context, js jetstream.JetStream, article string) {
	t.Helper()
	id := publishedID(article)
	ev := &publishingv1.ArticlePublished{
		Meta:    &articlev1.EventMeta{Id: id, ArticleId: article, Revision: 1, Actor: "pat", Time: timestamppb.Now()},
		Article: &articlev1.Article{Id: article, Revision: 1, Headline: "Headline of " + article, Status: articlev1.Status_STATUS_PUBLISHED},
	}
	if err := natsx.Publish(ctx, js, natsx.Event{Subject: events.ArticlePublished, ID: id, Msg: ev}); err != nil {
		t.Fatal(err)
	}
}

// unpublish puts a real ArticleUnpublished event on the stream.
func unpublish(t *testing.T, ctx context.Context, js jetstream.JetStream, article string) {
	t.Helper()
	id := events.ID(article, 1, "unpublished", "1")
	ev := &publishingv1.ArticleUnpublished{
		Meta:   &articlev1.EventMeta{Id: id, ArticleId: article, Revision: 1, Actor: "pat", Time: timestamppb.Now()},
		Reason: "legal",
	}
	if err := natsx.Publish(ctx, js, natsx.Event{Subject: events.ArticleUnpublished, ID: id, Msg: ev}); err != nil {
		t.Fatal(err)
	}
}

// request is one delivery attempt as the receiver saw it.
type request struct {
	payload webhooks.Payload
	header  http.Header
	body    []byte
	status  int
}

// receiver is a webhook endpoint on loopback. It checks every request's
// signature and headers (independently of webhooks.Verify) and answers
// with respond's status (204 if respond is nil or returns 0).
type receiver struct {
	srv     *httptest.Server
	secret  string
	respond func(r *http.Request, p webhooks.Payload, attempt int) int

	mu       sync.Mutex
	requests []request
	problems []string
}

func newReceiver(t *testing.T, secret string, respond func(*http.Request, webhooks.Payload, int) int) *receiver {
	rc := &receiver{secret: secret, respond: respond}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(func() {
		rc.srv.CloseClientConnections()
		rc.srv.Close()
	})
	t.Cleanup(func() {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for _, p := range rc.problems {
			t.Error(p)
		}
	})
	return rc
}

func (rc *receiver) problem(format string, args ...any) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.problems = append(rc.problems, fmt.Sprintf(format, args...))
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.problem("reading a body: %v", err)
		return
	}
	// The signature, computed here from the documented formula.
	ts := r.Header.Get(webhooks.HeaderTimestamp)
	mac := hmac.New(sha256.New, []byte(rc.secret))
	mac.Write([]byte(ts + "." + string(body)))
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(want), []byte(r.Header.Get(webhooks.HeaderSignature))) {
		rc.problem("bad signature %q on %s", r.Header.Get(webhooks.HeaderSignature), body)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if err := webhooks.Verify(rc.secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
		rc.problem("Verify: %v", err)
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		rc.problem("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
	}
	var p webhooks.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		rc.problem("body is not the JSON payload: %v: %s", err, body)
		return
	}
	if p.DeliveryID != p.ID+"/"+p.WebhookID || r.Header.Get(webhooks.HeaderDelivery) != p.DeliveryID {
		rc.problem("delivery id: header %q, body %q for event %q", r.Header.Get(webhooks.HeaderDelivery), p.DeliveryID, p.ID)
	}
	if r.Header.Get(webhooks.HeaderEvent) != p.Subject {
		rc.problem("Newsroom-Event %q for subject %q", r.Header.Get(webhooks.HeaderEvent), p.Subject)
	}
	checkEvent(rc, p)
	attempt, _ := strconv.Atoi(r.Header.Get(webhooks.HeaderAttempt))
	code := 0
	if rc.respond != nil {
		code = rc.respond(r, p, attempt)
	}
	if code == 0 {
		code = http.StatusNoContent
	}
	rc.mu.Lock()
	rc.requests = append(rc.requests, request{payload: p, header: r.Header.Clone(), body: body, status: code})
	rc.mu.Unlock()
	w.WriteHeader(code)
}

// checkEvent decodes the event as the protobuf its type names.
func checkEvent(rc *receiver, p webhooks.Payload) {
	var meta *articlev1.EventMeta
	switch p.Type {
	case "newsroom.publishing.v1.ArticlePublished":
		var ev publishingv1.ArticlePublished
		if err := protojson.Unmarshal(p.Event, &ev); err != nil {
			rc.problem("event: %v", err)
			return
		}
		if ev.GetArticle().GetHeadline() != "Headline of "+ev.GetMeta().GetArticleId() {
			rc.problem("published event carries %v", ev.GetArticle())
		}
		meta = ev.GetMeta()
	case "newsroom.publishing.v1.ArticleUnpublished":
		var ev publishingv1.ArticleUnpublished
		if err := protojson.Unmarshal(p.Event, &ev); err != nil {
			rc.problem("event: %v", err)
			return
		}
		meta = ev.GetMeta()
	default:
		rc.problem("unexpected type %q", p.Type)
		return
	}
	if meta.GetId() != p.ID {
		rc.problem("envelope id %q, event id %q", p.ID, meta.GetId())
	}
}

// delivered returns, per delivery id, how many attempts were answered 2xx.
func (rc *receiver) delivered() map[string]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[string]int{}
	for _, r := range rc.requests {
		if r.status < 300 {
			out[r.payload.DeliveryID]++
		}
	}
	return out
}

// attempts returns every request for delivery id.
func (rc *receiver) attempts(id string) []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []request
	for _, r := range rc.requests {
		if r.payload.DeliveryID == id {
			out = append(out, r)
		}
	}
	return out
}

// waitDelivered waits until every id in want was delivered.
func (rc *receiver) waitDelivered(t *testing.T, want []string) map[string]int {
	t.Helper()
	var got map[string]int
	testutil.Eventually(t, 60*time.Second, fmt.Sprintf("%d deliveries", len(want)), func() bool {
		got = rc.delivered()
		for _, id := range want {
			if got[id] == 0 {
				return false
			}
		}
		return true
	})
	return got
}

// deliveryIDs is the delivery id of each article's publication to sub.
func deliveryIDs(sub string, articles ...string) []string {
	var out []string
	for _, a := range articles {
		out = append(out, webhooks.DeliveryID(publishedID(a), sub))
	}
	return out
}

func keys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// deadLetters returns what the DLQ holds for durable.
func deadLetters(t *testing.T, ctx context.Context, js jetstream.JetStream, durable string) []*jetstream.RawStreamMsg {
	t.Helper()
	st, err := js.Stream(ctx, natsx.DLQStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject == natsx.DLQSubject+"."+durable {
			out = append(out, m)
		}
	}
	return out
}
