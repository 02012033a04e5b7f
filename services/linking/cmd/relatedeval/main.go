// Command relatedeval runs the related-stories quality benchmark on
// Reuters-21578 and prints P@10, nDCG@10 and MRR@10 of the plain BM25
// MoreLikeThis baseline and of the full ranking, under two relevance
// rules: the candidate shares a topic with the query, and, stricter, it
// shares a topic and a place. See docs/benchmarks.md for the protocol.
//
//	go run ./services/linking/cmd/relatedeval [-data DIR] [-split TEST|TRAIN] [-ablate] [-places 4]
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"newsroom.dev/services/linking/index"
	"newsroom.dev/services/linking/internal/reuters"
)

func main() {
	data := flag.String("data", reuters.DefaultDir(), "directory holding reut2-*.sgm")
	split := flag.String("split", "TEST", "ModApte split whose stories are the queries (TRAIN to tune)")
	ablate := flag.Bool("ablate", false, "also run the full ranking without each of its parts")
	places := flag.Int("places", 3, "decimal places of the figures (4 to tell changes of a few thousandths apart)")
	flag.Parse()
	start := time.Now()
	stories, err := reuters.Load(*data)
	if errors.Is(err, reuters.ErrMissing) {
		fmt.Fprintf(os.Stderr, "relatedeval: %v\nThe collection is not in the repository (research use only); pass -data DIR.\n", err)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "relatedeval:", err)
		os.Exit(1)
	}
	b := reuters.NewBench(stories, index.DefaultConfig())
	queries := b.Queries(*split)
	fmt.Printf("Reuters-21578 from %s: %d stories, %d indexed (with a body), %d %s queries; loaded and indexed in %v\n\n",
		*data, len(stories), b.Index.Len(), len(queries), *split, time.Since(start).Round(time.Millisecond))
	rankings := []index.Ranking{index.BM25Baseline, index.Full}
	if *ablate {
		rankings = append(rankings, ablations()...)
	}
	fmt.Println("| ranking | queries | P@10 | nDCG@10 | MRR@10 | queries (topic+place) | P@10 | nDCG@10 | MRR@10 |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, r := range rankings {
		res := b.Run(queries, r)
		t, p := res.Topic, res.TopicPlace
		f := func(v float64) string { return strconv.FormatFloat(v, 'f', *places, 64) }
		fmt.Printf("| %s | %d | %s | %s | %s | %d | %s | %s | %s |\n",
			r.Name, t.Queries, f(t.P10), f(t.NDCG10), f(t.MRR10), p.Queries, f(p.P10), f(p.NDCG10), f(p.MRR10))
	}
}

// ablations are the full ranking without one of its parts each.
func ablations() []index.Ranking {
	var out []index.Ranking
	add := func(name string, f func(*index.Ranking)) {
		r := index.Full
		r.Name = "full " + name
		f(&r)
		out = append(out, r)
	}
	add("− entities", func(r *index.Ranking) { r.Entities = 0 })
	add("− recency", func(r *index.Ranking) { r.HalfLife = 0 })
	add("− near-dup collapse", func(r *index.Ranking) { r.NearDup = 0 })
	add("− max df", func(r *index.Ranking) { r.MaxDF = 0 })
	add("− normalisation", func(r *index.Ranking) { r.Normalize = false; r.Entities, r.Tags = 0, 0; r.Neighbours = 0 })
	add("− neighbours", func(r *index.Ranking) { r.Neighbours = 0 })
	add("− names' lower weight", func(r *index.Ranking) { r.NameWeight, r.NeighbourNameWeight = 0, 0 })
	add("− query term frequency", func(r *index.Ranking) { r.QueryTF = 0 })
	add("− both (the ranking before issue 4's third pass)", func(r *index.Ranking) { r.NameWeight, r.NeighbourNameWeight, r.QueryTF = 0, 0, 0 })
	add("with √idf term weights", func(r *index.Ranking) { r.Weight = index.SqrtIDF })
	add("with √idf, − neighbours (the ranking before issue 4's second pass)", func(r *index.Ranking) {
		r.Weight, r.Neighbours, r.Pool, r.CommonPostings = index.SqrtIDF, 0, 64, 5000
	})
	return out
}
