package index

import (
	"math"
	"time"
)

// Ranking is how candidates are chosen and scored. Every ranking builds
// its query in the manner of Lucene's MoreLikeThis: the story's terms with
// the highest tf-idf (headline and dek weighted above the body), leaving
// out terms that no other story has, or that too many have, each boosted
// by its tf-idf relative to the best one. Candidates are scored with BM25
// against that query, using score upper bounds (MaxScore) to skip the
// postings of stories that cannot make the pool.
//
// BM25Baseline stops there. Full re-ranks the pool: the BM25 score,
// divided by the story's score against itself (so scores compare across
// stories), plus the overlap of named entities and of tags, times a
// recency decay, plus the candidate's mean similarity to the best
// candidates; then near-duplicate copies of one story are collapsed.
type Ranking struct {
	Name string
	// QueryTerms is the most terms a query keeps.
	QueryTerms int
	// MinShared drops query terms that fewer than this many other stories
	// have (1: at least one: a term nobody else has cannot match).
	MinShared int
	// MinTF drops query terms that the story has fewer times than this
	// (field weights count: a headline word is there three times).
	MinTF int
	// MaxDF drops query terms that more than this fraction of stories
	// have (0: no limit), and more than 20.
	MaxDF float64
	// Numbers lets terms made only of digits into the query. Numbers
	// rarely say what a story is about ("1987", "25").
	Numbers bool
	// Weight is how much each query term counts.
	Weight TermWeight
	// Feedback, if positive, runs the query a second time, adding the
	// FeedbackTerms terms that the Feedback best stories of the first run
	// have most (pseudo-relevance feedback), weighted FeedbackWeight.
	Feedback       int
	FeedbackTerms  int
	FeedbackWeight float64
	// CommonPostings, if positive, makes the lists of query terms that
	// more than this many stories have probe-only: they add to the score
	// of stories found through the query's rarer terms but bring in no
	// candidate of their own. A story that shares only common words with
	// the query is not a related story, and in a large archive their long
	// lists are most of a query's work. (A count, not a share: in a small
	// archive every list is short and nothing changes.)
	CommonPostings int
	// BM25's k1 and b.
	K1, B float64
	// Pool is how many candidates BM25 hands to the re-ranking.
	Pool int
	// Normalize divides the BM25 score by the story's own.
	Normalize bool
	// Entities and Tags weigh the overlap (0 to 1: the share of the
	// query story's entities, or tags, by idf, that the candidate has).
	Entities, Tags float64
	// HalfLife is the time apart at which the recency decay halves the
	// part of the score above DecayFloor (0: no decay).
	HalfLife   time.Duration
	DecayFloor float64
	// NearDup, if positive, collapses stories whose SimHash fingerprints
	// differ in at most this many bits, keeping the best ranked, and
	// drops copies of the query story itself.
	NearDup int
	// Neighbours, if positive, orders the candidates by their score plus
	// NeighbourWeight times their mean cosine (of the signatures' tf × idf^¼
	// vectors) with the Neighbours best: a story like the story's best
	// matches is likelier on its subject than one that matches only the
	// story's own words. The scores themselves stay as they were.
	Neighbours      int
	NeighbourWeight float64
	// NameWeight, if positive, multiplies the weight of the query's terms
	// that are words of the story's named entities (its people, places
	// and organisations), and NeighbourNameWeight their weight in the
	// neighbours' vectors: a story's subject words say more about which
	// stories are on its subject than the names it mentions, which other
	// stories on other subjects mention too. The pool is still chosen
	// with names counting in full (the query's MaxScore bounds stay as
	// they were: at half weight, a name's short list would be probed, not
	// scanned, and the subject words' long lists scanned instead); only
	// the pool's scores count them at NameWeight.
	NameWeight          float64
	NeighbourNameWeight float64
	// NeighbourLedeWeight, if positive, multiplies the weight of a
	// signature's lede terms (Config.LedeWords) in the neighbours'
	// vectors: a story's first sentence says what it is about, so two
	// stories whose ledes share words are likelier on one subject than
	// two that share words further down.
	NeighbourLedeWeight float64
	// QueryTF, if positive, weighs each query term in the pool's scores
	// by its frequency in the story (field weights count: a headline
	// word is there three times) to this power: among the story's 40
	// best terms, those it repeats or puts in its headline are its
	// subject. Like NameWeight, it leaves the pool's choice alone.
	QueryTF float64
}

// BM25Baseline is plain BM25 MoreLikeThis, as the skeleton ranked: 25
// query terms, any term another story has, raw BM25.
var BM25Baseline = Ranking{
	Name:       "bm25-mlt",
	QueryTerms: 25,
	MinShared:  1,
	Numbers:    true,
	K1:         1.2,
	B:          0.75,
}

// Full is the ranking the service uses. Its parameters were tuned on the
// TRAIN split of Reuters-21578 (docs/benchmarks.md): a longer query whose
// terms all count the same finds stories on the same subject far more
// often than MoreLikeThis's boosted query, which leans on a story's
// rarest words; and a candidate like the best candidates is likelier on
// the story's subject than one that shares only some of its words
// (Neighbours). Entities and tags weigh little: they separate stories
// that share words, not stories that share only a name; and the words of
// the story's names count half in the pool's scores and a tenth in the
// neighbours' vectors (NameWeight): a story is related by its subject,
// not by the company or town it names; while the words it repeats or
// puts in its headline count more (QueryTF).
var Full = Ranking{
	Name:            "full",
	QueryTerms:      40,
	MinShared:       1,
	MaxDF:           0.25,
	Weight:          Unit,
	K1:              1.2,
	B:               0.75,
	Pool:            32,
	Normalize:       true,
	Entities:        0.03,
	Tags:            0.1,
	HalfLife:        30 * 24 * time.Hour,
	DecayFloor:      0.7,
	NearDup:         3,
	Neighbours:      10,
	NeighbourWeight: 1,
	// Names at half weight in the query, at a tenth in the neighbours'
	// vectors (TRAIN: 0.4 to 0.6 and 0.01 to 0.25 all within 0.001).
	NameWeight:          0.5,
	NeighbourNameWeight: 0.1,
	// TRAIN (with the lede counted twice at indexing): 1.5 0.744,
	// 2 0.744 with a 20-word lede (none 0.743); on the sixth pass's
	// analysis (common news words no terms), 0.7493 (none 0.7459).
	NeighbourLedeWeight: 1.5,
	// TRAIN: qtf^0.25 0.737, ^0.5 0.740, ^0.75 0.740 (none 0.732).
	QueryTF: 0.5,
	// In an archive of a million stories, 0.2%.
	CommonPostings: 2000,
}

func (r *Ranking) withDefaults() Ranking {
	c := *r
	if c.QueryTerms <= 0 {
		c.QueryTerms = 25
	}
	if c.MinShared <= 0 {
		c.MinShared = 1
	}
	if c.K1 <= 0 {
		c.K1 = 1.2
	}
	if c.B < 0 || c.B > 1 {
		c.B = 0.75
	}
	return c
}

// TermWeight is how much a query term counts in the BM25 score.
type TermWeight int

const (
	// BoostIDF is MoreLikeThis's: its idf times its boost, its tf-idf in
	// the story relative to the best term's.
	BoostIDF TermWeight = iota
	// IDF is its idf alone.
	IDF
	// SqrtIDF is the square root of its idf: rare terms count for less
	// than in BM25, so a story's topic counts more than its rarest words.
	SqrtIDF
	// Unit is 1: every query term counts the same.
	Unit
)

func (w TermWeight) of(idf, boost float64) float64 {
	switch w {
	case IDF:
		return idf
	case SqrtIDF:
		return math.Sqrt(idf)
	case Unit:
		return 1
	}
	return idf * boost
}

// DefaultQueryTerms is the baseline's query size.
const DefaultQueryTerms = 25

// decay is the recency factor for two stories dt apart.
func (r *Ranking) decay(dt int64) float64 {
	if r.HalfLife <= 0 {
		return 1
	}
	if dt < 0 {
		dt = -dt
	}
	return r.DecayFloor + (1-r.DecayFloor)*math.Exp2(-float64(dt)/float64(r.HalfLife))
}

// decaySteps is how many steps a half-life has in decayBound.
const decaySteps = 8

// decayStep[j] is 2^(-j/decaySteps), a little over.
var decayStep = func() (t [decaySteps]float64) {
	for j := range t {
		t[j] = math.Exp2(-float64(j)/decaySteps) * (1 + 1e-9)
	}
	return t
}()

// decayBound is at least decay(dt), cheaply: the exponential at the
// step of a half-life below dt's. Most of a query's documents cannot
// make the pool even at that bound, and the exponential was a tenth of
// a query's work. The margins (a step down, 1e-9 up) cover the
// rounding, so a document the bound drops the decay would drop too.
func (r *Ranking) decayBound(dt int64) float64 {
	if r.HalfLife <= 0 {
		return 1
	}
	if dt < 0 {
		dt = -dt
	}
	n := int64(float64(dt)/float64(r.HalfLife)*decaySteps) - 1
	if n <= 0 {
		return 1
	}
	k := n / decaySteps
	if k > 900 {
		return r.decay(dt) // near subnormals, where the margin is lost
	}
	return r.DecayFloor + (1-r.DecayFloor)*math.Ldexp(decayStep[n%decaySteps], -int(k))
}

// reranks reports whether the ranking does more than BM25.
func (r *Ranking) reranks() bool {
	return r.Normalize || r.Entities != 0 || r.Tags != 0 || r.HalfLife > 0 || r.NearDup > 0 || r.Neighbours > 0 && r.NeighbourWeight != 0
}
