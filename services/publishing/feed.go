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

func (w *site) feed(rw http.ResponseWriter, r *http.Request) {
	base := w.s.cfg.BaseURL
	f := atomFeed{
		Title: siteName,
		ID:    base + "/",
		Links: []atomLink{{Href: base + "/feed.atom", Rel: "self", Type: "application/atom+xml"}, {Href: base + "/", Rel: "alternate", Type: "text/html"}},
	}
	_, _, changed := w.s.live.snapshot()
	newest := time.Unix(0, 0)
	for _, st := range w.s.live.list() {
		newest = later(newest, st.updated)
		link := st.url
		if link == "" {
			link = w.s.publicURL(st.id, st.slug)
		}
		e := atomEntry{
			Title: st.headline,
			ID:    base + articlePath(st.id, ""), // stable even if the slug changes
			// A republication (an update, a correction) moves updated.
			Updated:   st.updated.UTC().Format(time.RFC3339),
			Published: st.published.UTC().Format(time.RFC3339),
			Links:     []atomLink{{Href: link, Rel: "alternate", Type: "text/html"}},
			Summary:   st.dek,
		}
		if st.byline != "" {
			e.Author = &atomPerson{Name: st.byline}
		}
		f.Entries = append(f.Entries, e)
	}
	// The feed's own updated time must not depend on when it is asked for
	// (it would defeat conditional GETs): an empty feed says the epoch.
	f.Updated = newest.UTC().Format(time.RFC3339)
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		w.fail(rw, "atom feed", err)
		return
	}
	w.send(rw, r, "application/atom+xml; charset=utf-8", append([]byte(xml.Header), out...), later(newest, changed), "")
}
