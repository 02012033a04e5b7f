package index

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"
	"unsafe"
)

// Query asks for the stories most related to one story.
type Query struct {
	// ID is the story: an indexed one, whose query is built from the
	// terms the index kept of it, unless Doc is set. It is never a
	// candidate.
	ID string
	// Doc, if set, is the story's text, used instead (a draft, say; it
	// need not be indexed).
	Doc *Doc
	// K is how many stories to return.
	K int
	// Before, if set, limits the candidates to stories published strictly
	// before it...
	Before time.Time
	// ...and those in Allow, whenever they were published.
	Allow []string
	// Exclude are never candidates.
	Exclude []string
	// Only, if not nil, are the only candidates, whenever published
	// (Before does not apply to them; Exclude does): a box checked for
	// one new story ranks what it shows and that story, not the archive
	// again. A candidate that shares no query term with the story is
	// dropped, as the archive's search would never find it.
	Only []string
	// Ranking, if set, replaces the index's.
	Ranking *Ranking
}

// Hit is a related story and its score. Its Doc carries only what Get
// returns. Hits come best first: by score, and, with a ranking's
// Neighbours, by their likeness to the best hits too, so a hit may
// follow one that scores less.
type Hit struct {
	Doc   Doc
	Score float64
}

// Related returns up to k stories most related to d, best first, among
// those published strictly before before (any time if before is zero),
// never d itself. d need not be indexed: its text makes the query.
func (x *Index) Related(d Doc, k int, before time.Time) []Hit {
	return x.Search(Query{ID: d.ID, Doc: &d, K: k, Before: before})
}

// RelatedTo is Related for an indexed story, from the terms the index
// kept of it; it returns nil if id is not indexed.
func (x *Index) RelatedTo(id string, k int, before time.Time) []Hit {
	return x.Search(Query{ID: id, K: k, Before: before})
}

// Search answers q.
func (x *Index) Search(q Query) []Hit {
	if q.K <= 0 {
		return nil
	}
	r := x.ranking(q.Ranking)
	var p *Prepared
	if q.Doc != nil {
		p = x.Prepare(*q.Doc) // before taking the lock
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	var qq *query
	self, indexed := x.docOf(q.ID)
	switch {
	case p != nil:
		skip := int64(-1)
		if indexed {
			skip = int64(self)
		}
		qq = x.queryOfPrepared(p, &r, skip)
	case indexed:
		b := getQueryBuf()
		defer queryBufs.Put(b)
		qq = x.queryOfBuf(self, &r, b)
	default:
		return nil
	}
	f := filter{self: qq.doc, before: math.MaxInt64}
	if !q.Before.IsZero() {
		f.before = q.Before.UnixNano()
	}
	f.allow = x.docNums(q.Allow)
	f.exclude = x.docNums(q.Exclude)
	pool := q.K
	if r.reranks() {
		pool = max(q.K+8, r.Pool)
	}
	var only []uint32
	if q.Only != nil {
		only = x.docNums(q.Only)
	}
	find := func(qq *query) []cand {
		if q.Only != nil {
			return x.scoreOnly(qq, &f, only)
		}
		return x.candidates(qq, &f, pool)
	}
	top := x.rerank(qq, find(qq), q.K)
	if r.Feedback > 0 && len(top) > 0 {
		qq = x.expand(qq, top[:min(r.Feedback, len(top))])
		top = x.rerank(qq, find(qq), q.K)
	}
	return x.hits(top)
}

// scoreOnly is candidates for Query.Only: the documents docs that are
// live, not the story and not excluded, each with its BM25 score, those
// that share no query term dropped.
func (x *Index) scoreOnly(q *query, f *filter, docs []uint32) []cand {
	docs = slices.Compact(docs) // sorted by docNums
	cs := make([]cand, 0, len(docs))
	for _, d := range docs {
		if x.isDead(d) || int64(d) == f.self {
			continue
		}
		if _, out := slices.BinarySearch(f.exclude, d); out {
			continue
		}
		if raw := x.rawOne(q, d); raw > 0 {
			cs = append(cs, cand{doc: d, raw: raw, s1: raw})
		}
	}
	return cs
}

func (x *Index) ranking(r *Ranking) Ranking {
	if r == nil {
		r = &x.Ranking
		if x.QueryTerms > 0 {
			c := *r
			c.QueryTerms = x.QueryTerms
			r = &c
		}
	}
	return r.withDefaults()
}

func (x *Index) docNums(ids []string) []uint32 {
	var out []uint32
	for _, id := range ids {
		if d, ok := x.docOf(id); ok {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

func (x *Index) hits(cs []cand) []Hit {
	out := make([]Hit, len(cs))
	for i, c := range cs {
		out[i] = Hit{Doc: x.doc(c.doc), Score: c.score}
	}
	return out
}

// query is a story's query, ready to run.
type query struct {
	r     *Ranking
	terms []qterm
	self  float64 // the story's BM25 score against its own query
	ents  []feat
	tags  []feat
	entW  float64 // sum of the entities' idf
	tagW  float64
	pub   int64
	sim   uint64
	text  bool  // the story has text, so sim means something
	doc   int64 // the story's document number, -1 if not indexed
	avg   float64
}

type qterm struct {
	shared bool // other stories have it
	name   bool // a word of the story's named entities
	tid    uint32
	qtf    float64
	idf    float64
	score  float64
	w      float64 // boost × idf (× qtf^QueryTF, × NameWeight for a name's word)
	pw     float64 // w without QueryTF and NameWeight: what the pool is chosen by
}

type feat struct {
	id  uint32
	idf float64
}

// queryOf builds the query of indexed document doc from its signature.
func (x *Index) queryOf(doc uint32, r *Ranking) *query {
	return x.queryOfBuf(doc, r, nil)
}

// queryOfBuf is queryOf building the query in b (nil: afresh); the query
// is good until b builds the next one.
func (x *Index) queryOfBuf(doc uint32, r *Ranking, b *queryBuf) *query {
	q := b.query()
	*q = query{r: r, pub: x.dPub[doc], sim: x.dSim[doc], text: x.dLen[doc] > 0, doc: int64(doc)}
	tids, tf8 := x.signature(doc)
	tfs, name := b.sig(len(tf8))
	for i, f := range tf8 {
		tfs[i] = uint16(f & sigTF)
		name[i] = f&sigName != 0
	}
	x.selectTerms(q, tids, tfs, name, func(uint32) bool { return true }, x.dLen[doc], b)
	ents, tags := x.features(doc)
	q.ents, q.entW = x.featWeightsBuf(ents, b.feats(false, len(ents)), b)
	q.tags, q.tagW = x.featWeightsBuf(tags, b.feats(true, len(tags)), b)
	return q
}

// queryBuf is what building one query after another reuses: Backlinks
// builds one for each of its candidates, and allocating each afresh, and
// taking the logarithm of every term's document frequency again, was
// most of that work. The idf of a frequency is the same for every query
// built while the read lock is held (the number of live stories does not
// change), so it is computed once per frequency; and Backlinks scores one
// story against all those queries, whose terms are mostly the same, so
// the story's frequency of each term is looked up once. Search and
// Backlinks take theirs from queryBufs, so a query's terms are not
// allocated afresh. A nil queryBuf allocates and computes as usual.
type queryBuf struct {
	q          query
	all, cands []qterm
	tfs        []uint16
	name       []bool
	ents, tags []feat
	keys       []termKey
	idf        idfMemo
	tf         map[uint32]uint16 // the scored document's, by term (rawOneBuf)
}

// order returns room for the order of n terms (see sortByScore).
func (b *queryBuf) order(n int) []termKey {
	if b == nil {
		return make([]termKey, n)
	}
	if cap(b.keys) < n {
		b.keys = make([]termKey, n)
	}
	return b.keys[:n]
}

// queryBufs holds queryBufs between searches: a query's terms, built
// afresh, were the most memory a search allocated.
var queryBufs = sync.Pool{New: func() any { return new(queryBuf) }}

// getQueryBuf returns a queryBuf from queryBufs, remembering nothing of
// its last use (the idfs of another read lock, the frequencies of
// another document); it goes back with queryBufs.Put once the query it
// built is no longer used.
func getQueryBuf() *queryBuf {
	b := queryBufs.Get().(*queryBuf)
	clear(b.idf[:])
	clear(b.tf)
	return b
}

// tfOf is the frequency of term tid in document d, remembered.
func (b *queryBuf) tfOf(x *Index, tid, d uint32) uint16 {
	l := &x.post[tid] // in the cache: selectTerms has just read it
	// The list's last document (the story just published, mostly: the
	// lists of the stories indexed since do not have them all) or one
	// past it costs no decoding (plist.lastTF): remembering it would
	// cost more than looking it up.
	if b == nil || d >= l.last && (d > l.last || l.lastTF != 0) {
		return l.tfOf(d)
	}
	tf, ok := b.tf[tid]
	if !ok {
		if b.tf == nil {
			b.tf = make(map[uint32]uint16)
		}
		tf = l.tfOf(d)
		b.tf[tid] = tf
	}
	return tf
}

// idfMemoSize bounds the frequencies queryBuf remembers the idf of: a
// query's terms are mostly rare ones.
const idfMemoSize = 512

func (b *queryBuf) query() *query {
	if b == nil {
		return new(query)
	}
	return &b.q
}

func (b *queryBuf) sig(n int) ([]uint16, []bool) {
	if b == nil {
		return make([]uint16, n), make([]bool, n)
	}
	if cap(b.tfs) < n {
		b.tfs, b.name = make([]uint16, n), make([]bool, n)
	}
	return b.tfs[:n], b.name[:n]
}

// terms returns an empty slice of room n for a query's terms: the
// candidates' (cands) or all the story's.
func (b *queryBuf) terms(cands bool, n int) []qterm {
	if b == nil {
		return make([]qterm, 0, n)
	}
	p := &b.all
	if cands {
		p = &b.cands
	}
	if cap(*p) < n {
		*p = make([]qterm, 0, n)
	}
	return (*p)[:0]
}

// feats returns a slice of n features: the tags' (tags) or the entities'.
func (b *queryBuf) feats(tags bool, n int) []feat {
	if b == nil {
		return make([]feat, n)
	}
	p := &b.ents
	if tags {
		p = &b.tags
	}
	if cap(*p) < n {
		*p = make([]feat, n)
	}
	return (*p)[:n]
}

// idfOf is x.idf(df), remembered.
func (b *queryBuf) idfOf(x *Index, df int) float64 {
	if b == nil {
		return x.idf(df)
	}
	return b.idf.of(x, df)
}

// idfMemo remembers x.idf by document frequency while the read lock is
// held (the number of live stories, its other input, cannot change).
type idfMemo [idfMemoSize]float64 // 0: not computed yet

func (m *idfMemo) of(x *Index, df int) float64 {
	if df < 0 || df >= idfMemoSize {
		return x.idf(df)
	}
	v := m[df]
	if v == 0 {
		v = x.idf(df)
		m[df] = v // an idf of 0 (never seen) would only be computed again
	}
	return v
}

// queryOfPrepared builds the query of a story from its text. skip is the
// document number of an indexed version of it (-1 if none), which the
// terms' document frequencies must not count.
func (x *Index) queryOfPrepared(p *Prepared, r *Ranking, skip int64) *query {
	q := &query{r: r, pub: p.doc.PublishedAt.UnixNano(), sim: p.sim, text: p.length > 0, doc: skip}
	tids := make([]uint32, 0, len(p.terms))
	tfs := make([]uint16, 0, len(p.terms))
	name := make([]bool, 0, len(p.terms))
	for i, t := range p.terms {
		if tid, ok := x.terms.find(t, p.hashes[i]); ok && x.post[tid].n > 0 {
			tids = append(tids, tid)
			tfs = append(tfs, p.tfs[i])
			name = append(name, p.name != nil && p.name[i])
		}
	}
	x.selectTerms(q, tids, tfs, name, func(tid uint32) bool {
		return skip >= 0 && !x.isDead(uint32(skip)) && x.post[tid].tfOf(uint32(skip)) > 0
	}, p.length, nil)
	var ids []uint32
	for _, e := range p.ents {
		if f, ok := x.feats.lookup(e); ok {
			ids = append(ids, f)
		}
	}
	slices.Sort(ids)
	q.ents, q.entW = x.featWeights(ids)
	ids = nil
	for _, t := range p.tags {
		if f, ok := x.feats.lookup("#" + t); ok {
			ids = append(ids, f)
		}
	}
	slices.Sort(ids)
	q.tags, q.tagW = x.featWeights(ids)
	return q
}

func (x *Index) featWeights(ids []uint32) ([]feat, float64) {
	return x.featWeightsBuf(ids, make([]feat, len(ids)), nil)
}

// featWeightsBuf is featWeights into out (of ids' length), with b's idfs.
func (x *Index) featWeightsBuf(ids []uint32, out []feat, b *queryBuf) ([]feat, float64) {
	sum := 0.0
	for i, id := range ids {
		w := b.idfOf(x, int(x.featDF[id]))
		out[i] = feat{id, w}
		sum += w
	}
	return out, sum
}

// selectTerms picks the query's terms among the story's (tids, with
// frequencies tfs; name[i] if tids[i] is a word of its named entities)
// as MoreLikeThis does. own reports whether the story's indexed copy has
// the term, so its document frequency counts it. b, if not nil, holds the
// query's terms (see queryBuf).
func (x *Index) selectTerms(q *query, tids []uint32, tfs []uint16, name []bool, own func(uint32) bool, selfLen uint32, b *queryBuf) {
	r := q.r
	if x.live == 0 {
		return
	}
	n := float64(x.live)
	q.avg = max(float64(x.totalLen)/n, 1)
	// The story's own score, which normalises the candidates', counts
	// the terms no other story has too: a candidate that shares little of
	// what makes the story the story scores low, however small the
	// archive.
	all := b.terms(false, len(tids))
	for i, tid := range tids {
		if x.post[tid].n == 0 || int(tfs[i]) < r.MinTF || !r.Numbers && x.isDigits(tid) {
			continue
		}
		df := x.df(tid)
		others := df
		if own(tid) {
			others--
		}
		if r.MaxDF > 0 && float64(others) > max(r.MaxDF*n, minMaxDF) {
			continue
		}
		idf := b.idfOf(x, max(df, 1))
		tf := float64(tfs[i])
		all = append(all, qterm{tid: tid, qtf: tf, idf: idf, score: tf * idf, shared: others >= r.MinShared, name: name[i]})
	}
	order := sortByScore(all, b.order(len(all)))
	if len(all) == 0 || all[order[0].i].score <= 0 {
		return
	}
	top := all[order[0].i].score
	selfNorm := r.K1 * (1 - r.B + r.B*float64(selfLen)/q.avg)
	cands := b.terms(true, r.QueryTerms)
	for i, o := range order {
		if i >= r.QueryTerms && len(cands) == r.QueryTerms {
			break // nothing left to add to the score or the terms
		}
		c := all[o.i]
		c.w = r.Weight.of(c.idf, c.score/top)
		c.pw = c.w
		if r.QueryTF > 0 {
			c.w *= math.Pow(c.qtf, r.QueryTF)
		}
		if c.name && r.NameWeight > 0 {
			c.w *= r.NameWeight
		}
		if i < r.QueryTerms {
			q.self += c.w * c.qtf * (r.K1 + 1) / (c.qtf + selfNorm)
		}
		if c.shared && len(cands) < r.QueryTerms {
			cands = append(cands, c)
		}
	}
	q.terms = cands
}

// sortByScore returns the order of a query's terms, best first: by
// score, then by term id (each term is there once, so the order is total
// and any sort gives it), in keys (room for len(ts)). A story's
// signature, forty terms, is ordered for every query built from it,
// fifty a Backlinks query: an insertion sort whose comparison is inlined
// takes a fraction of the general sort's time, spent mostly calling its
// comparison function, and it moves keys of a third of a term's size; a
// long list of terms (a query from a story's text) takes the general
// sort.
func sortByScore(ts []qterm, keys []termKey) []termKey {
	keys = keys[:len(ts)]
	for i := range ts {
		keys[i] = termKey{score: ts[i].score, tid: ts[i].tid, i: uint32(i)}
	}
	if len(keys) > 64 {
		slices.SortFunc(keys, func(a, b termKey) int {
			if c := cmp.Compare(b.score, a.score); c != 0 {
				return c
			}
			return cmp.Compare(a.tid, b.tid)
		})
		return keys
	}
	before := func(a, b *termKey) bool { return a.score > b.score || a.score == b.score && a.tid < b.tid }
	for i := 1; i < len(keys); i++ {
		if !before(&keys[i], &keys[i-1]) {
			continue
		}
		t := keys[i]
		j := i
		for ; j > 0 && before(&t, &keys[j-1]); j-- {
			keys[j] = keys[j-1]
		}
		keys[j] = t
	}
	return keys
}

// termKey is what sortByScore orders a query's term ts[i] by.
type termKey struct {
	score float64
	tid   uint32
	i     uint32
}

// minMaxDF keeps MaxDF from dropping the words of a small archive, where
// every story on a topic is a good share of all.
const minMaxDF = 20

// expand adds to q the terms that the feedback stories fb (the best
// first-pass candidates, best first) have most, as relevance feedback
// does: a story's neighbours say what its topic is better than its own
// rarest words.
func (x *Index) expand(q *query, fb []cand) *query {
	r := q.r
	ew := map[uint32]float64{}
	for _, c := range fb {
		if fb[0].score <= 0 {
			break
		}
		rel := c.score / fb[0].score
		tids, tfs := x.signature(c.doc)
		for i, tid := range tids {
			ew[tid] += rel * float64(tfs[i]&sigTF) / float64(max(x.dLen[c.doc], 1))
		}
	}
	in := map[uint32]int{}
	for i, t := range q.terms {
		in[t.tid] = i
	}
	n := float64(x.live)
	var add []qterm
	for tid, w := range ew {
		if _, ok := in[tid]; ok || !r.Numbers && x.isDigits(tid) {
			continue
		}
		df := x.df(tid)
		if df-1 < r.MinShared || r.MaxDF > 0 && float64(df) > max(r.MaxDF*n, minMaxDF) {
			continue
		}
		idf := x.idf(df)
		add = append(add, qterm{tid: tid, idf: idf, score: w * idf})
	}
	slices.SortFunc(add, func(a, b qterm) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.tid, b.tid)
	})
	add = add[:min(len(add), r.FeedbackTerms)]
	nq := *q
	nq.terms = slices.Clone(q.terms)
	if len(add) == 0 {
		return &nq
	}
	top := add[0].score
	for _, t := range add {
		t.w = r.FeedbackWeight * r.Weight.of(t.idf, t.score/top) * (t.score / top)
		t.pw = t.w
		nq.terms = append(nq.terms, t)
	}
	return &nq
}

// filter says which documents are candidates.
type filter struct {
	self    int64
	before  int64
	allow   []uint32
	exclude []uint32
}

func (x *Index) eligible(d uint32, f *filter) bool {
	if x.isDead(d) || int64(d) == f.self {
		return false
	}
	if len(f.exclude) > 0 {
		if _, found := slices.BinarySearch(f.exclude, d); found {
			return false
		}
	}
	if x.dPub[d] < f.before {
		return true
	}
	_, found := slices.BinarySearch(f.allow, d)
	return found
}

// cand is a candidate and its scores.
type cand struct {
	doc   uint32
	raw   float64 // BM25
	s1    float64 // BM25 × decay: what the pool is chosen by
	score float64 // final
	key   float64 // what the final order is by: score, plus the neighbours' say
}

// candScratch is the scratch space of candidates, reused from query to
// query: a query's lists and their bounds.
type candScratch struct {
	cs              []scan
	prefix, minNorm []float64
}

var scanPool = sync.Pool{New: func() any { return new(candScratch) }}

// candidates returns the pool best documents by BM25 (times the recency
// decay, if the ranking has one), in no order. It is MaxScore (Turtle and
// Flood): the query's lists are sorted by their score upper bound; once
// the pool is full, the lists whose upper bounds together cannot lift a
// document above the pool's worst are "non-essential": documents are
// taken only from the other lists, and the non-essential ones are probed
// by skipping, best first, only while the document can still make it.
func (x *Index) candidates(q *query, f *filter, pool int) []cand {
	if len(q.terms) == 0 || pool <= 0 {
		return nil
	}
	r := q.r
	sc := scanPool.Get().(*candScratch)
	defer scanPool.Put(sc)
	if cap(sc.cs) < len(q.terms) {
		n := len(q.terms)
		sc.cs, sc.prefix, sc.minNorm = make([]scan, n), make([]float64, n), make([]float64, n)
	}
	cs := sc.cs[:len(q.terms)]
	for i, t := range q.terms {
		c := &cs[i]
		l := &x.post[t.tid]
		c.init(l)
		c.w, c.fw = t.pw, t.w
		maxTF := float64(l.maxTF)
		c.ub = t.pw * maxTF * (r.K1 + 1) / (maxTF + r.K1*(1-r.B+r.B*float64(l.minLen)/q.avg))
	}
	// Probe-only lists first, then by upper bound; the essential lists
	// start after the probe-only ones.
	common := uint32(math.MaxUint32)
	if r.CommonPostings > 0 {
		common = uint32(r.CommonPostings)
	}
	slices.SortFunc(cs, func(a, b scan) int {
		ac, bc := a.l.n > common, b.l.n > common
		if ac != bc {
			if ac {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.ub, b.ub)
	})
	forced := 0
	for forced < len(cs) && cs[forced].l.n > common {
		forced++
	}
	if forced == len(cs) {
		forced = 0 // all common: nothing would be found
	}
	prefix := sc.prefix[:len(cs)]
	sum := 0.0
	for i := range cs {
		sum += cs[i].ub
		prefix[i] = sum
	}
	decay := r.HalfLife > 0
	k1, b, avg := r.K1, r.B, q.avg
	// minNorm is BM25's length normalisation for each list's shortest
	// story: with the frequency at hand, it bounds what the list can add.
	minNorm := sc.minNorm[:len(cs)]
	for i := range cs {
		minNorm[i] = k1 * (1 - b + b*float64(cs[i].l.minLen)/avg)
	}
	h := make(candHeap, 0, pool+1)
	theta := math.Inf(-1)
	ess := forced
	// The essential lists are merged (merger: sorted, or through a heap
	// on their current documents): a long query's documents are mostly
	// in one or two of its lists, and scanning every list for each would
	// cost more than the scoring.
	bufs := mergePool.Get().(*mergeBufs)
	defer mergePool.Put(bufs)
	m := merger{dPub: x.dPub, dLen: x.dLen}
	m.init(cs, ess, bufs)
	defer m.keep(bufs)
	for {
		d, ok := m.next()
		if !ok {
			break
		}
		at, tfs := m.at, m.tfs
		full := len(h) >= pool
		skip := false
		if full {
			// A bound from the lists alone, with the frequencies at
			// hand, first: most documents of a long query's lists
			// cannot make the pool, and the story's length, date and
			// liveness are a cache miss each.
			bound := 0.0
			if ess > 0 {
				bound = prefix[ess-1]
			}
			for k, i := range at {
				tf := float64(tfs[k])
				bound += cs[i].w * tf * (k1 + 1) / (tf + minNorm[i])
			}
			skip = bound <= theta
		}
		if !skip {
			skip = !x.eligible(d, f)
		}
		if skip {
			m.advance()
			continue
		}
		norm := k1 * (1 - b + b*float64(x.dLen[d])/avg)
		s, sf := 0.0, 0.0
		for k, i := range at {
			tf := float64(tfs[k])
			f := tf * (k1 + 1) / (tf + norm)
			s += cs[i].w * f
			sf += cs[i].fw * f
		}
		m.advance()
		// The decay is at most 1: only a document that could make the
		// pool without it is worth computing it for.
		if full && ess > 0 && s+prefix[ess-1] <= theta || full && ess == 0 && s <= theta {
			continue
		}
		dec := 1.0
		if decay {
			dt := x.dPub[d] - q.pub
			// A bound first: if the document cannot make the pool at
			// it, it cannot at the decay itself, dropped below all the
			// same.
			if full {
				ub := r.decayBound(dt)
				if ess > 0 && (s+prefix[ess-1])*ub <= theta || ess == 0 && s*ub <= theta {
					continue
				}
			}
			dec = r.decay(dt)
		}
		pruned := false
		for i := ess - 1; i >= 0; i-- {
			if full && (s+prefix[i])*dec <= theta {
				pruned = true
				break
			}
			c := &cs[i]
			c.seek(d)
			if c.doc == d {
				tf := float64(c.tf)
				f := tf * (k1 + 1) / (tf + norm)
				s += c.w * f
				sf += c.fw * f
			}
		}
		if pruned {
			continue
		}
		if s1 := s * dec; !full || s1 > theta {
			h.push(cand{doc: d, raw: sf, s1: s1})
			if len(h) > pool {
				h.pop()
			}
			if len(h) >= pool {
				theta = h[0].s1
				was := ess
				for ess < len(cs) && prefix[ess] <= theta {
					ess++
				}
				ess = max(ess, forced)
				if ess != was {
					m.reset(ess)
				}
			}
		}
	}
	return h
}

// rerank scores the candidates with the full ranking, sorts them and
// keeps the best k, collapsing near-duplicates.
func (x *Index) rerank(q *query, cs []cand, k int) []cand {
	r := q.r
	for i := range cs {
		cs[i].score = x.final(q, cs[i].doc, cs[i].raw)
		cs[i].key = cs[i].score
	}
	x.sortCands(cs)
	if r.Neighbours > 0 && r.NeighbourWeight != 0 && len(cs) > 1 {
		x.neighbours(q, cs)
		x.sortCands(cs)
	}
	if r.NearDup <= 0 {
		return cs[:min(k, len(cs))]
	}
	out := cs[:0]
	for _, c := range cs {
		if len(out) == k {
			break
		}
		sim := x.dSim[c.doc]
		dup := q.text && x.dLen[c.doc] > 0 && hamming(sim, q.sim) <= r.NearDup
		for _, o := range out {
			dup = dup || hamming(sim, x.dSim[o.doc]) <= r.NearDup
		}
		if !dup {
			out = append(out, c)
		}
	}
	return out
}

// neighbours adds to the keys of cs, sorted best first, their mean
// cosine with the best r.Neighbours of them (other than themselves). It
// orders the candidates but leaves their scores alone: a score stays
// what one story's query makes of another, which Score and Backlinks
// compute alike, and comparable with the story's best match.
func (x *Index) neighbours(q *query, cs []cand) {
	r := q.r
	nb := nearPool.Get().(*near)
	defer nearPool.Put(nb)
	x.prefetchVecs(cs)
	vs := nb.vs[:0]
	buf := nb.buf[:0]
	var idf idfMemo
	for i := range cs {
		start := len(buf)
		buf = x.appendDocVec(buf, cs[i].doc, r.NeighbourNameWeight, r.NeighbourLedeWeight, &idf)
		vs = append(vs, buf[start:len(buf):len(buf)])
	}
	nb.vs, nb.buf = vs, buf
	m := min(r.Neighbours, len(cs))
	// The best m in a table, so that each candidate's cosines with them
	// all are one pass over its vector (vecTable).
	nb.t.build(vs[:m])
	dots := nb.dots[:0]
	for range m {
		dots = append(dots, 0)
	}
	nb.dots = dots
	for i := range cs {
		nb.t.dots(vs[i], dots)
		sum, n := 0.0, 0
		for j := range m {
			if j != i {
				sum += dots[j]
				n++
			}
		}
		if n > 0 {
			cs[i].key += r.NeighbourWeight * sum / float64(n)
		}
	}
}

// prefetchVecs asks for what appendDocVec reads of the candidates
// (their signatures, then their terms' posting list headers, for the
// document frequencies), all of them before it reads any: in a large
// index each is a cache miss, and one candidate's forty terms' misses,
// taken one after another, were most of the neighbours' time. Each step
// waits only for the one before: all candidates' misses of a step are
// in flight at once.
func (x *Index) prefetchVecs(cs []cand) {
	for i := range cs {
		prefetch(unsafe.Pointer(&x.dSig[cs[i].doc]))
	}
	for i := range cs {
		o := x.dSig[cs[i].doc]
		prefetch(unsafe.Pointer(&x.sigT[o]))
		prefetch(unsafe.Pointer(&x.sigF[o]))
	}
	for i := range cs {
		tids, _ := x.signature(cs[i].doc)
		for _, tid := range tids {
			prefetch(unsafe.Pointer(&x.post[tid]))
		}
	}
}

// near is the scratch space of neighbours, reused from query to query.
type near struct {
	vs   []vec
	buf  vec
	t    vecTable
	dots []float64
}

var nearPool = sync.Pool{New: func() any { return new(near) }}

// sortCands sorts candidates best first, by key.
func (x *Index) sortCands(cs []cand) {
	slices.SortFunc(cs, func(a, b cand) int {
		if c := cmp.Compare(b.key, a.key); c != 0 {
			return c
		}
		// Ties: the more recent story, then the id, so results are stable.
		if c := cmp.Compare(x.dPub[b.doc], x.dPub[a.doc]); c != 0 {
			return c
		}
		return cmp.Compare(string(x.keys.bytes(x.dKey[a.doc])), string(x.keys.bytes(x.dKey[b.doc])))
	})
}

// final is a candidate's score from its BM25 score raw.
func (x *Index) final(q *query, d uint32, raw float64) float64 {
	r := q.r
	if !r.reranks() {
		return raw
	}
	s := raw
	if r.Normalize {
		if q.self <= 0 {
			return 0
		}
		s = raw / q.self
	}
	if r.Entities != 0 || r.Tags != 0 {
		ents, tags := x.features(d)
		s += r.Entities*overlap(q.ents, q.entW, ents) + r.Tags*overlap(q.tags, q.tagW, tags)
	}
	return s * r.decay(x.dPub[d]-q.pub)
}

// overlap is the share, by idf, of the query's features that have (sorted)
// has.
func overlap(q []feat, total float64, has []uint32) float64 {
	if total <= 0 || len(has) == 0 {
		return 0
	}
	shared, j := 0.0, 0
	for _, f := range q {
		for j < len(has) && has[j] < f.id {
			j++
		}
		if j == len(has) {
			break
		}
		if has[j] == f.id {
			shared += f.idf
		}
	}
	return shared / total
}

// scoreOne is document d's final score against q.
func (x *Index) scoreOne(q *query, d uint32) float64 {
	return x.scoreOneBuf(q, d, nil)
}

// scoreOneBuf is scoreOne, looking d's term frequencies up through b
// (see rawOneBuf).
func (x *Index) scoreOneBuf(q *query, d uint32, b *queryBuf) float64 {
	raw := x.rawOneBuf(q, d, b)
	if raw == 0 {
		return 0
	}
	return x.final(q, d, raw)
}

// rawOne is document d's BM25 score against q.
func (x *Index) rawOne(q *query, d uint32) float64 {
	return x.rawOneBuf(q, d, nil)
}

// rawOneBuf is rawOne; b, if not nil, remembers d's frequency of each
// term looked up, for the next query scoring d (b must score no other
// document): Backlinks scores one story against the queries of stories
// on its subject, which share most of their terms, and finding a term in
// a posting list means decoding a block of it (but for a list's last
// document: see queryBuf.tfOf).
func (x *Index) rawOneBuf(q *query, d uint32, b *queryBuf) float64 {
	r := q.r
	norm := r.K1 * (1 - r.B + r.B*float64(x.dLen[d])/q.avg)
	raw := 0.0
	for _, t := range q.terms {
		if tf := float64(b.tfOf(x, t.tid, d)); tf > 0 {
			raw += t.w * tf * (r.K1 + 1) / (tf + norm)
		}
	}
	return raw
}

// Backlinks looks the other way: for the indexed story id, it finds up
// to m other stories, published at any time, that its own query ranks
// highest, and scores id against each of *their* queries, as their
// Related News boxes would score it (ranking r, the index's if nil). A
// story whose box's weakest entry scores lower should show id. Best
// first.
func (x *Index) Backlinks(id string, m int, r *Ranking) []Hit {
	rk := x.ranking(r)
	x.mu.RLock()
	defer x.mu.RUnlock()
	doc, ok := x.docOf(id)
	if !ok || m <= 0 {
		return nil
	}
	qb := getQueryBuf()
	defer queryBufs.Put(qb)
	q := x.queryOfBuf(doc, &rk, qb)
	f := filter{self: int64(doc), before: math.MaxInt64}
	cs := x.candidates(q, &f, max(m, rk.Pool))
	for i := range cs {
		cs[i].score = x.final(q, cs[i].doc, cs[i].raw)
	}
	slices.SortFunc(cs, func(a, b cand) int { return cmp.Compare(b.score, a.score) })
	cs = cs[:min(m, len(cs))]
	b := getQueryBuf()
	defer queryBufs.Put(b)
	// Each candidate's query is built from its signature and its terms'
	// document frequencies, as the neighbours' vectors are.
	x.prefetchVecs(cs)
	for i := range cs {
		cs[i].score = x.scoreOneBuf(x.queryOfBuf(cs[i].doc, &rk, b), doc, b)
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.doc, b.doc)
	})
	return x.hits(cs)
}

// Score is how story id scores as a related story of story of (with
// ranking r, the index's if nil): the score it would have in of's box.
// It is 0 if either is not indexed or they share no query term.
func (x *Index) Score(of, id string, r *Ranking) float64 {
	rk := x.ranking(r)
	x.mu.RLock()
	defer x.mu.RUnlock()
	a, ok1 := x.docOf(of)
	b, ok2 := x.docOf(id)
	if !ok1 || !ok2 || a == b {
		return 0
	}
	return x.scoreOne(x.queryOf(a, &rk), b)
}

// candHeap is a min-heap of candidates by s1.
type candHeap []cand

func (h *candHeap) push(c cand) {
	*h = append(*h, c)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(s[i], s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *candHeap) pop() {
	s := *h
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && less(s[r], s[l]) {
			m = r
		}
		if !less(s[m], s[i]) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
}

func less(a, b cand) bool {
	if a.s1 != b.s1 {
		return a.s1 < b.s1
	}
	return a.doc < b.doc
}
