package benchtext

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Archive is a synthetic news archive: stories with a Zipfian vocabulary,
// grouped in story clusters (one event covered by several stories over a
// few days), each cluster on one of a few hundred topics, with people,
// places and organisations, and a few near-duplicate copies. Story i is a
// pure function of (seed, i), so stories can be generated in parallel and
// again later; the first k stories are the same whatever n is.
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

// Story is one generated story, without the identity (id, url, revision)
// its user gives it.
type Story struct {
	Headline    string
	Dek         string
	Body        string
	Tags        []string
	PublishedAt time.Time
	// Cluster is the story cluster (event) the story belongs to, Topic
	// that cluster's topic.
	Cluster, Topic int
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

// Clusters is how many story clusters the archive's n stories fall in.
func (a *Archive) Clusters() int { return len(a.clusters) }

// clusterOf is the index of the cluster story i belongs to.
func (a *Archive) clusterOf(i int) int {
	return sort.Search(len(a.starts), func(k int) bool { return a.starts[k] > i }) - 1
}

// Story returns story i.
func (a *Archive) Story(i int) Story {
	ci := a.clusterOf(i)
	c := &a.clusters[ci]
	r := rand.New(rand.NewPCG(a.Seed, uint64(i)+2))
	// About one story in fifty re-runs an earlier story of its cluster,
	// lightly edited: a near-duplicate.
	if j := a.starts[ci]; i > j && r.IntN(50) == 0 {
		d := a.Story(j + r.IntN(i-j))
		d.Body += " " + title(a.vocab[a.alias.sample(r)]) + " contributed reporting."
		d.PublishedAt = d.PublishedAt.Add(time.Duration(1+r.IntN(6)) * time.Hour)
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
	return Story{
		Headline:    headline,
		Dek:         dek,
		Body:        strings.TrimSpace(b.String()),
		Tags:        []string{topicTag(c.topic)},
		PublishedAt: time.Unix(c.start+r.Int64N(10*24*3600), 0).UTC(),
		Cluster:     ci,
		Topic:       c.topic,
	}
}

func topicTag(t int) string { return "topic " + strconv.Itoa(t) }

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
