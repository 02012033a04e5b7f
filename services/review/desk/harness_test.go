package desk_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/drafting"
	"newsroom.dev/services/publishing"
	"newsroom.dev/services/review"
	"newsroom.dev/services/review/desk"
)

const wait = 20 * time.Second

// harness runs the real drafting, review and publishing services on an
// embedded JetStream behind one real gRPC server, as `newsroom dev` does.
type harness struct {
	t          *testing.T
	nats       *testutil.NATS
	keys       *auth.Keyring
	addr       string
	drafting   draftingv1.DraftingServiceClient
	review     reviewv1.ReviewServiceClient
	publishing publishingv1.PublishingServiceClient
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	n := testutil.StartNATS(t, "")
	keys := testutil.Keys(t)
	ctx := context.Background()
	for _, svc := range []string{"drafting", "review", "publishing", "linking"} {
		if _, err := natsx.EnsureStream(ctx, n.JS, strings.ToUpper(svc), events.StreamSubjects(svc), 1); err != nil {
			t.Fatal(err)
		}
	}
	deps := testutil.Deps(n, keys, nil)
	dr, err := drafting.New(ctx, deps, drafting.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rv, err := review.New(ctx, deps, review.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := publishing.New(ctx, deps, publishing.Config{BaseURL: "http://news.test"})
	if err != nil {
		t.Fatal(err)
	}
	conn := testutil.Serve(t, keys, dr, rv, pb)
	return &harness{
		t: t, nats: n, keys: keys, addr: conn.Target(),
		drafting:   draftingv1.NewDraftingServiceClient(conn),
		review:     reviewv1.NewReviewServiceClient(conn),
		publishing: publishingv1.NewPublishingServiceClient(conn),
	}
}

// startDesk serves a desk on the harness's services, as the review
// service and `newsroom dev` do, and waits until it answers. Its live
// feeds start when a review page opens (or the queue is read). It returns
// the desk's base URL.
func (h *harness) startDesk(secure bool) string {
	h.t.Helper()
	return h.startDeskWith(desk.Config{SecureCookie: secure})
}

// startDeskWith is startDesk with cfg (its service addresses filled in).
func (h *harness) startDeskWith(cfg desk.Config) string {
	h.t.Helper()
	cfg.ReviewAddr, cfg.DraftingAddr, cfg.PublishingAddr = h.addr, h.addr, h.addr
	d, err := desk.New(cfg, testutil.Deps(h.nats, h.keys, nil))
	if err != nil {
		h.t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx, lis) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("desk: %v", err)
		}
	})
	base := "http://" + lis.Addr().String()
	testutil.Eventually(h.t, wait, "the desk to answer", func() bool {
		return deskHealth(base).OK
	})
	return base
}

// health is the desk's /healthz.
type health struct {
	OK          bool
	Live        bool
	FeedsWanted bool `json:"feeds_wanted"`
}

func deskHealth(base string) health {
	var h health
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		return h
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&h)
	return h
}

func (h *harness) token(subject string, roles ...auth.Role) string {
	return testutil.Token(h.t, h.keys, subject, roles...)
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	h.t.Cleanup(cancel)
	return ctx
}

// submit creates the article as the writer and submits it for review.
func (h *harness) submit(writer string, a *articlev1.Article) *articlev1.Article {
	h.t.Helper()
	resp, err := h.drafting.CreateArticle(h.ctx(), &draftingv1.CreateArticleRequest{Article: a}, testutil.As(writer))
	if err != nil {
		h.t.Fatal(err)
	}
	sub, err := h.drafting.SubmitArticle(h.ctx(), &draftingv1.SubmitArticleRequest{Id: resp.GetArticle().GetId()}, testutil.As(writer))
	if err != nil {
		h.t.Fatal(err)
	}
	return sub.GetArticle()
}

// waitReview waits until review has scanned the article.
func (h *harness) waitReview(id string, as string) *reviewv1.Review {
	h.t.Helper()
	var r *reviewv1.Review
	testutil.Eventually(h.t, wait, "the review of "+id, func() bool {
		resp, err := h.review.GetReview(h.ctx(), &reviewv1.GetReviewRequest{ArticleId: id}, testutil.As(as))
		r = resp.GetReview()
		return err == nil
	})
	return r
}

func (h *harness) getReview(id, as string) *reviewv1.Review {
	h.t.Helper()
	resp, err := h.review.GetReview(h.ctx(), &reviewv1.GetReviewRequest{ArticleId: id}, testutil.As(as))
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.GetReview()
}

// waitStatus waits until drafting has the article in status st.
func (h *harness) waitStatus(id string, st articlev1.Status, as string) {
	h.t.Helper()
	testutil.Eventually(h.t, wait, id+" to be "+st.String(), func() bool {
		resp, err := h.drafting.GetArticle(h.ctx(), &draftingv1.GetArticleRequest{Id: id}, testutil.As(as))
		return err == nil && resp.GetArticle().GetStatus() == st
	})
}

// flaggedArticle is copy the rule packs flag in several fields: a hedge
// in the headline and a takeaway, an unconfirmed claim in the dek, a
// leader in a conflict and an anonymous source in the body (warnings), and
// two words of inclusive language (info).
func flaggedArticle() *articlev1.Article {
	return &articlev1.Article{
		Desk: "world", Byline: "Wendy Writer",
		Headline: "Minister reportedly resigns as border talks stall",
		Dek:      "An offer to exchange prisoners has not been independently confirmed.",
		Summary:  "Talks in Geneva ended without a deal on Thursday.",
		Body: "GENEVA — Putin ordered the invasion of Ukraine, officials said, and talks stalled on Thursday.\n\n" +
			"The committee chairman declined to comment. Two officials who spoke on condition of anonymity " +
			"said the minister had left <b>Geneva</b> & would not return.\n\n## Analysis\n\n" +
			"The talks will resume next week, both sides said.",
		Takeaways:  []*articlev1.Takeaway{{Quote: "He allegedly fled before dawn.", Context: "Court papers filed on Friday."}},
		Highlights: []string{"Firemen were called to the villa."},
		Kicker:     "Diplomacy",
	}
}

// authorsArticle is another flagged story, on another desk.
func authorsArticle() *articlev1.Article {
	return &articlev1.Article{
		Desk: "politics", Byline: "Walt Writer",
		Headline: "Senator allegedly took donations from a contractor",
		Dek:      "The claims could not be independently verified.",
		Body:     "The senator's office declined to comment on Tuesday.",
	}
}

// cleanArticle has nothing to flag: review clears it at once.
func cleanArticle() *articlev1.Article {
	return &articlev1.Article{
		Desk: "metro", Byline: "Wendy Writer",
		Headline: "City council approves budget with new money for bus lanes",
		Dek:      "The spending plan adds 40 kilometres of bus lanes over three years.",
		Body:     "The city council approved next year's budget on Tuesday.",
	}
}
