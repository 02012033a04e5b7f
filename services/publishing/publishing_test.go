package publishing

import (
	"context"
	"encoding/xml"
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

func TestPublishNeedsAClearedRevision(t *testing.T) {
	h := start(t, "", nil, nil)
	ctx := context.Background()

	_, err := h.publish("never-heard", nil)
	wantCode(t, err, codes.NotFound)
	_, err = h.publish("", nil)
	wantCode(t, err, codes.InvalidArgument)
	_, err = h.publish("bad.id", nil)
	wantCode(t, err, codes.InvalidArgument)
	_, err = h.client.GetPublication(ctx, &publishingv1.GetPublicationRequest{ArticleId: "never-heard"}, h.writer)
	wantCode(t, err, codes.NotFound)

	// Publishing has heard of a draft, but review has not cleared it.
	draft := article("draft1", 1)
	h.drafting(events.ArticleSubmitted, draft)
	testutil.Eventually(t, 10*time.Second, "the submission to be recorded", func() bool { return h.get("draft1") != nil })
	_, err = h.publish("draft1", nil)
	wantCode(t, err, codes.FailedPrecondition)

	// Only publishers may publish.
	h.clear(draft)
	h.waitStatus("draft1", ready)
	_, err = h.client.PublishArticle(ctx, &publishingv1.PublishArticleRequest{ArticleId: "draft1"}, h.writer)
	wantCode(t, err, codes.PermissionDenied)
	if got := h.get("draft1"); got.GetStatus() != ready || len(h.published("draft1")) != 0 {
		t.Fatalf("a refused call changed the publication: %v", got)
	}
}

func TestPublishNow(t *testing.T) {
	h := start(t, "", nil, nil)
	a := article("a1", 3)
	a.Headline = `<script>alert("x")</script> Council passes budget & more`
	h.clear(a)
	p := h.waitStatus("a1", ready)
	if p.GetReadyRevision() != 3 || p.GetArticle().GetSensitivityNote().GetTitle() != "NOTE-TITLE" {
		t.Fatalf("ready publication lacks the cleared article: %v", p)
	}

	h.clk.Advance(time.Minute)
	p, err := h.publish("a1", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantURL := baseURL + "/articles/a1/council-passes-budget"
	if p.GetStatus() != published || p.GetLiveRevision() != 3 || p.GetPublishCount() != 1 || p.GetPublicUrl() != wantURL {
		t.Fatalf("publication after publish: %v", p)
	}
	live := p.GetArticle()
	if live.GetStatus() != published || !live.GetPublishedAt().AsTime().Equal(t0.Add(time.Minute)) ||
		!live.GetUpdatedAt().AsTime().Equal(t0.Add(time.Minute)) || live.GetPublicUrl() != wantURL || live.GetPublishedRevision() != 3 {
		t.Fatalf("live article: %v", live)
	}

	// Publishing again is a no-op, and exactly one event went out.
	again, err := h.publish("a1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.GetPublishCount() != 1 {
		t.Fatalf("republish changed the publication: %v", again)
	}
	evs := h.published("a1")
	if len(evs) != 1 {
		t.Fatalf("got %d ArticlePublished events, want 1", len(evs))
	}
	if ev := evs[0]; ev.GetMeta().GetId() != "a1/3/published/1" || ev.GetMeta().GetActor() != "pat" ||
		ev.GetArticle().GetRevision() != 3 || ev.GetArticle().GetPublicUrl() != wantURL {
		t.Fatalf("event: %v", ev)
	}

	// The page has every part, in order, with hostile text escaped.
	resp, page := h.fetch("/articles/a1/council-passes-budget")
	if resp.StatusCode != 200 {
		t.Fatalf("page: %d\n%s", resp.StatusCode, page)
	}
	assertOrder(t, page,
		`id="headline"`, "Council passes budget", `id="dek"`, "DEK-TEXT",
		`id="summary"`, "SUMMARY-TEXT", `id="report"`, "REPORT-TEXT",
		`id="takeaways"`, "QUOTE-TEXT", "CONTEXT-TEXT",
		`id="sections"`, "<h2>Analysis</h2>", "SECTIONS-TEXT",
		`id="highlights"`, "HIGHLIGHT-TEXT one", "HIGHLIGHT-TEXT two",
		`id="sensitivity-note"`, "NOTE-TITLE", "NOTE-TEXT",
		`id="kicker"`, "KICKER-TEXT", `id="share"`)
	if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Fatalf("headline not escaped:\n%s", page)
	}
	for _, want := range []string{`class="byline"`, "Ada Reporter", `id="desk"`, "City Desk", `datetime="2026-03-02T09:01:00Z"`,
		`href="` + wantURL + `"`, `href="mailto:?subject=`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, `id="related"`) {
		t.Error("Related News shown before linking sent any")
	}
	if got := resp.Header.Get("Content-Security-Policy"); got != contentSecurityPolicy {
		t.Errorf("CSP = %q", got)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") == "" {
		t.Errorf("security headers missing: %v", resp.Header)
	}

	// Short and wrong-slug URLs redirect to the canonical one.
	for _, path := range []string{"/articles/a1", "/articles/a1/old-slug"} {
		resp, _ := h.fetch(path)
		if resp.StatusCode != 301 || resp.Header.Get("Location") != "/articles/a1/council-passes-budget" {
			t.Errorf("%s: %d to %q", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	// The JSON form is the live article.
	resp, body := h.fetch("/articles/a1.json")
	got := &articlev1.Article{}
	if resp.StatusCode != 200 || protojson.Unmarshal([]byte(body), got) != nil || got.GetRevision() != 3 || got.GetHeadline() != a.GetHeadline() {
		t.Fatalf("json: %d %s", resp.StatusCode, body)
	}

	// Linking's related stories appear in a Related News box, last.
	h.related("a1",
		&articlev1.RelatedStory{ArticleId: "b2", Headline: "RELATED-ONE <b>bold</b>", Url: baseURL + "/articles/b2/x"},
		&articlev1.RelatedStory{ArticleId: "c3", Headline: "RELATED-TWO", Url: "javascript:alert(1)"},
		&articlev1.RelatedStory{ArticleId: "d4", Headline: "RELATED-PINNED", Pinned: true},
		&articlev1.RelatedStory{ArticleId: "a1", Headline: "ITSELF"})
	testutil.Eventually(t, 10*time.Second, "the Related News box", func() bool {
		_, page = h.fetch("/articles/a1/council-passes-budget")
		return strings.Contains(page, `id="related"`)
	})
	assertOrder(t, page, `id="kicker"`, `id="share"`, `id="related"`, "Related News", "RELATED-PINNED",
		`href="`+baseURL+`/articles/b2/x"`, "RELATED-ONE &lt;b&gt;bold&lt;/b&gt;", `href="/articles/c3"`, "RELATED-TWO")
	if strings.Contains(page, "javascript:") || strings.Contains(page, "ITSELF") {
		t.Error("a javascript: URL or the story itself reached the Related News box")
	}

	// The front page lists the story.
	testutil.Eventually(t, 10*time.Second, "the story on the front page", func() bool {
		_, front := h.fetch("/")
		return strings.Contains(front, `href="/articles/a1/council-passes-budget"`) && strings.Contains(front, "DEK-TEXT")
	})
}

func TestUnknownAndUnreadyPagesAre404(t *testing.T) {
	h := start(t, "", nil, nil)
	h.clear(article("r1", 1))
	h.waitStatus("r1", ready)
	for _, path := range []string{"/articles/nope/x", "/articles/r1/council-passes-budget", "/articles/r1.json", "/articles/bad.id.json", "/nowhere"} {
		resp, body := h.fetch(path)
		if resp.StatusCode != 404 || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
	if resp, body := h.fetch("/healthz"); resp.StatusCode != 200 || !strings.Contains(body, "ok") {
		t.Errorf("healthz: %d %s", resp.StatusCode, body)
	}
	if resp, _ := h.fetch("/static/site.css"); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("css: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestMarkdownIsSafe(t *testing.T) {
	h := start(t, "", nil, nil)
	a := article("m1", 1)
	a.Body = "Hello <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n[click](javascript:alert(3)) **bold**\n\n<div onclick=\"x()\">raw</div>\n\n## Analysis\n\n[ok](https://example.org/)\n"
	h.clear(a)
	h.waitStatus("m1", ready)
	if _, err := h.publish("m1", nil); err != nil {
		t.Fatal(err)
	}
	_, page := h.fetch("/articles/m1/council-passes-budget")
	page, _ = splitJSONLD(t, page) // data, not script; checked in TestPageMetadata
	for _, bad := range []string{"<script", "onerror", "javascript:", "onclick", "<div"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q:\n%s", bad, page)
		}
	}
	for _, good := range []string{"<strong>bold</strong>", `<a href="https://example.org/">ok</a>`} {
		if !strings.Contains(page, good) {
			t.Errorf("page lacks %q", good)
		}
	}
}

func TestUnpublishAndRepublish(t *testing.T) {
	h := start(t, "", nil, nil)
	ctx := context.Background()
	h.clear(article("u1", 2))
	h.clear(article("u2", 1))
	h.waitStatus("u1", ready)
	h.waitStatus("u2", ready)
	if _, err := h.publish("u1", nil); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(time.Hour)
	if _, err := h.publish("u2", nil); err != nil {
		t.Fatal(err)
	}

	_, err := h.client.UnpublishArticle(ctx, &publishingv1.UnpublishArticleRequest{ArticleId: "u1", Reason: "  "}, h.pub)
	wantCode(t, err, codes.InvalidArgument)
	_, err = h.client.UnpublishArticle(ctx, &publishingv1.UnpublishArticleRequest{ArticleId: "nope", Reason: "legal"}, h.pub)
	wantCode(t, err, codes.NotFound)
	testutil.Eventually(t, 10*time.Second, "both stories in the feed", func() bool { return len(feedEntries(t, h)) == 2 })

	// Readers revalidate pages by ETag; a takedown must not be answered 304.
	page, _ := h.fetch("/articles/u1/council-passes-budget")
	etag := page.Header.Get("ETag")
	if etag == "" || page.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("page caching headers: %v", page.Header)
	}
	if r := h.fetchIfNoneMatch("/articles/u1/council-passes-budget", etag); r.StatusCode != 304 {
		t.Fatalf("unchanged page revalidated with %d, want 304", r.StatusCode)
	}

	resp, err := h.client.UnpublishArticle(ctx, &publishingv1.UnpublishArticleRequest{ArticleId: "u1", Reason: "legal hold"}, h.pub)
	if err != nil {
		t.Fatal(err)
	}
	if p := resp.GetPublication(); p.GetStatus() != unpublished || p.GetLiveRevision() != 0 || p.GetUnpublishReason() != "legal hold" {
		t.Fatalf("after unpublish: %v", p)
	}
	_, err = h.client.UnpublishArticle(ctx, &publishingv1.UnpublishArticleRequest{ArticleId: "u1", Reason: "again"}, h.pub)
	wantCode(t, err, codes.FailedPrecondition)
	msgs := h.streamMsgs(events.ArticleUnpublished)
	if len(msgs) != 1 {
		t.Fatalf("%d unpublished events, want 1", len(msgs))
	}

	if r := h.fetchIfNoneMatch("/articles/u1/council-passes-budget", etag); r.StatusCode != 410 {
		t.Fatalf("taken-down page revalidated with %d, want 410", r.StatusCode)
	}
	for _, path := range []string{"/articles/u1/council-passes-budget", "/articles/u1", "/articles/u1.json"} {
		if resp, body := h.fetch(path); resp.StatusCode != 410 || strings.Contains(body, "Council passes budget") {
			t.Errorf("%s: %d, want 410 without the story\n%s", path, resp.StatusCode, body)
		}
	}
	testutil.Eventually(t, 10*time.Second, "the story to leave the front page and the feed", func() bool {
		_, front := h.fetch("/")
		entries := feedEntries(t, h)
		return !strings.Contains(front, "/articles/u1/") && strings.Contains(front, "/articles/u2/") &&
			len(entries) == 1 && strings.Contains(entries[0].Link.Href, "/articles/u2/")
	})

	// The same cleared revision may go back up; first publication time stays.
	h.clk.Advance(time.Hour)
	p, err := h.publish("u1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.GetStatus() != published || p.GetPublishCount() != 2 || !p.GetPublishedAt().AsTime().Equal(t0) ||
		!p.GetArticle().GetUpdatedAt().AsTime().Equal(t0.Add(2*time.Hour)) || p.GetUnpublishReason() != "" {
		t.Fatalf("after republish: %v", p)
	}
	evs := h.published("u1")
	if len(evs) != 2 || evs[1].GetMeta().GetId() != "u1/2/published/2" {
		t.Fatalf("published events: %v", evs)
	}
	if resp, _ := h.fetch("/articles/u1/council-passes-budget"); resp.StatusCode != 200 {
		t.Fatalf("republished page: %d", resp.StatusCode)
	}
}

type atomTestFeed struct {
	XMLName xml.Name        `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string          `xml:"title"`
	Updated string          `xml:"updated"`
	Entries []atomTestEntry `xml:"entry"`
}

type atomTestEntry struct {
	Title     string `xml:"title"`
	ID        string `xml:"id"`
	Updated   string `xml:"updated"`
	Published string `xml:"published"`
	Link      struct {
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Summary string `xml:"summary"`
	Author  struct {
		Name string `xml:"name"`
	} `xml:"author"`
}

func feedEntries(t *testing.T, h *harness) []atomTestEntry {
	t.Helper()
	resp, body := h.fetch("/feed.atom")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var f atomTestFeed
	if err := xml.Unmarshal([]byte(body), &f); err != nil {
		t.Fatalf("feed is not XML: %v\n%s", err, body)
	}
	return f.Entries
}

func TestAtomFeed(t *testing.T) {
	h := start(t, "", nil, nil)
	first := article("f1", 1)
	first.Headline = "First <story> & \"quotes\""
	second := article("f2", 1)
	second.Headline = "Second story"
	second.Slug = "second"
	h.clear(first)
	h.clear(second)
	h.waitStatus("f1", ready)
	h.waitStatus("f2", ready)
	if _, err := h.publish("f1", nil); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(time.Minute)
	if _, err := h.publish("f2", nil); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "two feed entries", func() bool { return len(feedEntries(t, h)) == 2 })
	es := feedEntries(t, h)
	if es[0].Title != "Second story" || es[1].Title != first.Headline {
		t.Fatalf("entries not newest first with exact titles: %+v", es)
	}
	if es[0].Link.Href != baseURL+"/articles/f2/second" || es[0].ID != baseURL+"/articles/f2" ||
		es[0].Published != "2026-03-02T09:01:00Z" || es[0].Summary != "DEK-TEXT after a long night" || es[0].Author.Name != "Ada Reporter" {
		t.Fatalf("entry: %+v", es[0])
	}
}

func TestDuplicateClearedIsOneReady(t *testing.T) {
	h := start(t, "", nil, nil)
	a := article("d1", 1)
	h.clear(a)
	h.waitStatus("d1", ready)
	before, err := h.svc.pubs.KV.Get(context.Background(), "d1")
	if err != nil {
		t.Fatal(err)
	}
	// The same clear again (a redelivery JetStream did not dedupe), then a
	// marker on the same consumer: once the marker is applied, so is the
	// duplicate.
	h.clear(a, "/again")
	h.clear(article("marker", 1))
	h.waitStatus("marker", ready)
	after, err := h.svc.pubs.KV.Get(context.Background(), "d1")
	if err != nil {
		t.Fatal(err)
	}
	if after.Revision() != before.Revision() {
		t.Fatalf("duplicate clear rewrote the record (revision %d -> %d)", before.Revision(), after.Revision())
	}
	if p := h.get("d1"); p.GetStatus() != ready || p.GetReadyRevision() != 1 {
		t.Fatalf("publication: %v", p)
	}
}

// assertOrder checks that each of parts occurs in s after the one before.
func assertOrder(t *testing.T, s string, parts ...string) {
	t.Helper()
	at := 0
	for _, p := range parts {
		i := strings.Index(s[at:], p)
		if i < 0 {
			t.Fatalf("%q missing or out of order (after byte %d) in:\n%s", p, at, s)
		}
		at += i + len(p)
	}
}
