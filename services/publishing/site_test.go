package publishing

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/testutil"
)

// ninjsSchemaPath is the ninjs 3.1 schema: ../shared/data/ninjs/ relative
// to the repository root.
var ninjsSchemaPath = filepath.Join("..", "..", "..", "shared", "data", "ninjs", "ninjs-schema_3.1.json")

func compileNinjs(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(ninjsSchemaPath)
	if os.IsNotExist(err) {
		t.Skipf("ninjs 3.1 schema not found at %s (the shared data directory beside the repository); skipping schema validation", ninjsSchemaPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // date-time and uri are checked, not just noted
	const url = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	// The schema refers to GeoJSON's (for places[].geoJSON) on the web,
	// which tests cannot reach. Newsroom never sends places, so the
	// stand-in is the schema nothing satisfies: a geoJSON would fail.
	if err := c.AddResource("https://geojson.org/schema/GeoJSON.json", false); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validateNinjs(t *testing.T, sch *jsonschema.Schema, body string) map[string]any {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("not valid ninjs 3.1: %v\n%s", err, body)
	}
	return inst.(map[string]any)
}

func TestNinjsValidatesAgainstTheSchema(t *testing.T) {
	sch := compileNinjs(t)
	// The validator is awake: a property ninjs does not have fails.
	if inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"uri":"http://x.test/a","headline":"x"}`)); sch.Validate(inst) == nil {
		t.Fatal("the schema accepted an unknown property")
	}

	h := start(t, "", nil, nil)
	ctx := context.Background()
	rich := newStory("nj1", 1, `Quotes "and" <tags> & ünïcode`)
	rich.Tags = []string{"budget", "council"}
	rich.CreatedAt = timestamppb.New(t0.Add(-time.Hour))
	h.goLive(rich)
	h.related("nj1",
		&articlev1.RelatedStory{ArticleId: "o1", Headline: "Other one", Url: baseURL + "/articles/o1/x", PublishedAt: timestamppb.New(t0.Add(-48 * time.Hour))},
		&articlev1.RelatedStory{ArticleId: "o2", Headline: "Other two", Url: "javascript:alert(1)"})
	testutil.Eventually(t, 10*time.Second, "related stored", func() bool { return len(h.get("nj1").GetArticle().GetRelated()) == 2 })
	if _, err := h.client.CorrectArticle(ctx, &publishingv1.CorrectArticleRequest{ArticleId: "nj1", Text: "Fixed a figure."}, h.editor); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(time.Minute)
	if _, err := h.publish("nj1", nil); err != nil {
		t.Fatal(err)
	}

	// A bare story: nothing but a headline and a desk.
	bare := &articlev1.Article{Id: "nj2", Headline: "Bare", Desk: "metro", Revision: 1}
	h.goLive(bare)
	// An imported one.
	imp, err := h.client.ImportArticles(ctx, &publishingv1.ImportArticlesRequest{Articles: []*articlev1.Article{
		{Id: "nj3", Headline: "From the archive", Desk: "history", Body: "Old text.", PublishedAt: timestamppb.New(t0.AddDate(-5, 0, 0))},
	}}, h.admin)
	if err != nil || imp.GetResults()[0].GetOutcome() != publishingv1.ImportOutcome_IMPORT_OUTCOME_IMPORTED {
		t.Fatalf("import: %v %v", imp, err)
	}

	for _, id := range []string{"nj1", "nj2", "nj3"} {
		resp, body := h.fetch("/articles/" + id + ".ninjs.json")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: %d %s", id, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		doc := validateNinjs(t, sch, body)
		if doc["uri"] != baseURL+"/articles/"+id || doc["type"] != "text" || doc["pubStatus"] != "usable" {
			t.Errorf("%s: %v", id, doc)
		}
	}

	_, body := h.fetch("/articles/nj1.ninjs.json")
	var d struct {
		URI            string
		Version        string
		FirstCreated   string
		VersionCreated string
		Headlines      []struct{ Role, Value string }
		Descriptions   []struct{ Role, Value string }
		Bodies         []struct{ Role, ContentType, Value string }
		By, Slugline   string
		Subjects       []struct{ Name string }
		Renditions     []struct{ Name, Href string }
		Associations   []struct {
			Name, Rel, URI string
			Headlines      []struct{ Value string }
			Renditions     []struct{ Href string }
		}
	}
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	if d.Version != "1" || d.FirstCreated != "2026-03-02T08:00:00Z" || d.VersionCreated != "2026-03-02T09:01:00Z" ||
		d.Headlines[0].Value != rich.Headline || d.Headlines[1].Role != "sub" || d.By != "Ada Reporter" || d.Slugline != "nj1-story" ||
		len(d.Subjects) != 3 || d.Renditions[0].Href != baseURL+"/articles/nj1/nj1-story" {
		t.Fatalf("ninjs: %+v", d)
	}
	var roles []string
	for _, x := range d.Descriptions {
		roles = append(roles, x.Role)
		if x.Role == "correction" && !strings.Contains(x.Value, "Correction 1 (2026-03-02T09:01:00Z): Fixed a figure.") {
			t.Errorf("correction description: %q", x.Value)
		}
	}
	if strings.Join(roles, ",") != "summary,takeaway,highlight,highlight,sensitivity-note,kicker,correction" {
		t.Errorf("description roles: %v", roles)
	}
	if len(d.Bodies) != 2 || d.Bodies[0].ContentType != "text/html" || !strings.Contains(d.Bodies[0].Value, "<h2>Analysis</h2>") {
		t.Errorf("bodies: %+v", d.Bodies)
	}
	if len(d.Associations) != 2 || d.Associations[0].URI != baseURL+"/articles/o1" || d.Associations[0].Renditions[0].Href != baseURL+"/articles/o1/x" ||
		len(d.Associations[1].Renditions) != 0 {
		t.Errorf("associations: %+v", d.Associations)
	}
	// Not live, no ninjs.
	h.clear(article("nj4", 1))
	h.waitStatus("nj4", ready)
	if resp, _ := h.fetch("/articles/nj4.ninjs.json"); resp.StatusCode != 404 {
		t.Fatalf("ninjs of a story not live: %d", resp.StatusCode)
	}
}

type testURLSet struct {
	URLs []struct {
		Loc     string `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 loc"`
		LastMod string `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 lastmod"`
		News    *struct {
			Name     string `xml:"http://www.google.com/schemas/sitemap-news/0.9 publication>name"`
			Language string `xml:"http://www.google.com/schemas/sitemap-news/0.9 publication>language"`
			Date     string `xml:"http://www.google.com/schemas/sitemap-news/0.9 publication_date"`
			Title    string `xml:"http://www.google.com/schemas/sitemap-news/0.9 title"`
		} `xml:"http://www.google.com/schemas/sitemap-news/0.9 news"`
	} `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 url"`
}

func (h *harness) urlset(path string) (testURLSet, *http.Response) {
	h.t.Helper()
	resp, body := h.fetch(path)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") {
		h.t.Fatalf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var s testURLSet
	if err := xml.Unmarshal([]byte(body), &s); err != nil {
		h.t.Fatalf("%s is not XML: %v\n%s", path, err, body)
	}
	return s, resp
}

func locs(s testURLSet) []string {
	var out []string
	for _, u := range s.URLs {
		out = append(out, strings.TrimPrefix(u.Loc, baseURL))
	}
	return out
}

func TestSitemaps(t *testing.T) {
	h := start(t, "", nil, nil)
	h.goLive(newStory("sm1", 1, "First & <best>"))
	h.clk.Advance(time.Hour)
	h.goLive(newStory("sm2", 1, "Second"))
	if _, err := h.client.ImportArticles(context.Background(), &publishingv1.ImportArticlesRequest{Articles: []*articlev1.Article{
		{Id: "old1", Headline: "Old story", Desk: "history", PublishedAt: timestamppb.New(time.Date(2019, 5, 1, 12, 0, 0, 0, time.UTC))},
	}}, h.admin); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "three stories in the sitemap", func() bool {
		s, _ := h.urlset("/sitemap.xml")
		return len(s.URLs) == 4
	})
	s, _ := h.urlset("/sitemap.xml")
	if got := strings.Join(locs(s), " "); got != "/ /articles/sm2/sm2-story /articles/sm1/sm1-story /articles/old1/old-story" {
		t.Fatalf("sitemap: %s", got)
	}
	if s.URLs[0].LastMod != "2026-03-02T10:00:00Z" || s.URLs[3].LastMod != "2019-05-01T12:00:00Z" {
		t.Fatalf("lastmod: %+v", s.URLs)
	}

	// The news sitemap: stories first published in the last two days.
	n, _ := h.urlset("/news-sitemap.xml")
	if got := strings.Join(locs(n), " "); got != "/articles/sm2/sm2-story /articles/sm1/sm1-story" {
		t.Fatalf("news sitemap: %s", got)
	}
	if nw := n.URLs[1].News; nw == nil || nw.Name != "Newsroom" || nw.Language != "en" || nw.Date != "2026-03-02T09:00:00Z" || nw.Title != "First & <best>" {
		t.Fatalf("news entry: %+v", n.URLs[1].News)
	}
	// Two days after the first, it ages out: the list (and its
	// Last-Modified) change with no record changing.
	h.clk.Set(t0.Add(48*time.Hour + 30*time.Minute))
	n, resp := h.urlset("/news-sitemap.xml")
	if got := strings.Join(locs(n), " "); got != "/articles/sm2/sm2-story" {
		t.Fatalf("news sitemap after two days: %s", got)
	}
	if lm := resp.Header.Get("Last-Modified"); lm != "Wed, 04 Mar 2026 09:00:00 GMT" {
		t.Fatalf("Last-Modified after an age-out: %q", lm)
	}
	h.clk.Set(t0.Add(50 * time.Hour))
	if n, _ := h.urlset("/news-sitemap.xml"); len(n.URLs) != 0 {
		t.Fatalf("news sitemap after both aged out: %v", locs(n))
	}
	// robots.txt points at both.
	_, robots := h.fetch("/robots.txt")
	if !strings.Contains(robots, "Sitemap: "+baseURL+"/sitemap.xml") || !strings.Contains(robots, "Sitemap: "+baseURL+"/news-sitemap.xml") {
		t.Fatalf("robots.txt:\n%s", robots)
	}
}

func TestPageMetadata(t *testing.T) {
	h := start(t, "", nil, nil)
	a := newStory("md1", 1, `Mayor says "no" </script><script>alert(1)</script> & more`+"\u2028")
	a.Tags = []string{"budget", "council"}
	h.goLive(a)
	resp, page := h.fetch("/articles/md1/md1-story")
	if resp.StatusCode != 200 {
		t.Fatalf("page: %d", resp.StatusCode)
	}
	url := baseURL + "/articles/md1/md1-story"
	for _, want := range []string{
		`<link rel="canonical" href="` + url + `">`,
		`<link rel="alternate" type="application/json" title="IPTC ninjs" href="` + baseURL + `/articles/md1.ninjs.json">`,
		`<meta property="og:type" content="article">`,
		`<meta property="og:site_name" content="Newsroom">`,
		`<meta property="og:title" content="Mayor says &#34;no&#34; &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; more`,
		`<meta property="og:description" content="DEK-TEXT after a long night">`,
		`<meta property="og:url" content="` + url + `">`,
		`<meta property="article:published_time" content="2026-03-02T09:00:00Z">`,
		`<meta property="article:modified_time" content="2026-03-02T09:00:00Z">`,
		`<meta property="article:section" content="City Desk">`,
		`<meta property="article:tag" content="budget">`,
		`<meta property="article:tag" content="council">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	rest, ld := splitJSONLD(t, page)
	if strings.Contains(rest, "<script") {
		t.Fatalf("a script element besides the JSON-LD:\n%s", page)
	}
	// The JSON-LD cannot be broken out of: no markup characters and no
	// line separators survive raw, and it is the JSON of the article.
	for _, bad := range []string{"<", ">", "&", "\u2028"} {
		if strings.Contains(ld, bad) {
			t.Errorf("JSON-LD contains a raw %q: %s", bad, ld)
		}
	}
	var got struct {
		Context          string `json:"@context"`
		Type             string `json:"@type"`
		Headline         string
		URL              string
		MainEntityOfPage string
		DatePublished    string
		DateModified     string
		ArticleSection   string
		Keywords         []string
		Author           []struct{ Type, Name string }
		Publisher        struct{ Name string }
	}
	if err := json.Unmarshal([]byte(ld), &got); err != nil {
		t.Fatalf("JSON-LD: %v\n%s", err, ld)
	}
	if got.Context != "https://schema.org" || got.Type != "NewsArticle" || got.Headline != a.Headline || got.URL != url ||
		got.MainEntityOfPage != url || got.DatePublished != "2026-03-02T09:00:00Z" || got.DateModified != "2026-03-02T09:00:00Z" ||
		got.ArticleSection != "City Desk" || len(got.Keywords) != 2 || got.Author[0].Name != "Ada Reporter" || got.Publisher.Name != "Newsroom" {
		t.Fatalf("JSON-LD: %+v", got)
	}
	// JSON-LD is data: the policy still allows no script at all.
	if csp := resp.Header.Get("Content-Security-Policy"); csp != contentSecurityPolicy || strings.Contains(csp, "script-src") {
		t.Fatalf("CSP: %q", csp)
	}
	// Notices are not indexed.
	if _, body := h.fetch("/articles/nothing-here"); !strings.Contains(body, `<meta name="robots" content="noindex">`) {
		t.Fatal("a 404 notice without noindex")
	}
}

// TestConditionalGets: every public document has an ETag and a
// Last-Modified and answers revalidation with 304 until it changes.
func TestConditionalGets(t *testing.T) {
	h := start(t, "", nil, nil)
	ctx := context.Background()
	h.goLive(newStory("cg1", 1, "One"))
	h.clk.Advance(time.Minute)
	h.goLive(newStory("cg2", 1, "Two"))
	testutil.Eventually(t, 10*time.Second, "both on the front page", func() bool {
		_, front := h.fetch("/")
		return strings.Contains(front, "cg1") && strings.Contains(front, "cg2")
	})
	paths := []string{"/articles/cg1/cg1-story", "/articles/cg1.json", "/articles/cg1.ninjs.json", "/", "/feed.atom", "/sitemap.xml", "/news-sitemap.xml"}
	type validators struct{ etag, lastMod string }
	seen := map[string]validators{}
	for _, path := range paths {
		resp, _ := h.fetch(path)
		v := validators{resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")}
		if resp.StatusCode != 200 || v.etag == "" || v.lastMod == "" || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("%s: %d, ETag %q, Last-Modified %q, Cache-Control %q", path, resp.StatusCode, v.etag, v.lastMod, resp.Header.Get("Cache-Control"))
		}
		seen[path] = v
		if r, body := h.fetchWith(path, map[string]string{"If-None-Match": v.etag}); r.StatusCode != 304 || body != "" {
			t.Errorf("%s If-None-Match: %d", path, r.StatusCode)
		}
		if r, _ := h.fetchWith(path, map[string]string{"If-Modified-Since": v.lastMod}); r.StatusCode != 304 {
			t.Errorf("%s If-Modified-Since: %d", path, r.StatusCode)
		}
		if r, _ := h.fetchWith(path, map[string]string{"If-None-Match": `"something-else"`}); r.StatusCode != 200 {
			t.Errorf("%s with another ETag: %d", path, r.StatusCode)
		}
	}
	if lm := seen["/articles/cg1/cg1-story"].lastMod; lm != "Mon, 02 Mar 2026 09:00:00 GMT" {
		t.Errorf("page Last-Modified %q", lm)
	}
	if lm := seen["/feed.atom"].lastMod; lm != "Mon, 02 Mar 2026 09:01:00 GMT" {
		t.Errorf("feed Last-Modified %q", lm)
	}

	// Each change is seen by both validators: a new Related News box on a
	// page; a take-down on every list.
	stale := func(path string) {
		t.Helper()
		v := seen[path]
		testutil.Eventually(t, 10*time.Second, path+" to change", func() bool {
			r1, _ := h.fetchWith(path, map[string]string{"If-None-Match": v.etag})
			r2, _ := h.fetchWith(path, map[string]string{"If-Modified-Since": v.lastMod})
			return r1.StatusCode == 200 && r2.StatusCode == 200
		})
	}
	h.clk.Advance(time.Hour)
	h.related("cg1", &articlev1.RelatedStory{ArticleId: "cg2", Headline: "Two", Url: baseURL + "/articles/cg2/cg2-story"})
	stale("/articles/cg1/cg1-story")
	stale("/articles/cg1.json")
	stale("/articles/cg1.ninjs.json")
	h.clk.Advance(time.Hour)
	if _, err := h.client.UnpublishArticle(ctx, &publishingv1.UnpublishArticleRequest{ArticleId: "cg2", Reason: "wrong"}, h.pub); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/feed.atom", "/sitemap.xml", "/news-sitemap.xml"} {
		stale(path)
	}
}
