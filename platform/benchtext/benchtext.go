// Package benchtext generates the articles `newsroom bench` writes, so
// that the services' own benchmarks (linking's BenchmarkPublished) run on
// the very stories the pipeline bench sends, not on a copy that drifts.
//
// A story belongs to one of Clusters topic clusters: a third of its words
// are its cluster's, the rest common filler, so stories of one cluster
// are related and those of different clusters are not.
package benchtext

import (
	"fmt"
	"math/rand/v2"
	"strings"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
)

// topics are the clusters' words; the first three make the headline.
var topics = [...][]string{
	{"council", "budget", "transport", "buses", "lanes", "spending", "mayor"},
	{"hospital", "nurses", "waiting", "patients", "health", "ward", "staff"},
	{"school", "teachers", "exams", "pupils", "curriculum", "classrooms", "education"},
	{"harbour", "shipping", "containers", "port", "cranes", "dockworkers", "cargo"},
	{"football", "league", "striker", "goal", "season", "coach", "stadium"},
	{"housing", "rents", "tenants", "landlords", "flats", "planning", "construction"},
	{"river", "flooding", "rainfall", "defences", "residents", "evacuation", "water"},
	{"airport", "runway", "flights", "passengers", "terminal", "airline", "noise"},
	{"library", "books", "readers", "archive", "funding", "volunteers", "branch"},
	{"energy", "prices", "households", "bills", "suppliers", "heating", "winter"},
}

var filler = strings.Fields("the said on a of and to in for with that it was at by from after as new city year week officials plan local people")

// Clusters is how many topic clusters there are (cluster numbers wrap).
const Clusters = len(topics)

// Article is the text of the seq-th story of cluster: headline, dek,
// summary, body, tags, desk and byline, the same for the same arguments.
// A flagged story ends with an unverified claim ("reportedly"), which
// review flags for the desk.
func Article(cluster, seq int, flagged bool) *articlev1.Article {
	topic := topics[cluster%len(topics)]
	r := rand.New(rand.NewPCG(uint64(seq), uint64(cluster)))
	words := func(n int) string {
		w := make([]string, n)
		for i := range w {
			if r.IntN(3) == 0 {
				w[i] = topic[r.IntN(len(topic))]
			} else {
				w[i] = filler[r.IntN(len(filler))]
			}
		}
		return strings.Join(w, " ")
	}
	body := words(120) + ".\n\n" + words(100) + "."
	if flagged {
		body += "\n\nThe plan was reportedly " + words(8) + "."
	}
	return &articlev1.Article{
		Headline: fmt.Sprintf("%s %s story %d on %s", strings.ToUpper(topic[0][:1])+topic[0][1:], topic[1], seq, topic[2]),
		Dek:      words(15) + ".",
		Summary:  words(25) + ".",
		Desk:     "bench",
		Byline:   "Bench Writer",
		Tags:     []string{topic[0], topic[1]},
		Body:     body,
	}
}
