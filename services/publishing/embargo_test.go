package publishing

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/linking"
)

func TestEmbargoRules(t *testing.T) {
	h := start(t, "", nil, nil)
	ctx := context.Background()
	h.clear(article("e1", 1))
	h.waitStatus("e1", ready)
	emb := t0.Add(2 * time.Hour)
	early, late := t0.Add(time.Hour), t0.Add(3*time.Hour)

	// A time before the embargo is refused, and changes nothing.
	_, err := h.publishReq("e1", &early, &emb)
	wantCode(t, err, codes.FailedPrecondition)
	if p := h.get("e1"); p.GetStatus() != ready || p.GetEmbargoUntil() != nil {
		t.Fatalf("a refused publish changed the record: %v", p)
	}
	if _, ok := h.scheduleKey("e1"); ok {
		t.Fatal("a refused publish left a schedule key")
	}

	// Publish now under an embargo: scheduled at the embargo.
	p, err := h.publishReq("e1", nil, &emb)
	if err != nil {
		t.Fatal(err)
	}
	if p.GetStatus() != scheduled || !p.GetScheduledAt().AsTime().Equal(emb) || !p.GetEmbargoUntil().AsTime().Equal(emb) {
		t.Fatalf("embargoed publish: %v", p)
	}
	sch := decodeAll(h, events.ArticleScheduled, func() *publishingv1.ArticleScheduled { return &publishingv1.ArticleScheduled{} })
	if len(sch) != 1 || !sch[0].GetEmbargoUntil().AsTime().Equal(emb) {
		t.Fatalf("scheduled events: %v", sch)
	}
	// The recorded embargo holds for later calls too: "now" stays at the
	// embargo (no change, no event), an earlier time is refused, a later
	// one stands.
	if p, err := h.publish("e1", nil); err != nil || !p.GetScheduledAt().AsTime().Equal(emb) {
		t.Fatalf("publish now again: %v %v", p, err)
	}
	_, err = h.publish("e1", &early)
	wantCode(t, err, codes.FailedPrecondition)
	if p, err := h.publish("e1", &late); err != nil || !p.GetScheduledAt().AsTime().Equal(late) {
		t.Fatalf("publish after the embargo: %v %v", p, err)
	}
	// Unscheduling keeps the embargo; publishing now schedules at it again.
	resp, err := h.client.UnscheduleArticle(ctx, &publishingv1.UnscheduleArticleRequest{ArticleId: "e1"}, h.pub)
	if err != nil {
		t.Fatal(err)
	}
	if p := resp.GetPublication(); p.GetStatus() != ready || !p.GetEmbargoUntil().AsTime().Equal(emb) {
		t.Fatalf("unscheduled: %v", p)
	}
	if p, err := h.publish("e1", nil); err != nil || p.GetStatus() != scheduled || !p.GetScheduledAt().AsTime().Equal(emb) {
		t.Fatalf("publish now after unscheduling: %v %v", p, err)
	}
	if n := len(h.streamMsgs(events.ArticleScheduled)); n != 3 {
		t.Fatalf("%d scheduled events, want 3", n)
	}

	// Not a second early; at the embargo it goes live.
	h.clk.Set(emb.Add(-time.Second))
	settle(t, h.svc)
	if p := h.get("e1"); p.GetStatus() != scheduled || len(h.published("e1")) != 0 {
		t.Fatalf("fired before the embargo: %v", p)
	}
	h.clk.Set(emb)
	if p := h.waitStatus("e1", published); !p.GetPublishedAt().AsTime().Equal(emb) {
		t.Fatalf("after the embargo: %v", p)
	}

	// A live story is public already: no embargo can hold it back (a new
	// revision waiting included).
	h.clear(article("e1", 2))
	h.waitStatus("e1", ready)
	far := emb.Add(10 * time.Hour)
	_, err = h.publishReq("e1", nil, &far)
	wantCode(t, err, codes.FailedPrecondition)

	// An embargo is lifted early by replacing it with a time that has
	// passed: the story goes out now.
	h.clear(article("e2", 1))
	h.waitStatus("e2", ready)
	if p, err := h.publishReq("e2", nil, &far); err != nil || p.GetStatus() != scheduled {
		t.Fatalf("embargo e2: %v %v", p, err)
	}
	now := h.clk.Now()
	if p, err := h.publishReq("e2", nil, &now); err != nil || p.GetStatus() != published || !p.GetPublishedAt().AsTime().Equal(now) {
		t.Fatalf("lifting the embargo: %v %v", p, err)
	}
	if _, ok := h.scheduleKey("e2"); ok {
		t.Fatal("schedule key left after the embargo was lifted")
	}
}

// publicSurfaces are every public document of the site, with the story
// pages of the given ids.
func publicSurfaces(ids ...string) []string {
	out := []string{"/", "/feed.atom", "/sitemap.xml", "/news-sitemap.xml", "/robots.txt"}
	for _, id := range ids {
		out = append(out, "/articles/"+id, "/articles/"+id+"/"+id+"-story", "/articles/"+id+".json", "/articles/"+id+".ninjs.json")
	}
	return out
}

// TestEmbargoLeaksNowhere checks every public surface, with linking
// running, while a story is embargoed, then after the embargo lifts.
func TestEmbargoLeaksNowhere(t *testing.T) {
	h := start(t, "", nil, nil)
	h.withLinking()
	const secret = "EMBARGOED-SECRET"

	h.goLive(newStory("b1", 1, "Council budget vote, part one"))
	h.clk.Advance(time.Minute)

	e := newStory("emb1", 1, secret+" council budget vote")
	e.Body = secret + " opens the report about the council budget vote.\n"
	h.clear(e)
	h.waitStatus("emb1", ready)
	lift := t0.Add(time.Hour)
	if p, err := h.publishReq("emb1", nil, &lift); err != nil || p.GetStatus() != scheduled {
		t.Fatalf("embargo: %v %v", p, err)
	}

	// A story published during the embargo, on the same subject: its
	// Related News box is computed while the embargoed one waits.
	h.clk.Advance(time.Minute)
	h.goLive(newStory("c1", 1, "Council budget vote, part two"))
	testutil.Eventually(t, 10*time.Second, "c1's Related News box (linking at work)", func() bool {
		_, page := h.fetch("/articles/c1/c1-story")
		return strings.Contains(page, `id="related"`) && strings.Contains(page, "/articles/b1/b1-story")
	})

	for _, path := range publicSurfaces("b1", "c1", "emb1") {
		resp, body := h.fetch(path)
		if strings.Contains(body, secret) || strings.Contains(body, "emb1") {
			t.Errorf("%s (%d) leaks the embargoed story:\n%s", path, resp.StatusCode, body)
		}
		if strings.Contains(path, "emb1") && resp.StatusCode != 404 {
			t.Errorf("%s: %d before the embargo, want 404", path, resp.StatusCode)
		}
	}
	// Nothing told linking (or anyone reading the stream) about it.
	if n := len(h.published("emb1")); n != 0 {
		t.Fatalf("%d ArticlePublished events before the embargo", n)
	}
	docs, err := h.nats.JS.KeyValue(context.Background(), linking.BucketDocs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := docs.Get(context.Background(), "emb1"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("linking indexed the embargoed story: %v", err)
	}

	// The embargo lifts: the story is everywhere.
	h.clk.Set(lift)
	h.waitStatus("emb1", published)
	testutil.Eventually(t, 10*time.Second, "the story on every list", func() bool {
		for _, path := range []string{"/", "/feed.atom", "/sitemap.xml", "/news-sitemap.xml"} {
			if _, body := h.fetch(path); !strings.Contains(body, "/articles/emb1") {
				return false
			}
		}
		return true
	})
	for _, path := range []string{"/articles/emb1/emb1-story", "/articles/emb1.json", "/articles/emb1.ninjs.json"} {
		if resp, body := h.fetch(path); resp.StatusCode != 200 || !strings.Contains(body, secret) {
			t.Errorf("%s after the embargo: %d", path, resp.StatusCode)
		}
	}
	if evs := h.published("emb1"); len(evs) != 1 || !evs[0].GetArticle().GetPublishedAt().AsTime().Equal(lift) {
		t.Fatalf("published events after the embargo: %v", evs)
	}
	// Linking now relates it: its own box shows the earlier stories.
	testutil.Eventually(t, 10*time.Second, "emb1's Related News box", func() bool {
		_, page := h.fetch("/articles/emb1/emb1-story")
		return strings.Contains(page, `id="related"`) && strings.Contains(page, "/articles/c1/c1-story")
	})
}
