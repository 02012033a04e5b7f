package publishing

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
)

// IPTC ninjs 3.1 ("News in JSON"), the representation other newsroom
// tools read: /articles/{id}.ninjs.json. The schema is
// http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json; it allows no
// properties of its own, so everything Newsroom has goes into ninjs's
// typed lists with a role (docs/publishing.md maps each field).

const ninjsSchema = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"

type ninjsDoc struct {
	URI                string             `json:"uri"`
	Standard           *ninjsStandard     `json:"standard,omitempty"`
	Type               string             `json:"type,omitempty"`
	RepresentationType string             `json:"representationType,omitempty"`
	Profile            string             `json:"profile,omitempty"`
	Version            string             `json:"version,omitempty"`
	FirstCreated       string             `json:"firstCreated,omitempty"`
	VersionCreated     string             `json:"versionCreated,omitempty"`
	PubStatus          string             `json:"pubStatus,omitempty"`
	Language           string             `json:"language,omitempty"`
	Headlines          []ninjsText        `json:"headlines,omitempty"`
	Descriptions       []ninjsText        `json:"descriptions,omitempty"`
	Bodies             []ninjsBody        `json:"bodies,omitempty"`
	By                 string             `json:"by,omitempty"`
	Slugline           string             `json:"slugline,omitempty"`
	Subjects           []ninjsSubject     `json:"subjects,omitempty"`
	AltIDs             []ninjsText        `json:"altIds,omitempty"`
	Renditions         []ninjsRendition   `json:"renditions,omitempty"`
	Associations       []ninjsAssociation `json:"associations,omitempty"`
}

type ninjsStandard struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Schema  string `json:"schema"`
}

// ninjsText is a headline, description or alternative id.
type ninjsText struct {
	Role        string `json:"role,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Value       string `json:"value"`
}

type ninjsBody struct {
	Role        string `json:"role,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	CharCount   int    `json:"charCount,omitempty"`
	WordCount   int    `json:"wordCount,omitempty"`
	Value       string `json:"value"`
}

type ninjsSubject struct {
	Name    string `json:"name"`
	Literal string `json:"literal,omitempty"`
}

type ninjsRendition struct {
	Name        string `json:"name"`
	Href        string `json:"href,omitempty"`
	ContentType string `json:"contentType,omitempty"`
}

type ninjsAssociation struct {
	Name         string           `json:"name"`
	Rel          string           `json:"rel,omitempty"`
	URI          string           `json:"uri"`
	Type         string           `json:"type,omitempty"`
	FirstCreated string           `json:"firstCreated,omitempty"`
	Headlines    []ninjsText      `json:"headlines,omitempty"`
	Renditions   []ninjsRendition `json:"renditions,omitempty"`
}

// ninjs renders the live article of pub as a ninjs 3.1 document.
func (s *Service) ninjs(pub *publishingv1.Publication) ([]byte, error) {
	a := pub.GetArticle()
	id := pub.GetArticleId()
	page := pub.GetPublicUrl()
	if page == "" {
		page = s.publicURL(id, a.GetSlug())
	}
	d := ninjsDoc{
		URI:                s.cfg.BaseURL + articlePath(id, ""),
		Standard:           &ninjsStandard{Name: "ninjs", Version: "3.1", Schema: ninjsSchema},
		Type:               "text",
		RepresentationType: "full",
		Profile:            "newsroom-article",
		Version:            strconv.FormatInt(pub.GetLiveRevision(), 10),
		FirstCreated:       rfc3339(a.GetCreatedAt().AsTime()),
		VersionCreated:     rfc3339(a.GetUpdatedAt().AsTime()),
		PubStatus:          "usable",
		Language:           newsLanguage,
		Headlines:          []ninjsText{{Role: "main", Value: a.GetHeadline()}},
		By:                 a.GetByline(),
		Slugline:           a.GetSlug(),
		AltIDs:             []ninjsText{{Role: "newsroom-id", Value: id}},
		Renditions:         []ninjsRendition{{Name: "web", Href: page, ContentType: "text/html"}},
	}
	if d.FirstCreated == "" {
		d.FirstCreated = rfc3339(a.GetPublishedAt().AsTime())
	}
	if dek := strings.TrimSpace(a.GetDek()); dek != "" {
		d.Headlines = append(d.Headlines, ninjsText{Role: "sub", Value: dek})
	}
	addDesc := func(role, value string) {
		if v := strings.TrimSpace(value); v != "" {
			d.Descriptions = append(d.Descriptions, ninjsText{Role: role, ContentType: "text/plain", Value: v})
		}
	}
	addDesc("summary", a.GetSummary())
	for _, t := range a.GetTakeaways() {
		addDesc("takeaway", strings.TrimSpace(strings.TrimSpace(t.GetQuote())+" — "+strings.TrimSpace(t.GetContext())))
	}
	for _, h := range a.GetHighlights() {
		addDesc("highlight", h)
	}
	if n := a.GetSensitivityNote(); n != nil {
		addDesc("sensitivity-note", strings.TrimSpace(n.GetTitle()+": "+n.GetText()))
	}
	addDesc("kicker", a.GetKicker())
	for _, c := range sortedCorrections(a) {
		when := ""
		if c.GetTime() != nil {
			when = " (" + rfc3339(c.GetTime().AsTime()) + ")"
		}
		addDesc("correction", fmt.Sprintf("Correction %d%s: %s", c.GetSequence(), when, c.GetText()))
	}
	if body := a.GetBody(); strings.TrimSpace(body) != "" {
		html, err := renderMarkdown(body)
		if err != nil {
			return nil, err
		}
		d.Bodies = []ninjsBody{
			{Role: "main", ContentType: "text/html", Value: string(html), CharCount: utf8.RuneCountInString(body), WordCount: len(strings.Fields(body))},
			{Role: "main", ContentType: "text/markdown", Value: body, CharCount: utf8.RuneCountInString(body), WordCount: len(strings.Fields(body))},
		}
	}
	if desk := strings.TrimSpace(a.GetDesk()); desk != "" {
		d.Subjects = append(d.Subjects, ninjsSubject{Name: desk, Literal: "desk:" + desk})
	}
	for _, t := range nonEmpty(a.GetTags()) {
		d.Subjects = append(d.Subjects, ninjsSubject{Name: t, Literal: "tag:" + t})
	}
	n := 0
	for _, r := range a.GetRelated() {
		if r.GetArticleId() == "" || r.GetArticleId() == id || !validID(r.GetArticleId()) {
			continue
		}
		n++
		as := ninjsAssociation{
			Name:      "related-" + strconv.Itoa(n),
			Rel:       "related",
			URI:       s.cfg.BaseURL + articlePath(r.GetArticleId(), ""),
			Type:      "text",
			Headlines: []ninjsText{{Role: "main", Value: r.GetHeadline()}},
		}
		if r.GetPublishedAt() != nil {
			as.FirstCreated = rfc3339(r.GetPublishedAt().AsTime())
		}
		if u, err := url.Parse(r.GetUrl()); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			as.Renditions = []ninjsRendition{{Name: "web", Href: u.String(), ContentType: "text/html"}}
		}
		d.Associations = append(d.Associations, as)
	}
	return json.MarshalIndent(d, "", "  ")
}

// rfc3339 formats t for JSON, "" for an unset time.
func rfc3339(t time.Time) string {
	if t.IsZero() || t.Unix() == 0 {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
