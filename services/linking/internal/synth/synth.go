// Package synth generates a synthetic news archive for the speed
// benchmark: stories with a Zipfian vocabulary, grouped in story clusters
// (one event covered by several stories over a few days), each cluster on
// one of a few hundred topics, with people, places and organisations, and
// a few near-duplicate copies. Story i is a pure function of (seed, i),
// so stories can be generated in parallel and again later.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"newsroom.dev/services/linking/index"
)

// Archive describes a synthetic archive.
type Archive struct {
	N     int       // stories
	Seed  uint64    // everything follows from it
	Start time.Time // the first cluster starts then
	Years int       // clusters start over this many years

	vocab    []string
	alias    aliasTable
	topics   [][]int // word ranks of each topic
	clusters []cluster
	starts   []int // first story of each cluster
	people   []string
	places   []string
	orgs     []string
}

type cluster struct {
	topic  int
	words  []int
	people [2]int
	place  int
	org    int
	start  int64 // unix seconds
}

const (
	vocabSize  = 200_000
	topicCount = 400
	topicWords = 80
	zipfS      = 1.07
)

// New prepares an archive of n stories.
func New(n int, seed uint64) *Archive {
	a := &Archive{N: n, Seed: seed, Start: time.Date(2016, 1, 1, 6, 0, 0, 0, time.UTC), Years: 10}
	r := rand.New(rand.NewPCG(seed, 1))
	a.vocab = make([]string, vocabSize)
	seen := map[string]bool{}
	for i := range a.vocab {
		for {
			w := word(r, 1+int(math.Min(3, math.Log10(float64(i+10)))))
			if !seen[w] {
				seen[w] = true
				a.vocab[i] = w
				break
			}
		}
	}
	weights := make([]float64, vocabSize)
	for i := range weights {
		weights[i] = 1 / math.Pow(float64(i+1), zipfS)
	}
	a.alias = newAlias(weights)
	a.topics = make([][]int, topicCount)
	for t := range a.topics {
		for range topicWords {
			a.topics[t] = append(a.topics[t], 1000+r.IntN(40_000))
		}
	}
	for range 3000 {
		a.people = append(a.people, title(word(r, 2))+" "+title(word(r, 3)))
	}
	a.places = []string{"London", "Paris", "Berlin", "Madrid", "Rome", "Lisbon", "Dublin", "Vienna", "Warsaw", "Prague",
		"Athens", "Oslo", "Stockholm", "Helsinki", "Copenhagen", "Brussels", "Amsterdam", "Rotterdam", "Geneva", "Zurich",
		"New York", "Chicago", "Boston", "Seattle", "Toronto", "Sydney", "Tokyo", "Seoul", "Mumbai", "Nairobi", "Lagos", "Cairo"}
	for range 800 {
		a.orgs = append(a.orgs, title(word(r, 3))+" "+[]string{"Group", "Holdings", "Bank", "Foods", "Energy", "Motors", "Labs"}[r.IntN(7)])
	}
	// Clusters: sizes 1 to 40, mostly small (geometric, mean about 5).
	span := int64(a.Years) * 365 * 24 * 3600
	for i := 0; i < n; {
		size := 1 + int(math.Min(39, math.Floor(-math.Log(1-r.Float64())*4)))
		c := cluster{topic: r.IntN(topicCount), place: r.IntN(len(a.places)), org: r.IntN(len(a.orgs)),
			people: [2]int{r.IntN(len(a.people)), r.IntN(len(a.people))}, start: a.Start.Unix() + r.Int64N(span)}
		for range 8 {
			c.words = append(c.words, 5_000+r.IntN(vocabSize-5_000))
		}
		a.clusters = append(a.clusters, c)
		a.starts = append(a.starts, i)
		i += size
	}
	return a
}

// Story returns story i.
func (a *Archive) Story(i int) index.Doc {
	ci := sort.Search(len(a.starts), func(k int) bool { return a.starts[k] > i }) - 1
	c := &a.clusters[ci]
	r := rand.New(rand.NewPCG(a.Seed, uint64(i)+2))
	// About one story in fifty re-runs an earlier story of its cluster,
	// lightly edited: a near-duplicate.
	if j := a.starts[ci]; i > j && r.IntN(50) == 0 {
		d := a.Story(j + r.IntN(i-j))
		d.ID = fmt.Sprintf("s%07d", i)
		d.Body += " " + title(a.vocab[a.alias.sample(r)]) + " contributed reporting."
		d.PublishedAt = d.PublishedAt.Add(time.Duration(1+r.IntN(6)) * time.Hour)
		d.URL = "https://news.example/" + d.ID
		return d
	}
	var b strings.Builder
	sentence := func(words int) {
		for k := range words {
			var w string
			switch p := r.IntN(100); {
			case p < 55:
				w = a.vocab[a.alias.sample(r)]
			case p < 80:
				w = a.vocab[a.topics[c.topic][r.IntN(topicWords)]]
			case p < 92:
				w = a.vocab[c.words[r.IntN(len(c.words))]]
			case p < 96:
				w = a.people[c.people[r.IntN(2)]]
			case p < 98:
				w = a.places[c.place]
			default:
				w = a.orgs[c.org]
			}
			if k == 0 {
				w = title(w)
			} else {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
		b.WriteString(". ")
	}
	for range 3 + r.IntN(3) {
		b.WriteString(a.vocab[c.words[r.IntN(len(c.words))]] + " ")
	}
	headline := title(strings.TrimSpace(b.String())) + " in " + a.places[c.place]
	b.Reset()
	sentence(12 + r.IntN(8))
	dek := strings.TrimSpace(b.String())
	b.Reset()
	for range 8 + r.IntN(16) {
		sentence(10 + r.IntN(12))
	}
	id := fmt.Sprintf("s%07d", i)
	return index.Doc{
		ID:          id,
		Headline:    headline,
		Dek:         dek,
		Body:        strings.TrimSpace(b.String()),
		Tags:        []string{fmt.Sprintf("topic %d", c.topic)},
		URL:         "https://news.example/" + id,
		PublishedAt: time.Unix(c.start+r.Int64N(10*24*3600), 0).UTC(),
		Revision:    1,
	}
}

func word(r *rand.Rand, syllables int) string {
	const cons, vows = "bcdfghjklmnprstvwz", "aeiou"
	var b strings.Builder
	for range syllables {
		b.WriteByte(cons[r.IntN(len(cons))])
		b.WriteByte(vows[r.IntN(len(vows))])
		if r.IntN(3) == 0 {
			b.WriteByte(cons[r.IntN(len(cons))])
		}
	}
	return b.String()
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// aliasTable is Walker's alias method: O(1) sampling from a discrete
// distribution.
type aliasTable struct {
	prob  []float64
	alias []int32
}

func newAlias(w []float64) aliasTable {
	n := len(w)
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	t := aliasTable{prob: make([]float64, n), alias: make([]int32, n)}
	scaled := make([]float64, n)
	var small, large []int
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		t.prob[s], t.alias[s] = scaled[s], int32(l)
		scaled[l] += scaled[s] - 1
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(small, large...) {
		t.prob[i] = 1
	}
	return t
}

func (t *aliasTable) sample(r *rand.Rand) int {
	i := r.IntN(len(t.prob))
	if r.Float64() < t.prob[i] {
		return i
	}
	return int(t.alias[i])
}
