package publishing

import (
	"bytes"
	"cmp"
	"encoding/json"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
)

// siteName is the publication's name in metadata.
const siteName = "Newsroom"

// markdown renders article bodies. It is goldmark without the unsafe
// option: raw HTML in a body is dropped and javascript: (and similar)
// links lose their href, so an article cannot inject script into the site.
var markdown = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough))

// renderMarkdown returns src as HTML. goldmark's safe mode is what makes
// the template.HTML conversion sound.
func renderMarkdown(src string) (template.HTML, error) {
	if strings.TrimSpace(src) == "" {
		return "", nil
	}
	var b bytes.Buffer
	if err := markdown.Convert([]byte(src), &b); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil //nolint:gosec // safe-mode goldmark output
}

// splitBody cuts a body into the report (everything before the first
// "## " heading) and the further sections (that heading on).
func splitBody(body string) (report, sections string) {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	if strings.HasPrefix(body, "## ") {
		return "", body
	}
	if i := strings.Index(body, "\n## "); i >= 0 {
		return body[:i+1], body[i+1:]
	}
	return body, ""
}

// articlePage is what article.html shows.
type articlePage struct {
	Title       string
	Headline    string
	Dek         string
	Byline      string
	Desk        string
	Tags        []string
	Published   stamp
	Updated     stamp
	Modified    stamp // for machines: the page's last change
	Summary     string
	Report      template.HTML
	Takeaways   []*articlev1.Takeaway
	Sections    template.HTML
	Highlights  []string
	Note        *articlev1.SensitivityNote
	Kicker      string
	Corrections []correctionItem
	URL         string // canonical
	NinjsURL    string
	Description string // for search engines and link previews
	JSONLD      template.JS
	ShareEmail  string
	Related     []relatedLink
}

type correctionItem struct {
	Sequence int32
	Text     string
	Time     stamp
}

// stamp is a time shown to readers and to machines.
type stamp struct {
	Text    string // e.g. "3 March 2026, 14:05 UTC"
	Machine string // RFC 3339
}

func newStamp(t time.Time) stamp {
	if t.IsZero() || t.Unix() == 0 {
		return stamp{}
	}
	t = t.UTC()
	return stamp{Text: t.Format("2 January 2006, 15:04 MST"), Machine: t.Format(time.RFC3339)}
}

type relatedLink struct {
	Headline string
	URL      string
}

// buildArticlePage prepares the live article a for its page; modified is
// the page's last change.
func (s *Service) buildArticlePage(a *articlev1.Article, publicURL string, modified time.Time) (*articlePage, error) {
	reportMD, sectionsMD := splitBody(a.GetBody())
	report, err := renderMarkdown(reportMD)
	if err != nil {
		return nil, err
	}
	sections, err := renderMarkdown(sectionsMD)
	if err != nil {
		return nil, err
	}
	p := &articlePage{
		Title:       a.GetHeadline(),
		Headline:    a.GetHeadline(),
		Dek:         a.GetDek(),
		Byline:      a.GetByline(),
		Desk:        a.GetDesk(),
		Tags:        nonEmpty(a.GetTags()),
		Published:   newStamp(a.GetPublishedAt().AsTime()),
		Modified:    newStamp(later(modified, a.GetUpdatedAt().AsTime())),
		Summary:     a.GetSummary(),
		Report:      report,
		Sections:    sections,
		Highlights:  nonEmpty(a.GetHighlights()),
		Kicker:      a.GetKicker(),
		URL:         publicURL,
		NinjsURL:    s.cfg.BaseURL + "/articles/" + url.PathEscape(a.GetId()) + ".ninjs.json",
		Description: description(a),
		ShareEmail:  "mailto:?subject=" + mailEscape(a.GetHeadline()) + "&body=" + mailEscape(publicURL),
	}
	if u := a.GetUpdatedAt().AsTime(); !u.Equal(a.GetPublishedAt().AsTime()) {
		p.Updated = newStamp(u)
	}
	for _, t := range a.GetTakeaways() {
		if strings.TrimSpace(t.GetQuote()) != "" || strings.TrimSpace(t.GetContext()) != "" {
			p.Takeaways = append(p.Takeaways, t)
		}
	}
	if n := a.GetSensitivityNote(); strings.TrimSpace(n.GetText()) != "" || strings.TrimSpace(n.GetTitle()) != "" {
		p.Note = n
	}
	for _, c := range sortedCorrections(a) {
		p.Corrections = append(p.Corrections, correctionItem{Sequence: c.GetSequence(), Text: c.GetText(), Time: newStamp(c.GetTime().AsTime())})
	}
	// Linking's order stands, except that pinned stories come first.
	related := slices.Clone(a.GetRelated())
	slices.SortStableFunc(related, func(x, y *articlev1.RelatedStory) int {
		switch {
		case x.GetPinned() == y.GetPinned():
			return 0
		case x.GetPinned():
			return -1
		}
		return 1
	})
	for _, r := range related {
		if r.GetHeadline() == "" || r.GetArticleId() == a.GetId() {
			continue
		}
		p.Related = append(p.Related, relatedLink{Headline: r.GetHeadline(), URL: relatedURL(r)})
	}
	if p.JSONLD, err = newsArticleLD(a, p); err != nil {
		return nil, err
	}
	return p, nil
}

// description is the one-line account of a story that link previews and
// search engines show: the dek, else the summary.
func description(a *articlev1.Article) string {
	if d := strings.TrimSpace(a.GetDek()); d != "" {
		return d
	}
	return strings.Join(strings.Fields(a.GetSummary()), " ")
}

// sortedCorrections returns a's corrections in sequence order.
func sortedCorrections(a *articlev1.Article) []*articlev1.Correction {
	cs := slices.Clone(a.GetCorrections())
	slices.SortStableFunc(cs, func(x, y *articlev1.Correction) int { return cmp.Compare(x.GetSequence(), y.GetSequence()) })
	return cs
}

// The schema.org NewsArticle of a page, as JSON-LD.
type ldThing struct {
	Type string `json:"@type"`
	Name string `json:"name"`
}

type ldCorrection struct {
	Type          string `json:"@type"`
	Text          string `json:"text"`
	DatePublished string `json:"datePublished,omitempty"`
}

type ldNewsArticle struct {
	Context          string         `json:"@context"`
	Type             string         `json:"@type"`
	Headline         string         `json:"headline"`
	Description      string         `json:"description,omitempty"`
	URL              string         `json:"url"`
	MainEntityOfPage string         `json:"mainEntityOfPage"`
	DatePublished    string         `json:"datePublished,omitempty"`
	DateModified     string         `json:"dateModified,omitempty"`
	ArticleSection   string         `json:"articleSection,omitempty"`
	Keywords         []string       `json:"keywords,omitempty"`
	Author           []ldThing      `json:"author,omitempty"`
	Publisher        ldThing        `json:"publisher"`
	Correction       []ldCorrection `json:"correction,omitempty"`
}

// newsArticleLD renders the page's JSON-LD. encoding/json escapes <, >, &,
// U+2028 and U+2029, so no text of the article can close the script
// element or break out of the JSON; the result is data for crawlers, which
// the site's CSP (no script-src) keeps browsers from running anyway.
func newsArticleLD(a *articlev1.Article, p *articlePage) (template.JS, error) {
	ld := ldNewsArticle{
		Context:          "https://schema.org",
		Type:             "NewsArticle",
		Headline:         a.GetHeadline(),
		Description:      p.Description,
		URL:              p.URL,
		MainEntityOfPage: p.URL,
		DatePublished:    p.Published.Machine,
		DateModified:     p.Modified.Machine,
		ArticleSection:   a.GetDesk(),
		Keywords:         p.Tags,
		Publisher:        ldThing{Type: "Organization", Name: siteName},
	}
	if ld.DateModified == "" {
		ld.DateModified = ld.DatePublished
	}
	if b := strings.TrimSpace(a.GetByline()); b != "" {
		ld.Author = []ldThing{{Type: "Person", Name: b}}
	}
	for _, c := range p.Corrections {
		ld.Correction = append(ld.Correction, ldCorrection{Type: "CorrectionComment", Text: c.Text, DatePublished: c.Time.Machine})
	}
	b, err := json.Marshal(ld)
	if err != nil {
		return "", err
	}
	return template.JS(b), nil //nolint:gosec // encoding/json output, HTML-escaped
}

// relatedURL links a related story: its own URL when that is an ordinary
// web address, else its canonical path on this site (which redirects).
func relatedURL(r *articlev1.RelatedStory) string {
	if u, err := url.Parse(r.GetUrl()); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return u.String()
	}
	return articlePath(r.GetArticleId(), "")
}

// mailEscape escapes s for a mailto: query, with %20 for spaces (mail
// clients do not all read "+" as a space).
func mailEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}
