package index

import (
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Config is how stories are indexed. It is fixed for the life of an index
// (a snapshot records it); how they are ranked is a Ranking, chosen per
// query.
type Config struct {
	// Field weights: a word in the headline says more about the topic
	// than one in the body. Each occurrence adds its field's weight to the
	// term's frequency.
	HeadlineWeight, DekWeight, SummaryWeight, BodyWeight, TagWeight int
	// Stem folds plurals onto the singular (Harman's S stemmer).
	Stem bool
	// SignatureTerms is how many of a story's terms, by tf-idf when it is
	// indexed, the index keeps to build the story's own query later.
	SignatureTerms int
	// LedeWords is how many of the body's first words are its lede: news
	// is written as an inverted pyramid, and its first sentence says what
	// the story is about. Each occurrence of a lede word adds LedeWeight
	// to its frequency on top of the body's weight, and the signature
	// marks the lede's terms (Ranking.NeighbourLedeWeight). 0: no lede.
	// A body of LedeWords words or fewer has no lede: all of it is its
	// first sentence.
	LedeWords, LedeWeight int
}

// DefaultConfig is the configuration the service uses.
func DefaultConfig() Config {
	return Config{HeadlineWeight: 3, DekWeight: 2, SummaryWeight: 1, BodyWeight: 1, TagWeight: 2, Stem: true, SignatureTerms: 40, LedeWords: 25, LedeWeight: 1}
}

// BaselineConfig is the analysis the plain BM25 baseline is measured
// with: DefaultConfig without the lede, as the skeleton indexed, so that
// the baseline stays plain BM25 MoreLikeThis and the lede's gain shows in
// the full ranking's figures, not in the baseline's.
func BaselineConfig() Config {
	c := DefaultConfig()
	c.LedeWords, c.LedeWeight = 0, 0
	return c
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.HeadlineWeight <= 0 && c.DekWeight <= 0 && c.SummaryWeight <= 0 && c.BodyWeight <= 0 {
		c.HeadlineWeight, c.DekWeight, c.SummaryWeight, c.BodyWeight, c.TagWeight, c.Stem = d.HeadlineWeight, d.DekWeight, d.SummaryWeight, d.BodyWeight, d.TagWeight, d.Stem
		c.LedeWords, c.LedeWeight = d.LedeWords, d.LedeWeight
	}
	if c.SignatureTerms <= 0 {
		c.SignatureTerms = d.SignatureTerms
	}
	return c
}

// Doc is a published story as the index takes it. Of what it gives, the
// index keeps only the terms, tags and entities it ranks by, and the ID,
// Headline, URL, PublishedAt and Revision it returns; Get and Hit carry
// only those.
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
	// Revision is the article revision indexed, kept for the caller.
	Revision int64
}

// Prepared is a story analysed for the index: the costly part of adding
// it, which needs no lock, so a bulk load can prepare stories in parallel
// and add them in order.
type Prepared struct {
	doc    Doc // ID, Headline, URL, PublishedAt, Revision
	terms  []string
	hashes []uint64
	tfs    []uint16
	// name[i]: terms[i] is a word of one of the story's named entities
	// (nil if it has none).
	name []bool
	// lede[i]: terms[i] is a word of the body's lede (nil if the body
	// has none).
	lede   []bool
	length uint32
	ents   []string // sorted, unique
	tags   []string // sorted, unique
	sim    uint64
	// Resolved against the index by Prepare, under its read lock (terms
	// are never removed, so an id found stays right):
	tids []uint32 // term ids, noTerm for terms new to the index
	sig  []int32  // the terms of the signature, by index
	warm uint32   // resolve's warming loads, kept so they are not optimised away
}

const noTerm = ^uint32(0)

// ID is the prepared story's id.
func (p *Prepared) ID() string { return p.doc.ID }

// analyzer holds the scratch space of one analysis.
type analyzer struct {
	words []word
	slots []int32 // open addressing over terms: index+1
	seq   []uint64
	ent   entityScratch
	// The story's distinct terms so far, copied to the Prepared at the
	// end, at their final size.
	terms  []string
	hashes []uint64
	tfs    []uint16
	lede   []bool // per term: in the body's lede
	length uint32
	ents   []string
}

var analyzers = sync.Pool{New: func() any { return &analyzer{slots: make([]int32, 1024)} }}

// prepare analyses d.
func prepare(cfg *Config, d Doc) *Prepared { return prepareIn(cfg, d, nil) }

// prepareIn is prepare taking the Prepared and its slices from sl (a bulk
// load's slab), if not nil.
func prepareIn(cfg *Config, d Doc, sl *slab) *Prepared {
	a := analyzers.Get().(*analyzer)
	defer analyzers.Put(a)
	clear(a.slots)
	a.seq = a.seq[:0]
	a.terms, a.hashes, a.tfs, a.lede, a.length = a.terms[:0], a.hashes[:0], a.tfs[:0], a.lede[:0], 0
	hasLede := false
	a.ent.reset()
	a.ent.sl = sl
	defer func() { a.ent.sl = nil }()
	p := sl.prepared()
	p.doc = Doc{ID: d.ID, Headline: d.Headline, URL: d.URL, PublishedAt: d.PublishedAt, Revision: d.Revision}
	for _, f := range [...]struct {
		text   string
		weight int
		lede   int // the field's first words that are the story's lede
	}{{d.Headline, cfg.HeadlineWeight, 0}, {d.Dek, cfg.DekWeight, 0}, {d.Summary, cfg.SummaryWeight, 0}, {d.Body, cfg.BodyWeight, cfg.LedeWords}} {
		if f.text == "" {
			continue
		}
		a.words = splitWordsIn(f.text, a.words[:0], sl)
		a.ent.field(a.words)
		if f.weight <= 0 {
			continue
		}
		// The lede is counted in words, stop words included: 25 are
		// about a news story's first sentence. A body no longer than
		// its lede has none: all of it is its first sentence, and
		// counting all of it twice would only weigh the body against
		// the headline, and make short briefs on one routine (a city's
		// event notes) near-identical, so that they vote for one
		// another in the neighbours' mean (TestRelatedRanksSameTopicAboveCommonWord).
		lede := f.lede
		if len(a.words) <= lede {
			lede = 0
		}
		for i := range a.words {
			w := &a.words[i]
			if w.stop {
				continue
			}
			t, h := w.term, w.hash
			if cfg.Stem {
				// The S stemmer only ever shortens a word.
				if st := stem(t); len(st) != len(t) {
					t, h = st, hashString(st)
				}
			}
			// A common news word (commonWords) is no term, but it is
			// part of the text that the SimHash fingerprints: two copies
			// of a story differ by a word or two, and every word kept
			// makes the shingles they share outnumber the ones they do
			// not.
			switch {
			case w.skip:
			case i < lede:
				j := a.count(t, h, f.weight+cfg.LedeWeight)
				a.lede[j] = true
				hasLede = true
			default:
				a.count(t, h, f.weight)
			}
			a.seq = append(a.seq, h)
		}
	}
	for _, tag := range d.Tags {
		// One split gives the tag's normal form (normName) and its
		// tokens (Tokens): a hyphen separates words as a space does.
		a.words = splitWordsIn(tag, a.words[:0], sl)
		if n := a.joinTerms(sl); n != "" && !slices.Contains(p.tags, n) {
			p.tags = append(p.tags, n)
		}
		if cfg.TagWeight <= 0 {
			continue
		}
		for i := range a.words {
			w := &a.words[i]
			if w.skip {
				continue
			}
			t, h := w.term, w.hash
			if cfg.Stem {
				if st := stem(t); len(st) != len(t) {
					t, h = st, hashString(st)
				}
			}
			a.count(t, h, cfg.TagWeight)
		}
	}
	p.terms = sl.strings(len(a.terms))
	copy(p.terms, a.terms)
	p.hashes = sl.uint64s(len(a.hashes))
	copy(p.hashes, a.hashes)
	p.tfs = sl.uint16s(len(a.tfs))
	copy(p.tfs, a.tfs)
	if hasLede {
		p.lede = sl.boolSlice(len(a.lede))
		copy(p.lede, a.lede)
	}
	p.length = a.length
	slices.Sort(p.tags)
	a.ents = a.ent.finish(a.ents[:0])
	p.ents = sl.strings(len(a.ents))
	copy(p.ents, a.ents)
	clear(a.ents) // the pool must not keep the story's names alive
	p.name = a.nameTerms(cfg, p.ents)
	p.sim = simhash(a.seq)
	return p
}

// joinTerms returns the terms of a.words joined by single spaces, as
// normName does, copied into sl.
func (a *analyzer) joinTerms(sl *slab) string {
	n := 0
	for i := range a.words {
		n += len(a.words[i].term) + 1
	}
	if n == 0 {
		return ""
	}
	b := sl.byteSlice(n - 1)[:0]
	for i := range a.words {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, a.words[i].term...)
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// nameTerms marks the story's terms that are words of its named
// entities (ents), which the ranking counts for less than its other
// words: a story's names (a company, a minister, a town) say which
// stories it shares a name with, its other words what it is about.
// It returns nil if no term is a name's.
func (a *analyzer) nameTerms(cfg *Config, ents []string) []bool {
	var name []bool
	for _, e := range ents {
		// A normalised name is its words' terms joined by single spaces.
		for len(e) > 0 {
			t, rest, _ := strings.Cut(e, " ")
			e = rest
			h := hashString(t)
			if _, skip := stopOf(t, h); skip {
				continue
			}
			if cfg.Stem {
				if st := stem(t); len(st) != len(t) {
					t, h = st, hashString(st)
				}
			}
			if i := a.find(t, h); i >= 0 {
				if name == nil {
					name = make([]bool, len(a.terms))
				}
				name[i] = true
			}
		}
	}
	return name
}

// find returns the index of term t (hash h) among the story's terms, -1
// if it has none.
func (a *analyzer) find(t string, h uint64) int {
	mask := uint64(len(a.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		v := a.slots[j]
		if v == 0 {
			return -1
		}
		if i := v - 1; a.hashes[i] == h && a.terms[i] == t {
			return int(i)
		}
	}
}

// count adds weight to term t's frequency and returns its index.
func (a *analyzer) count(t string, h uint64, weight int) int {
	a.length += uint32(weight)
	if len(a.terms)*2 >= len(a.slots) {
		a.slots = make([]int32, len(a.slots)*2)
		mask := uint64(len(a.slots) - 1)
		for i, h := range a.hashes {
			j := h & mask
			for a.slots[j] != 0 {
				j = (j + 1) & mask
			}
			a.slots[j] = int32(i + 1)
		}
	}
	mask := uint64(len(a.slots) - 1)
	j := h & mask
	for {
		v := a.slots[j]
		if v == 0 {
			break
		}
		if i := v - 1; a.hashes[i] == h && a.terms[i] == t {
			a.tfs[i] = uint16(min(int(a.tfs[i])+weight, 65535))
			return int(i)
		}
		j = (j + 1) & mask
	}
	a.slots[j] = int32(len(a.terms) + 1)
	a.terms = append(a.terms, t)
	a.hashes = append(a.hashes, h)
	a.tfs = append(a.tfs, uint16(min(weight, 65535)))
	a.lede = append(a.lede, false)
	return len(a.terms) - 1
}

// simhash is Charikar's SimHash of a story's word 3-shingles: stories
// that share most of their shingles get fingerprints a few bits apart.
func simhash(seq []uint64) uint64 {
	if len(seq) == 0 {
		return 0
	}
	var c bitCounts
	if len(seq) < 3 {
		for _, h := range seq {
			c.add(h)
		}
	} else {
		for i := 2; i < len(seq); i++ {
			c.add(mix(seq[i-2] ^ seq[i-1]<<21 ^ seq[i-1]>>43 ^ seq[i]<<42 ^ seq[i]>>22))
		}
	}
	return c.majority()
}

// bitCounts counts, for each of 64 bit positions, how many of the values
// added have that bit set. It adds eight bits at once: lane b holds eight
// byte-wide counters, of bits b, b+8, …, b+56, which are carried into
// 32-bit totals before they can overflow.
type bitCounts struct {
	lanes   [8]uint64
	pending int // values in the lanes
	n       int32
	bits    [64]int32
}

func (c *bitCounts) add(h uint64) {
	const ones = 0x0101010101010101
	// Unrolled: Go does not unroll the loop, and its counter and bound
	// cost as much as the adds.
	l := &c.lanes
	l[0] += h & ones
	l[1] += h >> 1 & ones
	l[2] += h >> 2 & ones
	l[3] += h >> 3 & ones
	l[4] += h >> 4 & ones
	l[5] += h >> 5 & ones
	l[6] += h >> 6 & ones
	l[7] += h >> 7 & ones
	c.n++
	if c.pending++; c.pending == 255 {
		c.carry()
	}
}

func (c *bitCounts) carry() {
	for b := range 8 {
		for k := range 8 {
			c.bits[8*k+b] += int32(c.lanes[b] >> (8 * k) & 0xff)
		}
		c.lanes[b] = 0
	}
	c.pending = 0
}

// majority returns the bits set in more than half of the values.
func (c *bitCounts) majority() uint64 {
	c.carry()
	var out uint64
	for b := range 64 {
		if c.bits[b]*2 > c.n {
			out |= 1 << b
		}
	}
	return out
}

// Entities returns the named entities the index finds in d, normalised,
// sorted: what stories are compared by besides their words and tags.
func Entities(d Doc) []string {
	cfg := DefaultConfig()
	return prepare(&cfg, d).ents
}
