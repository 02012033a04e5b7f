// Package synth is the synthetic news archive of the speed benchmark:
// platform/benchtext's Archive (the generator `newsroom bench` uses too),
// its stories as index documents. Story i is a pure function of (seed, i),
// so stories can be generated in parallel and again later.
package synth

import (
	"fmt"

	"newsroom.dev/platform/benchtext"
	"newsroom.dev/services/linking/index"
)

// Archive describes a synthetic archive.
type Archive struct{ *benchtext.Archive }

// New prepares an archive of n stories.
func New(n int, seed uint64) *Archive { return &Archive{benchtext.New(n, seed)} }

// Story returns story i, with the id s0000123 and a url of its own.
func (a *Archive) Story(i int) index.Doc {
	s := a.Archive.Story(i)
	id := fmt.Sprintf("s%07d", i)
	return index.Doc{
		ID:          id,
		Headline:    s.Headline,
		Dek:         s.Dek,
		Body:        s.Body,
		Tags:        s.Tags,
		URL:         "https://news.example/" + id,
		PublishedAt: s.PublishedAt,
		Revision:    1,
	}
}
