// Command relatedeval runs the related-stories quality benchmark on
// Reuters-21578 and prints P@10, nDCG@10 and MRR@10 of the plain BM25
// MoreLikeThis baseline and of the full ranking, under two relevance
// rules: the candidate shares a topic with the query, and, stricter, it
// shares a topic and a place. See docs/benchmarks.md for the protocol.
//
//	go run ./services/linking/cmd/relatedeval [-data DIR] [-split TEST|TRAIN] [-ablate] [-places 4] [-every N] [-only NAME]
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
	every := flag.Int("every", 1, "run every nth query only (a quicker TRAIN run while tuning)")
	only := flag.String("only", "", "run only the ranking of this name")
	ledeWords := flag.Int("lede-words", -1, "the lede's words (Config.LedeWords; -1: the default)")
	ledeWeight := flag.Int("lede-weight", -1, "what a lede word adds (Config.LedeWeight; -1: the default)")
	ledeNeigh := flag.Float64("lede-neighbours", -1, "the full ranking's NeighbourLedeWeight (-1: Full's)")
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
	cfg := index.DefaultConfig()
	if *ledeWords >= 0 {
		cfg.LedeWords = *ledeWords
	}
	if *ledeWeight >= 0 {
		cfg.LedeWeight = *ledeWeight
	}
	if *ledeNeigh >= 0 {
		index.Full.NeighbourLedeWeight = *ledeNeigh
	}
	b := reuters.NewBench(stories, cfg)
	queries := b.Queries(*split)
	if *every > 1 {
		var sub []reuters.Story
		for i := 0; i < len(queries); i += *every {
			sub = append(sub, queries[i])
		}
		queries = sub
	}
	fmt.Printf("Reuters-21578 from %s: %d stories, %d indexed (with a body), %d %s queries; loaded and indexed in %v\n\n",
		*data, len(stories), b.Index.Len(), len(queries), *split, time.Since(start).Round(time.Millisecond))
	// The baseline is plain BM25 MoreLikeThis over the plain analysis
	// (index.BaselineConfig: no lede), so every gain shows beside it.
	var plain *reuters.Bench
	plainBench := func() *reuters.Bench {
		if plain == nil {
			plain = reuters.NewBench(stories, index.BaselineConfig())
		}
		return plain
	}
	type row struct {
		r     index.Ranking
		plain bool // measured over the plain analysis
	}
	rows := []row{{index.BM25Baseline, true}, {index.Full, false}}
	if *ablate {
		for _, r := range ablations() {
			rows = append(rows, row{r, false})
		}
		noLede := index.Full
		noLede.Name, noLede.NeighbourLedeWeight = "full − lede", 0
		rows = append(rows, row{noLede, true})
	}
	fmt.Println("| ranking | queries | P@10 | nDCG@10 | MRR@10 | queries (topic+place) | P@10 | nDCG@10 | MRR@10 |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', *places, 64) }
	for _, w := range rows {
		if *only != "" && w.r.Name != *only {
			continue
		}
		on := b
		if w.plain {
			on = plainBench()
		}
		res := on.Run(queries, w.r)
		t, p := res.Topic, res.TopicPlace
		fmt.Printf("| %s | %d | %s | %s | %s | %d | %s | %s | %s |\n",
			w.r.Name, t.Queries, f(t.P10), f(t.NDCG10), f(t.MRR10), p.Queries, f(p.P10), f(p.NDCG10), f(p.MRR10))
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
