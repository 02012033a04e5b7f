package publishing

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
)

// Fuzz tests of what the site makes of an article's text: the Markdown
// body renderer on its own, and the whole article page. Whatever the
// input, the HTML must not panic the renderer, and a browser parsing it
// must find no script (but the page's JSON-LD), no event handler
// attribute, no javascript:/vbscript: URL, and no element that could load
// or run something. Run with, e.g.,
//
//	go test ./services/publishing -run '^$' -fuzz FuzzRenderMarkdown -fuzztime 60s
//
// Inputs that once failed are kept under testdata/fuzz as seeds.

// xssSeeds are seeds for every fuzz test of article text.
var xssSeeds = []string{
	"", "plain words", "# Heading\n\nA *report* with a [link](https://example.com) and `code`.\n\n## Analysis\n\nMore.",
	"<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
	"[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](  javascript:alert(1))", "[x](java&#x09;script:alert(1))",
	"[x](&#106;avascript:alert(1))", "[x](javascript&colon;alert(1))", "<javascript:alert(1)>", "![x](javascript:alert(1))",
	"[x][r]\n\n[r]: javascript:alert(1)\n", "[x](vbscript:msgbox(1))", "[x](data:text/html;base64,PHNjcmlwdD4=)",
	"[x](http://e.com \"t\\\" onmouseover=\\\"alert(1)\")", "<http://e.com/\"onmouseover=\"alert(1)\">",
	"\" onmouseover=\"alert(1)\" x=\"", "</title><script>alert(1)</script>", "</script><script>alert(1)</script>",
	"\u2028\u2029</script><script>alert(1)//", "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e", "\u202e<script>alert(1)</script>",
	"<scr\u200bipt>alert(1)</scr\u200bipt>", "<iframe src=javascript:alert(1)>", "<base href=javascript:alert(1)//>",
	"<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">", "<div style=\"width:expression(alert(1))\">",
	"{{.}}{{template \"base\" .}}", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
	"```\n<script>alert(1)</script>\n```", "    <script>alert(1)</script>", "| a | b |\n|---|---|\n| <script> | [x](javascript:1) |",
	"~~<img src=x onerror=1>~~", "<!-- <script>alert(1)</script> -->", "<![CDATA[<script>alert(1)</script>]]>",
	"\x00<script>alert(1)</script>", "a\r\n## b\r\nc", "## only sections",
}

// safeDataImage is the data: URL goldmark lets through, in img src only.
var safeDataImage = regexp.MustCompile(`^data:image/(png|gif|jpeg|webp);`)

// htmlProblems parses doc (or a body fragment) as a browser would and
// reports what could run script or load something.
func htmlProblems(doc string, fragment bool, allowed func(tag string) bool) []string {
	var nodes []*html.Node
	if fragment {
		ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
		ns, err := html.ParseFragment(strings.NewReader(doc), ctx)
		if err != nil {
			return []string{"parse: " + err.Error()}
		}
		nodes = ns
	} else {
		n, err := html.Parse(strings.NewReader(doc))
		if err != nil {
			return []string{"parse: " + err.Error()}
		}
		nodes = []*html.Node{n}
	}
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			tag := strings.ToLower(n.Data)
			if n.Namespace != "" || !allowed(tag) {
				out = append(out, "element <"+n.Namespace+" "+tag+">")
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				v := strings.ToLower(strings.Map(func(r rune) rune {
					if r == '\t' || r == '\n' || r == '\r' {
						return -1
					}
					return r
				}, strings.Trim(a.Val, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")))
				switch {
				case strings.HasPrefix(key, "on"):
					out = append(out, "event handler "+a.Key+"="+a.Val)
				case key == "style" || key == "srcdoc" || key == "formaction" || key == "action":
					out = append(out, "attribute "+a.Key+"="+a.Val)
				case key == "href" || key == "src":
					if strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") ||
						(strings.HasPrefix(v, "data:") && !(tag == "img" && key == "src" && safeDataImage.MatchString(v))) {
						out = append(out, "script URL "+a.Key+"="+a.Val)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return out
}

// bodyTags are the elements goldmark (tables, strikethrough) makes.
var bodyTags = map[string]bool{
	"p": true, "a": true, "em": true, "strong": true, "code": true, "pre": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "ul": true, "ol": true, "li": true, "blockquote": true, "hr": true, "br": true,
	"img": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "del": true,
}

func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range xssSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		report, sections := splitBody(body)
		if report+sections != strings.ReplaceAll(body, "\r\n", "\n") {
			t.Fatalf("splitBody(%q) = %q + %q: text lost or added", body, report, sections)
		}
		if sections != "" && !strings.HasPrefix(sections, "## ") {
			t.Fatalf("splitBody(%q): sections %q do not start at a heading", body, sections)
		}
		for _, part := range []string{body, report, sections} {
			out, err := renderMarkdown(part)
			if err != nil {
				t.Fatalf("renderMarkdown(%q): %v", part, err)
			}
			s := string(out)
			if strings.Contains(strings.ToLower(s), "<script") {
				t.Fatalf("renderMarkdown(%q) = %q: has <script", part, s)
			}
			if p := htmlProblems(s, true, func(tag string) bool { return bodyTags[tag] }); len(p) > 0 {
				t.Fatalf("renderMarkdown(%q) = %q: %v", part, s, p)
			}
		}
	})
}

// pageTags are the elements of an article page outside its body.
var pageTags = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "link": true, "body": true, "header": true, "main": true,
	"footer": true, "article": true, "section": true, "aside": true, "nav": true, "span": true, "time": true,
	"script": true, // the JSON-LD; checked below
}

func FuzzArticlePage(f *testing.F) {
	for _, s := range xssSeeds {
		f.Add(s, s, s)
	}
	s := &Service{cfg: Config{BaseURL: "https://news.example"}}
	w, err := newSite(s)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, headline, text, body string) {
		a := &articlev1.Article{
			Id: "a1", Slug: "a-story", Desk: "world", Byline: text, Tags: []string{text}, Headline: headline,
			Dek: text, Summary: text, Body: body, Kicker: text, Highlights: []string{text},
			Takeaways:       []*articlev1.Takeaway{{Quote: text, Context: headline}},
			SensitivityNote: &articlev1.SensitivityNote{Title: headline, Text: text},
			Corrections:     []*articlev1.Correction{{Sequence: 1, Text: text, Time: timestamppb.New(time.Unix(1e9, 0))}},
			Related:         []*articlev1.RelatedStory{{ArticleId: "b2", Headline: headline, Url: text}},
			PublishedAt:     timestamppb.New(time.Unix(1e9, 0)),
			UpdatedAt:       timestamppb.New(time.Unix(1e9+60, 0)),
		}
		p, err := s.buildArticlePage(a, "https://news.example/articles/a1/a-story", time.Unix(1e9+60, 0))
		if err != nil {
			t.Fatalf("build page: %v", err)
		}
		page, err := w.renderBytes("article.html", p)
		if err != nil {
			if !utf8.ValidString(headline + text + body) {
				return // html/template may refuse invalid UTF-8 in some contexts
			}
			t.Fatalf("render page: %v", err)
		}
		doc := string(page)
		probs := htmlProblems(doc, false, func(tag string) bool { return pageTags[tag] || bodyTags[tag] })
		if len(probs) > 0 {
			t.Fatalf("page of %q / %q / %q: %v", headline, text, body, probs)
		}
		// One script element, the JSON-LD, in the head; its text is JSON
		// holding the headline as given.
		n, err := html.Parse(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		var scripts []*html.Node
		var find func(*html.Node)
		find = func(n *html.Node) {
			if n.Type == html.ElementNode && n.DataAtom == atom.Script {
				scripts = append(scripts, n)
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				find(c)
			}
		}
		find(n)
		if len(scripts) != 1 || scripts[0].Parent.DataAtom != atom.Head || len(scripts[0].Attr) != 1 ||
			scripts[0].Attr[0] != (html.Attribute{Key: "type", Val: "application/ld+json"}) {
			t.Fatalf("page of %q / %q: %d script elements, want the JSON-LD in the head", headline, text, len(scripts))
		}
		var ld struct{ Headline string }
		if c := scripts[0].FirstChild; c == nil || json.Unmarshal([]byte(c.Data), &ld) != nil {
			t.Fatalf("page of %q: JSON-LD is not JSON", headline)
		}
		if utf8.ValidString(headline) && ld.Headline != headline {
			t.Fatalf("JSON-LD headline %q, want %q", ld.Headline, headline)
		}
	})
}
