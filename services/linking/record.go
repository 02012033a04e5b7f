package linking

import (
	"encoding/json"
	"time"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/services/linking/index"
)

// record is what linking-docs holds for a published story: just what the
// index and a Related News entry need, as JSON, so the bucket's format
// does not depend on the Article protobuf.
type record struct {
	ID          string    `json:"id"`
	Revision    int64     `json:"revision"`
	Headline    string    `json:"headline"`
	URL         string    `json:"url,omitempty"`
	PublishedAt time.Time `json:"published_at"`
	Dek         string    `json:"dek,omitempty"`
	Summary     string    `json:"summary,omitempty"`
	Body        string    `json:"body,omitempty"`
	Tags        []string  `json:"tags,omitempty"`
	Desk        string    `json:"desk,omitempty"`
	// Publication is publishing's number of the publication this is (0 for
	// stories from before the numbering), and Down marks a tombstone: the
	// story was taken down, and the record stays so that a late copy of
	// the same or an earlier publication cannot put it back.
	Publication int32 `json:"publication,omitempty"`
	Down        bool  `json:"down,omitempty"`
}

// after reports whether r, a story already in linking-docs, comes after an
// event about publication n of revision rev (the event is late). Numbered
// publications are ordered by number, a take-down after the publication
// it takes down; older events fall back to the revision.
func (r record) after(rev int64, n int32) bool {
	if n > 0 && r.Publication > 0 {
		return r.Publication > n || r.Publication == n && r.Down
	}
	return rev != 0 && r.Revision > rev
}

// recordOf takes the record of a live article. An article without a
// publication time (which publishing always sets) counts as published at
// the time of the event that announced it.
func recordOf(a *articlev1.Article, meta *articlev1.EventMeta) record {
	at := a.GetPublishedAt().AsTime()
	if a.GetPublishedAt() == nil {
		at = meta.GetTime().AsTime()
	}
	// The event's revision is the one that went live; the article carries
	// the same, but older publishers may leave the meta's empty.
	rev := meta.GetRevision()
	if rev == 0 {
		rev = a.GetRevision()
	}
	return record{
		ID:          a.GetId(),
		Revision:    rev,
		Headline:    a.GetHeadline(),
		URL:         a.GetPublicUrl(),
		PublishedAt: at.UTC(),
		Dek:         a.GetDek(),
		Summary:     a.GetSummary(),
		Body:        a.GetBody(),
		Tags:        a.GetTags(),
		Desk:        a.GetDesk(),
	}
}

func (r record) doc() index.Doc {
	return index.Doc{
		ID:          r.ID,
		Headline:    r.Headline,
		Dek:         r.Dek,
		Summary:     r.Summary,
		Body:        r.Body,
		Tags:        r.Tags,
		Desk:        r.Desk,
		URL:         r.URL,
		PublishedAt: r.PublishedAt,
		Revision:    r.Revision,
	}
}

// RecordJSON is what linking-docs holds for a story published as d (the
// archive tools and the start-up benchmark write it directly).
func RecordJSON(d index.Doc) ([]byte, error) {
	return json.Marshal(record{
		ID: d.ID, Revision: d.Revision, Headline: d.Headline, URL: d.URL, PublishedAt: d.PublishedAt.UTC(),
		Dek: d.Dek, Summary: d.Summary, Body: d.Body, Tags: d.Tags, Desk: d.Desk,
	})
}
