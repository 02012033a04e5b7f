package publishing

import (
	"encoding/xml"
	"net/http"
	"time"
)

// The sitemaps: /sitemap.xml lists every live story (sitemaps.org 0.9),
// /news-sitemap.xml the ones first published in the last two days (Google
// News sitemap). Both are built from the live index, so a story that is
// not live (scheduled, embargoed, taken down) is in neither.

const (
	// maxSitemapURLs is the sitemaps.org limit for one file; an archive
	// larger than that lists its newest stories.
	maxSitemapURLs = 50000
	// newsWindow is how far back the news sitemap reaches, and
	// maxNewsURLs Google's limit for it.
	newsWindow  = 48 * time.Hour
	maxNewsURLs = 1000
	// newsLanguage is the language of the publication (ISO 639).
	newsLanguage = "en"
)

const (
	sitemapNS = "http://www.sitemaps.org/schemas/sitemap/0.9"
	newsNS    = "http://www.google.com/schemas/sitemap-news/0.9"
)

type urlset struct {
	XMLName xml.Name     `xml:"urlset"`
	NS      string       `xml:"xmlns,attr"`
	NewsNS  string       `xml:"xmlns:news,attr,omitempty"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string    `xml:"loc"`
	LastMod string    `xml:"lastmod,omitempty"`
	News    *newsItem `xml:"news:news,omitempty"`
}

type newsItem struct {
	Publication     newsPublication `xml:"news:publication"`
	PublicationDate string          `xml:"news:publication_date"`
	Title           string          `xml:"news:title"`
}

type newsPublication struct {
	Name     string `xml:"news:name"`
	Language string `xml:"news:language"`
}

func (w *site) sitemap(rw http.ResponseWriter, r *http.Request) {
	all, newest, changed := w.s.live.snapshot()
	set := urlset{NS: sitemapNS}
	front := sitemapURL{Loc: w.s.cfg.BaseURL + "/"}
	if !newest.IsZero() {
		front.LastMod = newest.UTC().Format(time.RFC3339)
	}
	set.URLs = append(set.URLs, front)
	for _, st := range all[:min(len(all), maxSitemapURLs-1)] {
		set.URLs = append(set.URLs, sitemapURL{Loc: w.storyURL(st), LastMod: st.updated.UTC().Format(time.RFC3339)})
	}
	w.sendXML(rw, r, set, later(newest, changed))
}

func (w *site) newsSitemap(rw http.ResponseWriter, r *http.Request) {
	all, _, changed := w.s.live.snapshot()
	now := w.s.d.Clock.Now()
	since := now.Add(-newsWindow)
	set := urlset{NS: sitemapNS, NewsNS: newsNS}
	// The list changes when a story ages out, with no record changing:
	// the latest age-out so far counts as a modification.
	modified := changed
	for _, st := range all { // newest first
		if !st.published.After(since) {
			modified = later(modified, st.published.Add(newsWindow))
			break
		}
		if st.published.After(now) || len(set.URLs) == maxNewsURLs {
			continue
		}
		set.URLs = append(set.URLs, sitemapURL{
			Loc: w.storyURL(st),
			News: &newsItem{
				Publication:     newsPublication{Name: siteName, Language: newsLanguage},
				PublicationDate: st.published.UTC().Format(time.RFC3339),
				Title:           st.headline,
			},
		})
	}
	w.sendXML(rw, r, set, modified)
}

// storyURL is a story's public URL.
func (w *site) storyURL(st story) string {
	if st.url != "" {
		return st.url
	}
	return w.s.publicURL(st.id, st.slug)
}

func (w *site) sendXML(rw http.ResponseWriter, r *http.Request, v any, modified time.Time) {
	out, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		w.fail(rw, "sitemap", err)
		return
	}
	w.send(rw, r, "application/xml; charset=utf-8", append([]byte(xml.Header), out...), modified, "")
}
