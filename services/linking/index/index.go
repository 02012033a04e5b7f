package index

import (
	"math"
	"math/bits"
	"slices"
	"sync"
	"time"
)

// Index is an in-memory index of published stories, safe for concurrent
// use. Every story gets a document number in the order it is added; a
// story added again gets a new one and its old number is marked dead
// (its postings are dropped by the next compaction).
//
// Memory is kept near what the data needs, for a million stories and
// more: postings are delta- and varint-coded in blocks of 128 with a skip
// entry per block; terms, document ids and entities are interned in byte
// arenas; per-story data lives in parallel pointer-free slices indexed by
// document number (no map or pointer per story).
type Index struct {
	// Ranking is what Related, RelatedTo and a Query without a Ranking
	// use (Full unless set).
	Ranking Ranking
	// QueryTerms, if positive, overrides Ranking.QueryTerms (kept for the
	// service's configuration).
	QueryTerms int

	cfg Config

	mu    sync.RWMutex
	terms interner
	post  []plist
	// digits has bit tid set if term tid is a bare number, which a
	// query leaves out (Ranking.Numbers): asked of every signature term
	// of every query built, about 54 a story published, looking at the
	// term's text each time was a sixth of building a query.
	digits []uint64
	feats  interner
	featDF []uint32
	keys   interner
	keyDoc []int32  // key → document number, -1 if not indexed
	keySeq []uint64 // key → sequence of the last change applied

	// Per document number.
	dKey  []uint32
	dPub  []int64 // unix nanoseconds
	dLen  []uint32
	dSim  []uint64
	dRev  []int64
	dMeta []uint32 // offset in meta: headline and url
	dFeat []uint32 // offset in featA: entity count, tag count, entities, tags
	dSig  []uint32 // offset in sigT and sigF: count, then terms
	dNT   []uint32 // distinct terms, i.e. postings
	dead  []uint64 // bit set

	meta  []byte
	featA []uint32
	sigT  []uint32
	sigF  []uint8 // frequency (to 63) | sigLede | sigName

	live         int
	totalLen     uint64 // of live stories
	postings     uint64 // in the lists, dead ones included
	deadPostings uint64
}

// New returns an empty index with the default configuration.
func New() *Index { return NewWith(Config{}) }

// NewWith returns an empty index configured by cfg (zero fields take the
// defaults).
func NewWith(cfg Config) *Index {
	return &Index{cfg: cfg.withDefaults(), Ranking: Full}
}

// Config returns how the index analyses stories.
func (x *Index) Config() Config { return x.cfg }

// Prepare analyses d for PutPrepared: the costly part of adding a story,
// which holds only the read lock, so stories can be prepared in
// parallel. It looks the terms up and picks the signature (the terms
// with the highest tf-idf as of now, from which the story's own query is
// built later).
func (x *Index) Prepare(d Doc) *Prepared {
	p := prepare(&x.cfg, d)
	x.mu.RLock()
	defer x.mu.RUnlock()
	x.resolve(p, nil, nil, nil)
	return p
}

// resolve looks p's terms up and picks its signature. The caller holds
// the read lock. idfs, if not nil, caches idfs by document frequency
// while the lock is held (the idf depends on it and the number of
// stories only); 0 is an empty entry.
//
// scratch, if not nil, is reused for the scores (a bulk load resolves a
// million stories), and sl, if not nil, gives the term ids and the
// signature, as it gave the rest of p.
func (x *Index) resolve(p *Prepared, idfs []float64, scratch *[]sigEntry, sl *slab) {
	p.tids = sl.uint32s(len(p.terms))
	x.terms.findAll(p.terms, p.hashes, p.tids)
	var s []sigEntry
	if scratch != nil && cap(*scratch) >= len(p.terms) {
		s = (*scratch)[:len(p.terms)]
	} else {
		s = make([]sigEntry, len(p.terms))
		if scratch != nil {
			*scratch = s
		}
	}
	// Read every known term's list header first, as findAll reads the
	// table: independent loads, their cache misses overlapped.
	var warm uint32
	for _, tid := range p.tids {
		if tid != noTerm {
			warm += x.post[tid].n
		}
	}
	p.warm = warm
	for i, tid := range p.tids {
		df := 1
		if tid != noTerm {
			df += int(x.post[tid].n)
		}
		var idf float64
		if df < len(idfs) {
			if idf = idfs[df]; idf == 0 {
				idf = x.idfOf(df, x.live+1)
				idfs[df] = idf
			}
		} else {
			idf = x.idfOf(df, x.live+1)
		}
		s[i] = sigEntry{int32(i), p.tfs[i], float64(p.tfs[i]) * idf}
	}
	s = topSignature(s, x.cfg.SignatureTerms, wordsFirst(s, p.terms))
	p.sig = sl.int32s(len(s))
	for i, e := range s {
		p.sig[i] = e.i
	}
}

// Add indexes d, replacing any earlier version of it.
func (x *Index) Add(d Doc) { x.PutPrepared(x.Prepare(d), 0) }

// Put indexes d as the change at sequence seq (a KV revision, say),
// unless a change to d.ID at seq or later was applied already (then it
// returns false). Seq 0 always applies and is not remembered.
func (x *Index) Put(d Doc, seq uint64) bool { return x.PutPrepared(x.Prepare(d), seq) }

// Remove drops the story with id, if indexed.
func (x *Index) Remove(id string) { x.Delete(id, 0) }

// Delete drops the story with id as the change at sequence seq, unless a
// change at seq or later was applied already (then it returns false).
// Seq 0 always applies. The sequence is remembered even though the story
// is gone, so a late copy of an older put cannot bring it back.
func (x *Index) Delete(id string, seq uint64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	key := x.key(id)
	if seq != 0 {
		if seq <= x.keySeq[key] {
			return false
		}
		x.keySeq[key] = seq
	}
	if d := x.keyDoc[key]; d >= 0 {
		x.kill(uint32(d))
		x.keyDoc[key] = -1
		x.maybeCompact()
	}
	return true
}

// Seq returns the sequence of the last change applied to id (0 if none).
func (x *Index) Seq(id string) uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if k, ok := x.keys.lookup(id); ok {
		return x.keySeq[k]
	}
	return 0
}

// key interns a story id. The caller holds the write lock.
func (x *Index) key(id string) uint32 { return x.newKey(x.keys.intern(id, hashString(id))) }

// newKey makes room in the per-key slices for key k if it is new.
func (x *Index) newKey(k uint32) uint32 {
	if int(k) == len(x.keyDoc) {
		x.keyDoc = append(x.keyDoc, -1)
		x.keySeq = append(x.keySeq, 0)
	}
	return k
}

// PutPrepared is Put for a story already prepared.
func (x *Index) PutPrepared(p *Prepared, seq uint64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.put(p, seq)
}

// put is PutPrepared under the write lock.
func (x *Index) put(p *Prepared, seq uint64) bool {
	doc, ok := x.place(p, seq)
	if !ok {
		return false
	}
	for i, tid := range p.tids {
		x.post[tid].add(doc, p.tfs[i], p.length)
	}
	x.maybeCompact()
	return true
}

// place gives a prepared story its document number and stores all of it
// but its postings, which the caller appends: its terms get their ids
// (p.tids) and posting lists. It returns false if seq is stale.
func (x *Index) place(p *Prepared, seq uint64) (uint32, bool) {
	return x.placeAt(p, seq, x.key(p.doc.ID))
}

// placeAt is place for a story whose id has key key (see Index.key).
func (x *Index) placeAt(p *Prepared, seq uint64, key uint32) (uint32, bool) {
	if seq != 0 {
		if seq <= x.keySeq[key] {
			return 0, false
		}
		x.keySeq[key] = seq
	}
	if old := x.keyDoc[key]; old >= 0 {
		x.kill(uint32(old))
	}
	doc := uint32(len(x.dKey))
	x.keyDoc[key] = int32(doc)
	x.dKey = append(x.dKey, key)
	x.dPub = append(x.dPub, p.doc.PublishedAt.UnixNano())
	x.dLen = append(x.dLen, p.length)
	x.dSim = append(x.dSim, p.sim)
	x.dRev = append(x.dRev, p.doc.Revision)
	x.dNT = append(x.dNT, uint32(len(p.terms)))
	if int(doc/64) >= len(x.dead) {
		x.dead = append(x.dead, 0)
	}
	x.dMeta = append(x.dMeta, uint32(len(x.meta)))
	x.meta = appendString(x.meta, p.doc.Headline)
	x.meta = appendString(x.meta, p.doc.URL)

	// Terms new to the index get their ids and (empty) posting lists.
	tids := p.tids
	if tids == nil {
		panic("index: PutPrepared of a story not prepared by this index")
	}
	for i, t := range p.terms {
		if tids[i] == noTerm {
			tid := x.terms.intern(t, p.hashes[i])
			tids[i] = tid
			if int(tid) == len(x.post) {
				x.post = append(x.post, plist{})
				x.markDigits(tid, t)
			}
		}
	}
	x.postings += uint64(len(p.terms))
	x.live++
	x.totalLen += uint64(p.length)
	x.dSig = append(x.dSig, uint32(len(x.sigT)))
	x.sigT = append(x.sigT, uint32(len(p.sig)))
	x.sigF = append(x.sigF, 0)
	for _, i := range p.sig {
		x.sigT = append(x.sigT, tids[i])
		f := uint8(min(p.tfs[i], sigTF))
		if p.name != nil && p.name[i] {
			f |= sigName
		}
		if p.lede != nil && p.lede[i] {
			f |= sigLede
		}
		x.sigF = append(x.sigF, f)
	}

	x.dFeat = append(x.dFeat, uint32(len(x.featA)))
	x.featA = append(x.featA, uint32(len(p.ents)), uint32(len(p.tags)))
	start := len(x.featA)
	for _, e := range p.ents {
		x.featA = append(x.featA, x.feature(e))
	}
	slices.Sort(x.featA[start:])
	start = len(x.featA)
	for _, t := range p.tags {
		x.featA = append(x.featA, x.feature("#"+t))
	}
	slices.Sort(x.featA[start:])
	return doc, true
}

func (x *Index) feature(name string) uint32 {
	f := x.feats.intern(name, hashString(name))
	if int(f) == len(x.featDF) {
		x.featDF = append(x.featDF, 0)
	}
	x.featDF[f]++
	return f
}

type sigEntry struct {
	i     int32
	tf    uint16
	score float64
}

// wordsFirst moves the entries of s whose terms are words before those
// made only of digits, and returns how many are words. A signature takes
// numbers ("1987", "25") only when a story has too few words to fill it:
// the full ranking's query leaves them out (Ranking.Numbers), so each
// slot one took was a word the story's query and its neighbours' vectors
// lost (Reuters-21578, TRAIN: +0.0016 P@10 with the common words out).
func wordsFirst(s []sigEntry, terms []string) int {
	k := 0
	for i := range s {
		if !allDigits(terms[s[i].i]) {
			if k != i {
				s[k], s[i] = s[i], s[k]
			}
			k++
		}
	}
	return k
}

// topSignature keeps the n entries of s with the highest scores (ties:
// the earlier term), in no particular order, taking from s[words:] only
// if s[:words] has fewer than n.
func topSignature(s []sigEntry, n, words int) []sigEntry {
	if words >= n {
		return topN(s[:words], n)
	}
	return s[:words+len(topN(s[words:], n-words))]
}

// topN keeps the n entries of s with the highest scores (ties: the
// earlier term), in no particular order.
func topN(s []sigEntry, n int) []sigEntry {
	if len(s) <= n {
		return s
	}
	better := func(a, b sigEntry) bool { return a.score > b.score || a.score == b.score && a.i < b.i }
	// Quickselect: partition until the n best are s[:n].
	lo, hi := 0, len(s)-1
	for lo < hi {
		pivot := s[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for better(s[i], pivot) {
				i++
			}
			for better(pivot, s[j]) {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case n-1 <= j:
			hi = j
		case n-1 >= i:
			lo = i
		default:
			return s[:n]
		}
	}
	return s[:n]
}

// markDigits records in digits whether term tid, text t, is a bare number.
func (x *Index) markDigits(tid uint32, t string) {
	if w := int(tid / 64); w >= len(x.digits) {
		x.digits = append(x.digits, make([]uint64, w+1-len(x.digits))...)
	}
	if allDigits(t) {
		x.digits[tid/64] |= 1 << (tid % 64)
	}
}

// isDigits reports whether term tid is a bare number.
func (x *Index) isDigits(tid uint32) bool {
	w := int(tid / 64)
	return w < len(x.digits) && x.digits[w]&(1<<(tid%64)) != 0
}

// kill marks document doc dead.
func (x *Index) kill(doc uint32) {
	if x.isDead(doc) {
		return
	}
	x.dead[doc/64] |= 1 << (doc % 64)
	x.live--
	x.totalLen -= uint64(x.dLen[doc])
	x.deadPostings += uint64(x.dNT[doc])
	ents, tags := x.features(doc)
	for _, f := range ents {
		x.featDF[f]--
	}
	for _, f := range tags {
		x.featDF[f]--
	}
}

func (x *Index) isDead(doc uint32) bool { return x.dead[doc/64]&(1<<(doc%64)) != 0 }

// features returns a document's entity and tag feature ids, each sorted.
func (x *Index) features(doc uint32) (ents, tags []uint32) {
	o := x.dFeat[doc]
	ne, nt := x.featA[o], x.featA[o+1]
	ents = x.featA[o+2 : o+2+ne]
	tags = x.featA[o+2+ne : o+2+ne+nt]
	return ents, tags
}

// A signature term's byte in sigF: its frequency (capped at 63: a
// signature's frequencies rarely reach it, and Reuters ranks the same
// capped at 63 or 127), whether it is in the body's lede, and whether it
// is a word of one of the story's named entities.
const (
	sigTF   = 0x3f
	sigLede = 0x40
	sigName = 0x80
)

// signature returns a document's signature terms and their sigF bytes
// (frequency and name bit).
func (x *Index) signature(doc uint32) ([]uint32, []uint8) {
	o := x.dSig[doc]
	n := x.sigT[o]
	return x.sigT[o+1 : o+1+n], x.sigF[o+1 : o+1+n]
}

// maybeCompact drops dead postings once they are a fifth of all.
func (x *Index) maybeCompact() {
	if x.deadPostings*5 > x.postings && x.deadPostings > 0 {
		x.compact()
	}
}

// compact rewrites every posting list without its dead documents.
func (x *Index) compact() {
	var c cursor
	for tid := range x.post {
		l := &x.post[tid]
		if l.n == 0 {
			continue
		}
		var nl plist
		c.init(l)
		for ; c.doc != endDoc; c.next() {
			if !x.isDead(c.doc) {
				nl.add(c.doc, c.tf(), x.dLen[c.doc])
			}
		}
		nl.data = slices.Clip(nl.data)
		nl.skips = slices.Clip(nl.skips)
		*l = nl
	}
	x.postings -= x.deadPostings
	x.deadPostings = 0
}

// Get returns what the index keeps of the story with id: its ID,
// Headline, URL, PublishedAt and Revision.
func (x *Index) Get(id string) (Doc, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	d, ok := x.docOf(id)
	if !ok {
		return Doc{}, false
	}
	return x.doc(d), true
}

// Has reports whether a story with id is indexed.
func (x *Index) Has(id string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, ok := x.docOf(id)
	return ok
}

func (x *Index) docOf(id string) (uint32, bool) {
	k, ok := x.keys.lookup(id)
	if !ok || x.keyDoc[k] < 0 {
		return 0, false
	}
	return uint32(x.keyDoc[k]), true
}

func (x *Index) doc(d uint32) Doc {
	headline, rest := readString(x.meta[x.dMeta[d]:])
	url, _ := readString(rest)
	return Doc{
		ID:          x.keys.str(x.dKey[d]),
		Headline:    headline,
		URL:         url,
		PublishedAt: time.Unix(0, x.dPub[d]).UTC(),
		Revision:    x.dRev[d],
	}
}

// Len is the number of indexed stories.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.live
}

// IDs calls fn for every indexed story's id.
func (x *Index) IDs(fn func(id string)) {
	x.mu.RLock()
	ids := make([]string, 0, x.live)
	for k, d := range x.keyDoc {
		if d >= 0 {
			ids = append(ids, x.keys.str(uint32(k)))
		}
	}
	x.mu.RUnlock()
	for _, id := range ids {
		fn(id)
	}
}

// idf is BM25's inverse document frequency, always positive.
func (x *Index) idf(df int) float64 { return x.idfOf(df, x.live) }

func (x *Index) idfOf(df, n int) float64 {
	f := float64(df)
	return math.Log(1 + (float64(n)-f+0.5)/(f+0.5))
}

// exactDFLimit bounds the lists whose live documents df counts one by one
// when some documents are dead; longer lists count their dead postings too,
// which moves a common term's idf by little.
const exactDFLimit = 1024

// df is the number of live stories that contain term tid.
func (x *Index) df(tid uint32) int {
	l := &x.post[tid]
	if x.deadPostings == 0 || l.n > exactDFLimit {
		return int(l.n)
	}
	var c cursor
	n := 0
	for c.init(l); c.doc != endDoc; c.next() {
		if !x.isDead(c.doc) {
			n++
		}
	}
	return n
}

// Stats describes the index's size.
type Stats struct {
	Stories, Terms, Features, Postings, DeadPostings int
	// Bytes is the memory held by the index's slices (capacity).
	Bytes int64
}

// Stats returns the index's size.
func (x *Index) Stats() Stats {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var b int64
	for i := range x.post {
		b += int64(cap(x.post[i].data)) + int64(cap(x.post[i].skips))*8
	}
	b += int64(cap(x.post)) * int64(plistSize)
	in := func(i *interner) int64 { return int64(cap(i.arena) + 4*cap(i.ends) + 8*cap(i.table) + 8*cap(i.pre)) }
	b += in(&x.terms) + in(&x.feats) + in(&x.keys)
	b += int64(4*cap(x.featDF) + 4*cap(x.keyDoc) + 8*cap(x.keySeq))
	b += int64(4*cap(x.dKey) + 8*cap(x.dPub) + 4*cap(x.dLen) + 8*cap(x.dSim) + 8*cap(x.dRev) + 4*cap(x.dMeta) + 4*cap(x.dFeat) + 4*cap(x.dSig) + 4*cap(x.dNT) + 8*cap(x.dead))
	b += int64(cap(x.meta) + 4*cap(x.featA) + 4*cap(x.sigT) + cap(x.sigF))
	return Stats{Stories: x.live, Terms: x.terms.len(), Features: x.feats.len(), Postings: int(x.postings - x.deadPostings), DeadPostings: int(x.deadPostings), Bytes: b}
}

func appendString(b []byte, s string) []byte {
	b = appendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readString(b []byte) (string, []byte) {
	n, k := uvarint(b)
	return string(b[k : k+int(n)]), b[k+int(n):]
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// uvarint decodes a varint from b, returning it and its length.
func uvarint(b []byte) (uint64, int) {
	if b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	var v uint64
	for i, c := range b {
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return v, len(b)
}

func hamming(a, b uint64) int { return bits.OnesCount64(a ^ b) }
