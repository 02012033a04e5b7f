package publishing

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/testutil"
)

// liveDocs fetches the public documents of story id.
func (h *harness) liveDocs(id string) map[string]string {
	h.t.Helper()
	out := map[string]string{}
	for _, path := range []string{"/articles/" + id + "/" + id + "-story", "/articles/" + id + ".json", "/articles/" + id + ".ninjs.json", "/", "/feed.atom", "/sitemap.xml", "/news-sitemap.xml"} {
		resp, body := h.fetch(path)
		if resp.StatusCode != 200 {
			h.t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		out[path] = body
	}
	return out
}

// TestStagedUpdate: editing a live story makes a new revision while the
// site keeps the published one; readers see the new one only once review
// cleared it and a publisher republished it, marked "Updated".
func TestStagedUpdate(t *testing.T) {
	h := start(t, "", nil, nil)
	h.goLive(newStory("st1", 1, "HEADLINE-ONE"))
	testutil.Eventually(t, 10*time.Second, "the story on the front page", func() bool {
		_, front := h.fetch("/")
		return strings.Contains(front, "HEADLINE-ONE")
	})
	h.clk.Advance(time.Hour)

	two := newStory("st1", 2, "HEADLINE-TWO")
	two.Body = "REVISION-TWO-BODY replaces the report.\n"
	h.drafting(events.ArticleUpdated, two)
	h.drafting(events.ArticleSubmitted, two)
	h.drainDrafting("m-st1")
	for path, body := range h.liveDocs("st1") {
		if strings.Contains(body, "HEADLINE-TWO") || strings.Contains(body, "REVISION-TWO") {
			t.Errorf("%s shows the unreviewed revision", path)
		}
	}
	if _, page := h.fetch("/articles/st1/st1-story"); !strings.Contains(page, "HEADLINE-ONE") || strings.Contains(page, `id="updated"`) {
		t.Fatal("the live page lost revision 1 or claims an update")
	}

	// Cleared, not yet republished: still revision 1 everywhere.
	h.clear(two)
	if p := h.waitStatus("st1", ready); p.GetLiveRevision() != 1 || p.GetReadyRevision() != 2 {
		t.Fatalf("cleared revision 2: %v", p)
	}
	for path, body := range h.liveDocs("st1") {
		if strings.Contains(body, "HEADLINE-TWO") || strings.Contains(body, "REVISION-TWO") {
			t.Errorf("%s shows the cleared revision before it was republished", path)
		}
	}

	// Republished: the new revision, "Updated <time>", and updated times
	// in the JSON, the ninjs and the feed; the first publication stays.
	if _, err := h.publish("st1", nil); err != nil {
		t.Fatal(err)
	}
	_, page := h.fetch("/articles/st1/st1-story")
	assertOrder(t, page, "HEADLINE-TWO", `Published <time id="published" datetime="2026-03-02T09:00:00Z"`,
		`Updated <time id="updated" datetime="2026-03-02T10:00:00Z">2 March 2026, 10:00 UTC</time>`, "REVISION-TWO-BODY")
	_, body := h.fetch("/articles/st1.json")
	var a articlev1.Article
	if err := protojson.Unmarshal([]byte(body), &a); err != nil {
		t.Fatal(err)
	}
	if a.GetRevision() != 2 || !a.GetUpdatedAt().AsTime().Equal(t0.Add(time.Hour)) || !a.GetPublishedAt().AsTime().Equal(t0) {
		t.Fatalf("json: %v", &a)
	}
	_, body = h.fetch("/articles/st1.ninjs.json")
	var n struct{ Version, VersionCreated string }
	if err := json.Unmarshal([]byte(body), &n); err != nil || n.Version != "2" || n.VersionCreated != "2026-03-02T10:00:00Z" {
		t.Fatalf("ninjs: %+v %v", n, err)
	}
	testutil.Eventually(t, 10*time.Second, "the feed entry's updated time", func() bool {
		es := feedEntries(t, h)
		return len(es) == 1 && es[0].Title == "HEADLINE-TWO" && es[0].Updated == "2026-03-02T10:00:00Z" && es[0].Published == "2026-03-02T09:00:00Z"
	})
}

func TestCorrections(t *testing.T) {
	h := start(t, "", nil, nil)
	ctx := context.Background()
	correct := func(id, text string) (*publishingv1.CorrectArticleResponse, error) {
		return h.client.CorrectArticle(ctx, &publishingv1.CorrectArticleRequest{ArticleId: id, Text: text}, h.editor)
	}
	h.goLive(newStory("cr1", 1, "Mayor Smyth opens the bridge"))

	// Editors correct; publishers do not. Nothing unpublished is corrected,
	// and a correction says something.
	_, err := h.client.CorrectArticle(ctx, &publishingv1.CorrectArticleRequest{ArticleId: "cr1", Text: "x"}, h.pub)
	wantCode(t, err, codes.PermissionDenied)
	h.clear(article("cr0", 1))
	h.waitStatus("cr0", ready)
	_, err = correct("cr0", "Too early.")
	wantCode(t, err, codes.FailedPrecondition)
	_, err = correct("cr1", " \n ")
	wantCode(t, err, codes.InvalidArgument)
	_, err = correct("cr1", strings.Repeat("x", maxCorrection+1))
	wantCode(t, err, codes.InvalidArgument)
	_, err = correct("nope", "x")
	wantCode(t, err, codes.NotFound)

	resp, err := correct("cr1", "An earlier version\nmisspelled the mayor's name.")
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.GetCorrection(); c.GetSequence() != 1 || c.GetText() != "An earlier version misspelled the mayor's name." {
		t.Fatalf("correction: %v", c)
	}
	if p := resp.GetPublication(); p.GetStatus() != published || len(p.GetPendingCorrections()) != 1 {
		t.Fatalf("publication after correcting: %v", p)
	}
	// Recorded, not published: readers see nothing yet.
	if _, page := h.fetch("/articles/cr1/cr1-story"); strings.Contains(page, "Correction 1") {
		t.Fatal("a correction reached the page before publication")
	}

	// The publisher publishes: the live revision goes out again with it.
	h.clk.Advance(time.Hour)
	p, err := h.publish("cr1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.GetLiveRevision() != 1 || p.GetPublishCount() != 2 || len(p.GetPendingCorrections()) != 0 || len(p.GetArticle().GetCorrections()) != 1 {
		t.Fatalf("after publishing the correction: %v", p)
	}
	_, page := h.fetch("/articles/cr1/cr1-story")
	assertOrder(t, page, `id="kicker"`, `id="corrections"`, `id="correction-1"`, "Correction 1",
		`datetime="2026-03-02T10:00:00Z"`, "An earlier version misspelled the mayor&#39;s name.", `id="share"`)
	if _, ld := splitJSONLD(t, page); !strings.Contains(ld, `"correction":[{"@type":"CorrectionComment","text":"An earlier version misspelled the mayor's name."`) {
		t.Fatalf("JSON-LD lacks the correction: %s", ld)
	}
	testutil.Eventually(t, 10*time.Second, "the feed entry's new updated time", func() bool {
		es := feedEntries(t, h)
		return len(es) == 1 && es[0].Updated == "2026-03-02T10:00:00Z"
	})
	evs := h.published("cr1")
	if len(evs) != 2 || evs[1].GetMeta().GetId() != "cr1/1/published/2" || len(evs[1].GetArticle().GetCorrections()) != 1 {
		t.Fatalf("published events: %v", evs)
	}

	// The next correction waits for the next revision, which review
	// clears; they go out together, numbered on from the first.
	if resp, err := correct("cr1", "A second fix."); err != nil || resp.GetCorrection().GetSequence() != 2 {
		t.Fatalf("second correction: %v %v", resp, err)
	}
	two := newStory("cr1", 2, "Mayor Smith opens the bridge")
	h.drafting(events.ArticleUpdated, two)
	h.clear(two)
	h.waitStatus("cr1", ready)
	if _, page := h.fetch("/articles/cr1/cr1-story"); strings.Contains(page, "A second fix.") {
		t.Fatal("the second correction went out before the revision")
	}
	h.clk.Advance(time.Hour)
	if p, err := h.publish("cr1", nil); err != nil || p.GetLiveRevision() != 2 {
		t.Fatalf("republish: %v %v", p, err)
	}
	_, page = h.fetch("/articles/cr1/cr1-story")
	assertOrder(t, page, "Mayor Smith opens the bridge", `id="correction-1"`, "Correction 1", `datetime="2026-03-02T10:00:00Z"`,
		`id="correction-2"`, "Correction 2", `datetime="2026-03-02T11:00:00Z"`, "A second fix.")
	_, body := h.fetch("/articles/cr1.json")
	var a articlev1.Article
	if err := protojson.Unmarshal([]byte(body), &a); err != nil || len(a.GetCorrections()) != 2 || a.GetCorrections()[1].GetSequence() != 2 {
		t.Fatalf("json corrections: %v %v", a.GetCorrections(), err)
	}
}

// TestUnpublishLeavesEverySurface runs linking too: a taken-down story
// answers 410 and leaves the lists and the Related News box of the story
// that showed it; it can go back up later.
func TestUnpublishLeavesEverySurface(t *testing.T) {
	h := start(t, "", nil, nil)
	h.withLinking()
	ctx := context.Background()
	h.goLive(newStory("ua", 1, "Council budget vote, first report"))
	h.clk.Advance(time.Minute)
	h.goLive(newStory("ub", 1, "Council budget vote, second report"))
	testutil.Eventually(t, 10*time.Second, "ub's box to show ua", func() bool {
		_, page := h.fetch("/articles/ub/ub-story")
		return strings.Contains(page, `href="`+baseURL+`/articles/ua/ua-story"`)
	})
	for path, body := range h.liveDocs("ua") {
		if !strings.Contains(body, "/articles/ua") {
			t.Fatalf("%s lacks ua before the take-down", path)
		}
	}

	// A newer revision of ua is cleared and scheduled; taking ua down is
	// allowed all the same, and calls the schedule off.
	two := newStory("ua", 2, "Council budget vote, first report, updated")
	h.drafting(events.ArticleUpdated, two)
	h.clear(two)
	h.waitStatus("ua", ready)
	due := t0.Add(5 * time.Hour)
	if p, err := h.publish("ua", &due); err != nil || p.GetStatus() != scheduled || p.GetLiveRevision() != 1 {
		t.Fatalf("scheduling revision 2: %v %v", p, err)
	}
	h.clk.Advance(time.Minute)
	resp, err := h.client.UnpublishArticle(ctx, &publishingv1.UnpublishArticleRequest{ArticleId: "ua", Reason: "legal hold"}, h.pub)
	if err != nil {
		t.Fatal(err)
	}
	if p := resp.GetPublication(); p.GetLiveRevision() != 0 || p.GetScheduledAt() != nil || p.GetStatus() != ready {
		t.Fatalf("after the take-down: %v", p)
	}
	if _, ok := h.scheduleKey("ua"); ok {
		t.Fatal("the schedule survived the take-down")
	}
	uns := decodeAll(h, events.ArticleUnscheduled, func() *publishingv1.ArticleUnscheduled { return &publishingv1.ArticleUnscheduled{} })
	unp := decodeAll(h, events.ArticleUnpublished, func() *publishingv1.ArticleUnpublished { return &publishingv1.ArticleUnpublished{} })
	if len(uns) != 1 || uns[0].GetMeta().GetRevision() != 2 || len(unp) != 1 || unp[0].GetMeta().GetRevision() != 1 {
		t.Fatalf("events: unscheduled %v, unpublished %v", uns, unp)
	}

	for _, path := range []string{"/articles/ua/ua-story", "/articles/ua", "/articles/ua.json", "/articles/ua.ninjs.json"} {
		resp, body := h.fetch(path)
		if resp.StatusCode != 410 || !strings.Contains(body, "taken down") || strings.Contains(body, "first report") {
			t.Errorf("%s: %d, want 410 with a notice and without the story", path, resp.StatusCode)
		}
	}
	testutil.Eventually(t, 10*time.Second, "ua to leave every list and ub's box", func() bool {
		for _, path := range []string{"/", "/feed.atom", "/sitemap.xml", "/news-sitemap.xml", "/articles/ub/ub-story", "/articles/ub.ninjs.json"} {
			if _, body := h.fetch(path); strings.Contains(body, "/articles/ua") {
				return false
			}
		}
		return true
	})

	// The schedule does not fire; the story can go back up later.
	h.clk.Set(due.Add(time.Minute))
	settle(t, h.svc)
	if n := len(h.published("ua")); n != 1 {
		t.Fatalf("%d published events for ua; the called-off schedule fired", n)
	}
	if p, err := h.publish("ua", nil); err != nil || p.GetLiveRevision() != 2 || p.GetStatus() != published {
		t.Fatalf("republishing: %v %v", p, err)
	}
	if resp, body := h.fetch("/articles/ua/ua-story"); resp.StatusCode != 200 || !strings.Contains(body, "first report, updated") {
		t.Fatalf("republished page: %d", resp.StatusCode)
	}
	testutil.Eventually(t, 10*time.Second, "ua back in the sitemap", func() bool {
		_, body := h.fetch("/sitemap.xml")
		return strings.Contains(body, "/articles/ua/ua-story")
	})

	// Taken down while a newer revision is READY (not scheduled).
	h.drafting(events.ArticleUpdated, newStory("ua", 3, "third"))
	h.clear(newStory("ua", 3, "third"))
	testutil.Eventually(t, 10*time.Second, "revision 3 cleared", func() bool { return h.get("ua").GetReadyRevision() == 3 })
	resp, err = h.client.UnpublishArticle(ctx, &publishingv1.UnpublishArticleRequest{ArticleId: "ua", Reason: "again"}, h.pub)
	if err != nil || resp.GetPublication().GetLiveRevision() != 0 || resp.GetPublication().GetStatus() != ready {
		t.Fatalf("take-down with revision 3 ready: %v %v", resp, err)
	}
	if n := len(h.streamMsgs(events.ArticleUnscheduled)); n != 1 {
		t.Fatalf("%d unscheduled events, want 1 (nothing was scheduled)", n)
	}

	// Publications and take-downs are numbered so consumers can order
	// them: up 1, down 1, up 2, down 2.
	var pubs, downs []int32
	for _, ev := range h.published("ua") {
		pubs = append(pubs, ev.GetPublication())
	}
	for _, ev := range decodeAll(h, events.ArticleUnpublished, func() *publishingv1.ArticleUnpublished { return &publishingv1.ArticleUnpublished{} }) {
		downs = append(downs, ev.GetPublication())
	}
	if !slices.Equal(pubs, []int32{1, 2}) || !slices.Equal(downs, []int32{1, 2}) {
		t.Fatalf("publication numbers: published %v, unpublished %v; want [1 2] and [1 2]", pubs, downs)
	}
}
