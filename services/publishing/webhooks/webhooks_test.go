package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/publishing/webhooks"
)

const secret = "s3cret-s3cret-s3cret"

// Only admins manage webhooks; bad subscriptions are refused with the
// reason; a generated secret is returned once and never listed.
func TestManageWebhooks(t *testing.T) {
	e := setup(t)
	req := &publishingv1.AddWebhookRequest{Url: "https://tools.example/hook", Events: []string{events.ArticlePublished}, Secret: secret}

	for _, role := range []auth.Role{auth.Publisher, auth.Editor, auth.Writer, auth.Reviewer} {
		as := testutil.As(testutil.Token(t, e.keys, "sam", role))
		if _, err := e.client.AddWebhook(e.ctx, req, as); status.Code(err) != codes.PermissionDenied {
			t.Errorf("AddWebhook as %s: %v, want PermissionDenied", role, err)
		}
		if _, err := e.client.ListWebhooks(e.ctx, &publishingv1.ListWebhooksRequest{}, as); status.Code(err) != codes.PermissionDenied {
			t.Errorf("ListWebhooks as %s: %v, want PermissionDenied", role, err)
		}
		if _, err := e.client.ListDeliveries(e.ctx, &publishingv1.ListDeliveriesRequest{WebhookId: "wh_0000000000000000"}, as); status.Code(err) != codes.PermissionDenied {
			t.Errorf("ListDeliveries as %s: %v, want PermissionDenied", role, err)
		}
	}
	if _, err := e.client.AddWebhook(e.ctx, req); status.Code(err) != codes.Unauthenticated {
		t.Errorf("AddWebhook without a token: %v", err)
	}

	for _, bad := range []*publishingv1.AddWebhookRequest{
		{Url: "ftp://tools.example/hook", Events: req.Events, Secret: secret},
		{Url: "https://user:pw@tools.example/hook", Events: req.Events, Secret: secret},
		{Url: "tools.example/hook", Events: req.Events, Secret: secret},
		{Url: "http://169.254.169.254/latest/meta-data", Events: req.Events, Secret: secret},
		{Url: req.Url, Events: nil, Secret: secret},
		{Url: req.Url, Events: []string{events.ArticleSubmitted}, Secret: secret},
		{Url: req.Url, Events: []string{"newsroom.publishing.article.publish"}, Secret: secret},
		{Url: req.Url, Events: []string{"newsroom.>"}, Secret: secret},
		{Url: req.Url, Events: []string{"newsroom.publishing.>.x"}, Secret: secret},
		{Url: req.Url, Events: req.Events, Secret: "short"},
		{Url: req.Url, Events: req.Events, Secret: "has spaces in it, sixteen+"},
	} {
		if _, err := e.client.AddWebhook(e.ctx, bad, e.admin); status.Code(err) != codes.InvalidArgument {
			t.Errorf("AddWebhook(%s, %v, %q) = %v, want InvalidArgument", bad.Url, bad.Events, bad.Secret, err)
		}
	}

	resp, err := e.client.AddWebhook(e.ctx, req, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetSecret() != "" {
		t.Error("a given secret was echoed back")
	}
	wh := resp.GetWebhook()
	if !strings.HasPrefix(wh.GetId(), "wh_") || wh.GetUrl() != req.Url || wh.GetCreatedBy() != "ada" || wh.GetCreatedAt() == nil {
		t.Errorf("registered %v", wh)
	}
	gen, err := e.client.AddWebhook(e.ctx, &publishingv1.AddWebhookRequest{
		Url: "http://127.0.0.1:9/hook", Events: []string{"newsroom.publishing.>", "newsroom.publishing.>"},
	}, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(gen.GetSecret()) != 64 {
		t.Errorf("generated secret %q", gen.GetSecret())
	}
	if got := gen.GetWebhook().GetEvents(); !slices.Equal(got, []string{"newsroom.publishing.>"}) {
		t.Errorf("events %v, want the pattern once", got)
	}

	list, err := e.client.ListWebhooks(e.ctx, &publishingv1.ListWebhooksRequest{}, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, w := range list.GetWebhooks() {
		ids = append(ids, w.GetId())
	}
	if !slices.Equal(ids, []string{wh.GetId(), gen.GetWebhook().GetId()}) {
		t.Errorf("listed %v", ids)
	}

	if _, err := e.client.RemoveWebhook(e.ctx, &publishingv1.RemoveWebhookRequest{Id: wh.GetId()}, e.admin); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.RemoveWebhook(e.ctx, &publishingv1.RemoveWebhookRequest{Id: wh.GetId()}, e.admin); status.Code(err) != codes.NotFound {
		t.Errorf("second RemoveWebhook: %v, want NotFound", err)
	}
	if _, err := e.client.RemoveWebhook(e.ctx, &publishingv1.RemoveWebhookRequest{Id: "newsroom.>"}, e.admin); status.Code(err) != codes.InvalidArgument {
		t.Errorf("RemoveWebhook of a pattern: %v, want InvalidArgument", err)
	}
	if _, err := e.client.ListDeliveries(e.ctx, &publishingv1.ListDeliveriesRequest{WebhookId: "wh_0000000000000000"}, e.admin); status.Code(err) != codes.NotFound {
		t.Errorf("ListDeliveries of an unknown webhook: %v, want NotFound", err)
	}
	list, err = e.client.ListWebhooks(e.ctx, &publishingv1.ListWebhooksRequest{}, e.admin)
	if err != nil || len(list.GetWebhooks()) != 1 {
		t.Errorf("after removal: %v, %v", list.GetWebhooks(), err)
	}
}

// Each subscriber gets each event it subscribed to, signed, exactly once
// when it answers at once; events it did not subscribe to, and events
// published before it registered, are not sent.
func TestDeliversSubscribedEventsOnce(t *testing.T) {
	e := setup(t)
	publish(t, e.ctx, e.n.JS, "before")
	onlyPublished := newReceiver(t, secret, nil)
	everything := newReceiver(t, "another-secret-0123456789", nil)
	a := e.add(t, onlyPublished.srv.URL+"/hooks/newsroom", secret, events.ArticlePublished)
	b := e.add(t, everything.srv.URL, "another-secret-0123456789", "newsroom.publishing.>")

	publish(t, e.ctx, e.n.JS, "p1")
	unpublish(t, e.ctx, e.n.JS, "p1")
	publish(t, e.ctx, e.n.JS, "p2")

	unpubB := webhooks.DeliveryID(events.ID("p1", 1, "unpublished", "1"), b)
	gotB := everything.waitDelivered(t, append(deliveryIDs(b, "p1", "p2"), unpubB))
	// a's tasks are enqueued in event order, so once p2 reached a, the
	// unpublished event before it was either sent or skipped for good.
	gotA := onlyPublished.waitDelivered(t, deliveryIDs(a, "p1", "p2"))
	if want := deliveryIDs(a, "p1", "p2"); !slices.Equal(keys(gotA), want) {
		t.Errorf("a got %v, want only %v", keys(gotA), want)
	}
	if len(gotB) != 3 {
		t.Errorf("b got %v", keys(gotB))
	}
	for id, n := range gotA {
		if n != 1 || len(onlyPublished.attempts(id)) != 1 {
			t.Errorf("%s delivered %d times in %d requests", id, n, len(onlyPublished.attempts(id)))
		}
	}
	for id, n := range gotB {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	r := onlyPublished.attempts(webhooks.DeliveryID(publishedID("p1"), a))[0]
	if r.payload.Subject != events.ArticlePublished || r.payload.Type != "newsroom.publishing.v1.ArticlePublished" ||
		r.header.Get(webhooks.HeaderAttempt) != "1" || r.header.Get("User-Agent") != webhooks.UserAgent {
		t.Errorf("request %+v with headers %v", r.payload, r.header)
	}

	testutil.Eventually(t, 10*time.Second, "two logged attempts", func() bool { return len(e.deliveries(t, a)) == 2 })
	for _, d := range e.deliveries(t, a) {
		if d.GetOutcome() != publishingv1.DeliveryOutcome_DELIVERY_OUTCOME_DELIVERED || d.GetStatusCode() != http.StatusNoContent ||
			d.GetAttempt() != 1 || d.GetError() != "" || d.GetEventSubject() != events.ArticlePublished || d.GetTime() == nil || d.GetSequence() == 0 {
			t.Errorf("logged %v", d)
		}
	}
}

// A receiver that fails twice gets the event on the third attempt, with
// the same delivery id and body each time; the log shows all three.
func TestRetriesWithBackoff(t *testing.T) {
	e := setup(t)
	rc := newReceiver(t, secret, func(_ *http.Request, _ webhooks.Payload, attempt int) int {
		if attempt <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	id := e.add(t, rc.srv.URL, secret, events.ArticlePublished)
	publish(t, e.ctx, e.n.JS, "r1")
	did := deliveryIDs(id, "r1")[0]
	rc.waitDelivered(t, []string{did})

	reqs := rc.attempts(did)
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if got := r.header.Get(webhooks.HeaderAttempt); got != fmt.Sprint(i+1) {
			t.Errorf("request %d has attempt %s", i+1, got)
		}
		if string(r.body) != string(reqs[0].body) {
			t.Errorf("attempt %d sent a different body", i+1)
		}
	}
	var log []*publishingv1.WebhookDelivery
	testutil.Eventually(t, 10*time.Second, "three logged attempts", func() bool {
		log = e.deliveries(t, id)
		return len(log) == 3
	})
	wantOutcome := []publishingv1.DeliveryOutcome{
		publishingv1.DeliveryOutcome_DELIVERY_OUTCOME_RETRYING,
		publishingv1.DeliveryOutcome_DELIVERY_OUTCOME_RETRYING,
		publishingv1.DeliveryOutcome_DELIVERY_OUTCOME_DELIVERED,
	}
	wantStatus := []int32{500, 500, 200}
	for i, d := range log {
		if d.GetAttempt() != int32(i+1) || d.GetOutcome() != wantOutcome[i] || d.GetStatusCode() != wantStatus[i] || d.GetDeliveryId() != did {
			t.Errorf("log %d: %v", i, d)
		}
	}
	if !strings.HasPrefix(log[0].GetError(), "HTTP 500") {
		t.Errorf("first attempt's error %q", log[0].GetError())
	}
	// limit keeps the newest.
	resp, err := e.client.ListDeliveries(e.ctx, &publishingv1.ListDeliveriesRequest{WebhookId: id, Limit: 1}, e.admin)
	if err != nil || len(resp.GetDeliveries()) != 1 || resp.GetDeliveries()[0].GetAttempt() != 3 || !resp.GetTruncated() {
		t.Errorf("ListDeliveries(limit 1) = %v, %v", resp, err)
	}
}

// A 4xx (other than 408/429) is given up at once; a 5xx after MaxDeliver
// attempts. Both go to the DLQ, and the log says FAILED.
func TestGivesUp(t *testing.T) {
	e := setup(t)
	gone := newReceiver(t, secret, func(*http.Request, webhooks.Payload, int) int { return http.StatusGone })
	down := newReceiver(t, secret, func(*http.Request, webhooks.Payload, int) int { return http.StatusServiceUnavailable })
	g := e.add(t, gone.srv.URL, secret, events.ArticlePublished)
	d := e.add(t, down.srv.URL, secret, events.ArticlePublished)
	publish(t, e.ctx, e.n.JS, "x1")

	for _, c := range []struct {
		id       string
		rc       *receiver
		attempts int
		status   int32
	}{{g, gone, 1, 410}, {d, down, testConfig().MaxDeliver, 503}} {
		durable := webhooks.DeliveryDurablePrefix + c.id
		testutil.Eventually(t, 10*time.Second, "a dead letter for "+durable, func() bool {
			return len(deadLetters(t, e.ctx, e.n.JS, durable)) == 1
		})
		did := deliveryIDs(c.id, "x1")[0]
		if n := len(c.rc.attempts(did)); n != c.attempts {
			t.Errorf("%s: %d attempts, want %d", durable, n, c.attempts)
		}
		dl := deadLetters(t, e.ctx, e.n.JS, durable)[0]
		if dl.Header.Get(webhooks.HeaderDelivery) != did || !strings.HasPrefix(dl.Header.Get("Newsroom-Dlq-Reason"), fmt.Sprintf("HTTP %d", c.status)) {
			t.Errorf("dead letter headers %v", dl.Header)
		}
		var log []*publishingv1.WebhookDelivery
		testutil.Eventually(t, 10*time.Second, "the logged attempts", func() bool {
			log = e.deliveries(t, c.id)
			return len(log) == c.attempts
		})
		last := log[len(log)-1]
		if last.GetOutcome() != publishingv1.DeliveryOutcome_DELIVERY_OUTCOME_FAILED || last.GetStatusCode() != c.status {
			t.Errorf("%s: last attempt logged as %v", durable, last)
		}
	}
}

// An endpoint that hangs holds up only its own deliveries, and holds only
// one of them: the rest wait in the stream, not in a client buffer where
// they would outlive AckWait and be handed out again.
func TestSlowEndpointDoesNotBlockOthers(t *testing.T) {
	cfg := testConfig()
	cfg.Timeout, cfg.AckWait = 20*time.Second, 30*time.Second // the hang outlasts the test
	e := setupWith(t, cfg)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	slow := newReceiver(t, secret, func(r *http.Request, _ webhooks.Payload, _ int) int {
		select {
		case <-release:
			return http.StatusOK
		case <-r.Context().Done():
			return http.StatusServiceUnavailable
		}
	})
	fast := newReceiver(t, secret, nil)
	s := e.add(t, slow.srv.URL, secret, events.ArticlePublished)
	f := e.add(t, fast.srv.URL, secret, events.ArticlePublished)
	articles := []string{"s1", "s2", "s3", "s4", "s5"}
	for _, a := range articles {
		publish(t, e.ctx, e.n.JS, a)
	}
	fast.waitDelivered(t, deliveryIDs(f, articles...))
	if got := slow.delivered(); len(got) != 0 {
		t.Fatalf("the hung endpoint completed %v", got)
	}
	var info *jetstream.ConsumerInfo
	testutil.Eventually(t, 10*time.Second, "the hung endpoint's five tasks", func() bool {
		c, err := e.n.JS.Consumer(e.ctx, webhooks.TaskStream, webhooks.DeliveryDurablePrefix+s)
		if err != nil {
			return false
		}
		info, err = c.Info(e.ctx)
		return err == nil && info.NumPending+uint64(info.NumAckPending) == uint64(len(articles))
	})
	if info.NumAckPending != 1 {
		t.Errorf("%d tasks handed out to a hung endpoint's consumer, want 1", info.NumAckPending)
	}
	once.Do(func() { close(release) })
	got := slow.waitDelivered(t, deliveryIDs(s, articles...))
	if !slices.Equal(keys(got), deliveryIDs(s, articles...)) {
		t.Errorf("slow endpoint got %v", keys(got))
	}
}

// Removing a webhook stops its deliveries and drops its consumer.
func TestRemoveStopsDeliveries(t *testing.T) {
	e := setup(t)
	removed := newReceiver(t, secret, nil)
	kept := newReceiver(t, secret, nil)
	r := e.add(t, removed.srv.URL, secret, events.ArticlePublished)
	k := e.add(t, kept.srv.URL, secret, events.ArticlePublished)
	publish(t, e.ctx, e.n.JS, "m1")
	removed.waitDelivered(t, deliveryIDs(r, "m1"))
	if _, err := e.client.RemoveWebhook(e.ctx, &publishingv1.RemoveWebhookRequest{Id: r}, e.admin); err != nil {
		t.Fatal(err)
	}
	publish(t, e.ctx, e.n.JS, "m2")
	kept.waitDelivered(t, deliveryIDs(k, "m1", "m2"))
	if got := keys(removed.delivered()); !slices.Equal(got, deliveryIDs(r, "m1")) {
		t.Errorf("removed webhook got %v", got)
	}
	testutil.Eventually(t, 10*time.Second, "the consumer deleted", func() bool {
		_, err := e.n.JS.Consumer(e.ctx, webhooks.TaskStream, webhooks.DeliveryDurablePrefix+r)
		return err != nil
	})
	// Its log stays readable.
	testutil.Eventually(t, 10*time.Second, "the removed webhook's log", func() bool { return len(e.deliveries(t, r)) == 1 })
}

// No event is lost when the service stops mid-delivery and NATS restarts:
// the delivery in flight, events published while the service was down and
// events after the restart all arrive, any repeat with the same delivery id.
func TestNoLossAcrossRestart(t *testing.T) {
	ctx := testCtx(t)
	n := testutil.StartNATS(t, "")
	ensurePublishing(t, ctx, n.JS)
	keyring := testutil.Keys(t)
	// AckWait stays short: a delivery in flight at shutdown may come back
	// only once it expires.
	cfg := testConfig()
	svc, err := webhooks.New(ctx, testutil.Deps(n, keyring, nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()

	// The first attempt at "a3" hangs until the service gives up on it.
	inflight := make(chan struct{})
	var once sync.Once
	rc := newReceiver(t, secret, func(r *http.Request, p webhooks.Payload, attempt int) int {
		if p.ID == publishedID("a3") && attempt == 1 {
			once.Do(func() { close(inflight) })
			<-r.Context().Done()
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	admin := auth.WithIdentity(ctx, auth.Identity{Subject: "ada", Roles: []auth.Role{auth.Admin}})
	resp, err := svc.AddWebhook(admin, &publishingv1.AddWebhookRequest{Url: rc.srv.URL, Events: []string{events.ArticlePublished}, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	id := resp.GetWebhook().GetId()

	var articles []string
	for i := 1; i <= 15; i++ {
		articles = append(articles, fmt.Sprintf("a%d", i))
	}
	for _, a := range articles[:5] {
		publish(t, ctx, n.JS, a)
	}
	select {
	case <-inflight:
	case <-ctx.Done():
		t.Fatal("a3 was never attempted")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, a := range articles[5:10] {
		publish(t, ctx, n.JS, a)
	}
	n.Stop()

	n2 := testutil.StartNATS(t, n.Dir)
	svc2, err := webhooks.New(ctx, testutil.Deps(n2, keyring, nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	conn := testutil.Serve(t, keyring, svc2)
	for _, a := range articles[10:] {
		publish(t, ctx, n2.JS, a)
	}
	want := deliveryIDs(id, articles...)
	got := rc.waitDelivered(t, want)
	slices.Sort(want)
	if !slices.Equal(keys(got), want) {
		t.Errorf("delivered %v, want %v", keys(got), want)
	}

	client := publishingv1.NewWebhookServiceClient(conn)
	as := testutil.As(testutil.Token(t, keyring, "ada", auth.Admin))
	a3 := webhooks.DeliveryID(publishedID("a3"), id)
	var log []*publishingv1.WebhookDelivery
	testutil.Eventually(t, 10*time.Second, "a3's attempts in the log", func() bool {
		resp, err := client.ListDeliveries(ctx, &publishingv1.ListDeliveriesRequest{WebhookId: id, Limit: 1000}, as)
		if err != nil {
			t.Fatal(err)
		}
		log = resp.GetDeliveries()
		return slices.ContainsFunc(log, func(d *publishingv1.WebhookDelivery) bool {
			return d.GetDeliveryId() == a3 && d.GetOutcome() == publishingv1.DeliveryOutcome_DELIVERY_OUTCOME_DELIVERED
		})
	})
	var first *publishingv1.WebhookDelivery
	for _, d := range log {
		if d.GetDeliveryId() == a3 {
			first = d
			break
		}
	}
	// Interrupted by the shutdown (or, on a very slow machine, by the
	// attempt's own timeout first): either way no answer, and retried.
	if first.GetOutcome() != publishingv1.DeliveryOutcome_DELIVERY_OUTCOME_RETRYING || first.GetStatusCode() != 0 ||
		!(strings.Contains(first.GetError(), "shutdown") || strings.Contains(first.GetError(), "timed out")) {
		t.Errorf("a3's interrupted attempt logged as %v", first)
	}
}
