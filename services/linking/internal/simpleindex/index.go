package simpleindex

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"
)

// Doc is what the index knows of a published story.
type Doc struct {
	ID          string
	Headline    string
	Dek         string
	Summary     string
	Body        string
	Tags        []string
	Desk        string
	URL         string
	PublishedAt time.Time
}

// Hit is a related story and its score.
type Hit struct {
	Doc   Doc
	Score float64
}

// Field weights: a word in the headline says three times as much about the
// topic as one in the body.
const (
	headlineWeight = 3
	textWeight     = 1
)

// BM25 parameters, Lucene's defaults.
const (
	k1 = 1.2
	b  = 0.75
)

// DefaultQueryTerms is how many of an article's terms, by tf-idf, make its
// query: enough to describe the topic, few enough to leave out noise.
const DefaultQueryTerms = 25

// Index is an in-memory BM25 index, safe for concurrent use.
type Index struct {
	// QueryTerms bounds the query built from an article (DefaultQueryTerms if 0).
	QueryTerms int

	mu    sync.RWMutex
	docs  map[string]*entry
	post  map[string]map[string]float64 // term → doc id → weighted tf
	total float64                       // sum of document lengths
}

type entry struct {
	doc Doc
	tf  map[string]float64
	len float64
}

// New returns an empty index.
func New() *Index {
	return &Index{docs: map[string]*entry{}, post: map[string]map[string]float64{}}
}

// Add indexes d, replacing any earlier version of it.
func (x *Index) Add(d Doc) {
	e := &entry{doc: d, tf: termFreqs(d)}
	for _, f := range e.tf {
		e.len += f
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.remove(d.ID)
	x.docs[d.ID] = e
	x.total += e.len
	for t, f := range e.tf {
		p := x.post[t]
		if p == nil {
			p = map[string]float64{}
			x.post[t] = p
		}
		p[d.ID] = f
	}
}

// Remove drops the story with id, if indexed.
func (x *Index) Remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.remove(id)
}

func (x *Index) remove(id string) {
	e, ok := x.docs[id]
	if !ok {
		return
	}
	for t := range e.tf {
		p := x.post[t]
		delete(p, id)
		if len(p) == 0 {
			delete(x.post, t)
		}
	}
	x.total -= e.len
	delete(x.docs, id)
}

// Get returns the indexed story with id.
func (x *Index) Get(id string) (Doc, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.docs[id]
	if !ok {
		return Doc{}, false
	}
	return e.doc, true
}

// Len is the number of indexed stories.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.docs)
}

// RelatedTo is Related for an indexed story; it returns nil if id is not
// indexed.
func (x *Index) RelatedTo(id string, k int, before time.Time) []Hit {
	d, ok := x.Get(id)
	if !ok {
		return nil
	}
	return x.Related(d, k, before)
}

// Related returns up to k stories most related to d, best first, among
// those published strictly before before (any time if before is zero),
// never d itself. d need not be indexed.
func (x *Index) Related(d Doc, k int, before time.Time) []Hit {
	if k <= 0 {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	query := x.query(d.ID, termFreqs(d))
	if len(query) == 0 {
		return nil
	}
	n := float64(len(x.docs))
	avg := 1.0
	if n > 0 && x.total > 0 {
		avg = x.total / n
	}
	scores := map[string]float64{}
	for _, q := range query {
		idf := x.idf(q.term)
		for id, f := range x.post[q.term] {
			if id == d.ID {
				continue
			}
			e := x.docs[id]
			if !before.IsZero() && !e.doc.PublishedAt.Before(before) {
				continue
			}
			norm := k1 * (1 - b + b*e.len/avg)
			scores[id] += q.boost * idf * f * (k1 + 1) / (f + norm)
		}
	}
	hits := make([]Hit, 0, len(scores))
	for id, s := range scores {
		hits = append(hits, Hit{Doc: x.docs[id].doc, Score: s})
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		// Ties: the more recent story, then the id, so results are stable.
		if c := b.Doc.PublishedAt.Compare(a.Doc.PublishedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Doc.ID, b.Doc.ID)
	})
	return hits[:min(k, len(hits))]
}

type queryTerm struct {
	term  string
	boost float64
}

// query picks the terms of tf (the terms of story id) with the highest
// tf-idf, boosted relative to the best one so that the terms that define
// the topic count most. Terms no other story has are skipped: their idf is
// the highest of all, yet they cannot match anything.
func (x *Index) query(id string, tf map[string]float64) []queryTerm {
	q := make([]queryTerm, 0, len(tf))
	for t, f := range tf {
		p := x.post[t]
		if _, self := p[id]; len(p) == 0 || (self && len(p) == 1) {
			continue
		}
		q = append(q, queryTerm{t, f * x.idf(t)})
	}
	slices.SortFunc(q, func(a, b queryTerm) int {
		if c := cmp.Compare(b.boost, a.boost); c != 0 {
			return c
		}
		return cmp.Compare(a.term, b.term)
	})
	limit := x.QueryTerms
	if limit <= 0 {
		limit = DefaultQueryTerms
	}
	q = q[:min(limit, len(q))]
	if len(q) > 0 && q[0].boost > 0 {
		top := q[0].boost
		for i := range q {
			q[i].boost /= top
		}
	}
	return q
}

// idf is BM25's inverse document frequency, always positive.
func (x *Index) idf(term string) float64 {
	n := float64(len(x.docs))
	df := float64(len(x.post[term]))
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// termFreqs counts d's terms, weighted by the field they occur in.
func termFreqs(d Doc) map[string]float64 {
	tf := map[string]float64{}
	add := func(s string, w float64) {
		for _, t := range Tokens(s) {
			tf[t] += w
		}
	}
	add(d.Headline, headlineWeight)
	add(d.Dek, textWeight)
	add(d.Summary, textWeight)
	add(d.Body, textWeight)
	for _, tag := range d.Tags {
		add(tag, textWeight)
	}
	return tf
}
