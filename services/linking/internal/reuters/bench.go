package reuters

import (
	"math"
	"runtime"
	"slices"
	"sync"

	"newsroom.dev/services/linking/index"
)

// Bench is the collection indexed for the related-stories benchmark:
// every story with a body, as a published story whose headline is the
// TITLE and whose body is the BODY, published at its DATE. Nothing else
// is indexed: TOPICS are the labels, and PLACES and the other metadata
// are not features either.
type Bench struct {
	Stories []Story
	Index   *index.Index
	indexed map[string]bool
	byTopic map[string][]int // indexed stories with each topic
}

// NewBench indexes stories (in the order given: NEWID order is roughly
// the order of publication) with configuration cfg.
func NewBench(stories []Story, cfg index.Config) *Bench {
	b := &Bench{Stories: stories, Index: index.NewWith(cfg), indexed: map[string]bool{}, byTopic: map[string][]int{}}
	for i, s := range stories {
		if s.Body == "" {
			continue
		}
		b.Index.Add(Doc(s))
		b.indexed[s.NewID] = true
		for _, t := range s.Topics {
			b.byTopic[t] = append(b.byTopic[t], i)
		}
	}
	return b
}

// Doc is what the benchmark indexes of a story.
func Doc(s Story) index.Doc {
	return index.Doc{ID: s.NewID, Headline: s.Title, Body: s.Body, PublishedAt: s.Date}
}

// Metrics are the benchmark's figures over its queries.
type Metrics struct {
	Queries int     // queries with at least one relevant candidate
	Skipped int     // queries without any, left out
	P10     float64 // precision at 10
	NDCG10  float64 // binary-gain nDCG at 10
	MRR10   float64 // reciprocal rank of the first relevant story, 0 beyond 10
}

// Result is one ranking's figures under both relevance rules.
type Result struct {
	Ranking string
	// Topic: relevant if the candidate shares a topic with the query.
	Topic Metrics
	// TopicPlace: relevant if it shares a topic and a place.
	TopicPlace Metrics
}

// Queries returns the benchmark's queries of one split (ModApte: "TEST",
// or "TRAIN" to tune without looking at the test set): stories with
// TOPICS="YES" and at least one topic.
func (b *Bench) Queries(split string) []Story {
	var out []Story
	for _, s := range b.Stories {
		if s.Split == split && s.HasTopic && len(s.Topics) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// Run ranks the top 10 for every query with r: the candidates are the
// indexed stories dated strictly before the query.
func (b *Bench) Run(queries []Story, r index.Ranking) Result {
	byID := make(map[string]*Story, len(b.Stories))
	for i := range b.Stories {
		byID[b.Stories[i].NewID] = &b.Stories[i]
	}
	type acc struct{ topic, place sums }
	var mu sync.Mutex
	total := acc{}
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			local := acc{}
			for i := range work {
				q := queries[i]
				iq := index.Query{ID: q.NewID, K: 10, Before: q.Date, Ranking: &r}
				if !b.indexed[q.NewID] {
					d := Doc(q)
					iq.Doc = &d
				}
				hits := b.Index.Search(iq)
				got := make([]*Story, len(hits))
				for j, h := range hits {
					got[j] = byID[h.Doc.ID]
				}
				local.topic.add(q, got, b.relevantCount(q, false), false)
				local.place.add(q, got, b.relevantCount(q, true), true)
			}
			mu.Lock()
			total.topic.merge(local.topic)
			total.place.merge(local.place)
			mu.Unlock()
		})
	}
	for i := range queries {
		work <- i
	}
	close(work)
	wg.Wait()
	return Result{Ranking: r.Name, Topic: total.topic.metrics(), TopicPlace: total.place.metrics()}
}

// relevantCount counts the candidates of q relevant to it.
func (b *Bench) relevantCount(q Story, place bool) int {
	seen := map[int]bool{}
	n := 0
	for _, t := range q.Topics {
		for _, i := range b.byTopic[t] {
			c := &b.Stories[i]
			if !seen[i] && c.Date.Before(q.Date) && relevant(q, c, place) {
				n++
			}
			seen[i] = true
		}
	}
	return n
}

func relevant(q Story, c *Story, place bool) bool {
	if !shares(q.Topics, c.Topics) {
		return false
	}
	return !place || shares(q.Places, c.Places)
}

func shares(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

type sums struct {
	n, skipped   int
	p, ndcg, mrr float64
}

func (s *sums) add(q Story, got []*Story, relevantTotal int, place bool) {
	if relevantTotal == 0 {
		s.skipped++
		return
	}
	s.n++
	dcg, idcg, hits := 0.0, 0.0, 0
	first := 0
	for i, c := range got {
		if i >= 10 {
			break
		}
		if c != nil && relevant(q, c, place) {
			hits++
			dcg += 1 / math.Log2(float64(i+2))
			if first == 0 {
				first = i + 1
			}
		}
	}
	for i := range min(10, relevantTotal) {
		idcg += 1 / math.Log2(float64(i+2))
	}
	s.p += float64(hits) / 10
	s.ndcg += dcg / idcg
	if first > 0 {
		s.mrr += 1 / float64(first)
	}
}

func (s *sums) merge(o sums) {
	s.n += o.n
	s.skipped += o.skipped
	s.p += o.p
	s.ndcg += o.ndcg
	s.mrr += o.mrr
}

func (s sums) metrics() Metrics {
	if s.n == 0 {
		return Metrics{Skipped: s.skipped}
	}
	n := float64(s.n)
	return Metrics{Queries: s.n, Skipped: s.skipped, P10: s.p / n, NDCG10: s.ndcg / n, MRR10: s.mrr / n}
}
