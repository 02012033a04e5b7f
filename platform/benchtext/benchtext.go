// Package benchtext generates synthetic news: the articles `newsroom
// bench` writes, the stories linking's BenchmarkPublished publishes and
// the archive of linking's speed benchmark (services/linking/internal/
// synth wraps Archive), so that every benchmark runs on one generator,
// not on copies that drift.
//
// The text is made to behave like a newsroom's for the services that
// read it (linking's search above all): a Zipfian vocabulary, a few
// hundred topics, stories in clusters of a few about one event (its own
// words, people, place and organisation), near-duplicates. See Archive.
package benchtext

import (
	"math/rand/v2"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
)

// Article is story i of a as an article to write: headline, dek, summary
// (the lede), body, tags, desk and byline, the same for the same
// arguments. A flagged story ends with an unverified claim
// ("reportedly"), which review flags for the desk.
func (a *Archive) Article(i int, flagged bool) *articlev1.Article {
	s := a.Story(i)
	body := s.Body
	if flagged {
		c := &a.clusters[s.Cluster]
		body += "\n\n" + a.people[c.people[0]] + " was reportedly in " + a.places[c.place] + " that week."
	}
	return &articlev1.Article{
		Headline: s.Headline,
		Dek:      s.Dek,
		Summary:  lede(s.Body),
		Desk:     "bench",
		Byline:   "Bench Writer",
		Tags:     s.Tags,
		Body:     body,
	}
}

// Flagged reports whether story i is one of the share (0 to 1) of stories
// that carry an unverified claim: a pure function of the archive's seed
// and i, so a run flags the same stories every time.
func (a *Archive) Flagged(i int, share float64) bool {
	return rand.New(rand.NewPCG(a.Seed^flagSalt, uint64(i))).Float64() < share
}

// flagSalt keeps Flagged's stream apart from the stories' own.
const flagSalt = 0x6a09e667f3bcc908

// lede is the first sentence of body.
func lede(body string) string {
	for i := 0; i+1 < len(body); i++ {
		if body[i] == '.' && body[i+1] == ' ' {
			return body[:i+1]
		}
	}
	return body
}
