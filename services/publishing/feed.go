package publishing

import (
	"encoding/xml"
	"net/http"
	"time"
)

// The Atom feed (RFC 4287) of the latest stories.

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomEntry struct {
	Title     string      `xml:"title"`
	ID        string      `xml:"id"`
	Updated   string      `xml:"updated"`
	Published string      `xml:"published"`
	Links     []atomLink  `xml:"link"`
	Summary   string      `xml:"summary,omitempty"`
	Author    *atomPerson `xml:"author,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

func (w *site) feed(rw http.ResponseWriter, _ *http.Request) {
	base := w.s.cfg.BaseURL
	f := atomFeed{
		Title: "Newsroom",
		ID:    base + "/",
		Links: []atomLink{{Href: base + "/feed.atom", Rel: "self", Type: "application/atom+xml"}, {Href: base + "/", Rel: "alternate", Type: "text/html"}},
	}
	var newest time.Time
	for _, st := range w.s.live.list() {
		updated := st.updated
		if updated.Before(st.published) {
			updated = st.published
		}
		if updated.After(newest) {
			newest = updated
		}
		link := st.url
		if link == "" {
			link = w.s.publicURL(st.id, st.slug)
		}
		e := atomEntry{
			Title:     st.headline,
			ID:        base + articlePath(st.id, ""), // stable even if the slug changes
			Updated:   updated.UTC().Format(time.RFC3339),
			Published: st.published.UTC().Format(time.RFC3339),
			Links:     []atomLink{{Href: link, Rel: "alternate", Type: "text/html"}},
			Summary:   st.dek,
		}
		if st.byline != "" {
			e.Author = &atomPerson{Name: st.byline}
		}
		f.Entries = append(f.Entries, e)
	}
	if newest.IsZero() {
		newest = w.s.d.Clock.Now()
	}
	f.Updated = newest.UTC().Format(time.RFC3339)
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		w.s.log.Error("atom feed", "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	rw.Header().Set("Cache-Control", "public, max-age=60")
	_, _ = rw.Write([]byte(xml.Header))
	_, _ = rw.Write(out)
}
