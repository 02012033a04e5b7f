package index

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestSplitASCIIMatchesGeneric checks the ASCII fast path of splitWords
// against the generic one on text built to hit every rule: capitals,
// abbreviations, digits, stop words, sentence ends, hyphens, punctuation.
func TestSplitASCIIMatchesGeneric(t *testing.T) {
	pieces := []string{"the", "The", "Mayor", "U.S.", "U.K", "E.U.S.A.", "a.b", "x.", "NEW", "York", "2026", "9am",
		"budgets", "ies", "A", "i", " ", "  ", "-", "\t", ".", ". ", "!", "?", ":", "\n", "\r\n", ",", "'s", "(", ")", "—", "AbC", "mIxEd"}
	r := rand.New(rand.NewPCG(1, 2))
	ascii := 0
	var sl slab
	for range 20000 {
		var b strings.Builder
		for range 1 + r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
			if r.IntN(3) > 0 {
				b.WriteByte(' ')
			}
		}
		s := b.String()
		got, ok := splitASCII(s, nil, nil)
		if ok != isASCII(s) {
			t.Fatalf("splitASCII(%q) ok = %v", s, ok)
		}
		if !ok {
			continue
		}
		ascii++
		want := splitWordsGeneric(s, nil)
		if !slices.Equal(got, want) {
			t.Fatalf("splitASCII(%q):\n got %+v\nwant %+v", s, got, want)
		}
		// With a slab (a bulk load's) for the lower-case copies.
		if got, _ := splitASCII(s, nil, &sl); !slices.Equal(got, want) {
			t.Fatalf("splitASCII(%q) with a slab:\n got %+v\nwant %+v", s, got, want)
		}
	}
	if ascii < 1000 {
		t.Fatalf("only %d ASCII cases", ascii)
	}
	// Non-ASCII text goes the generic way, whole.
	if got := splitWords("Café in São Paulo", nil); len(got) != 4 || got[0].term != "café" || !got[2].capital || got[2].term != "são" {
		t.Fatalf("non-ASCII: %+v", got)
	}
}

// TestSimhashMatchesBitByBit checks the eight-bits-at-once SimHash
// against counting each bit alone, past the point where its byte-wide
// counters carry.
func TestSimhashMatchesBitByBit(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 3, 10, 254, 255, 256, 257, 600, 2000} {
		seq := make([]uint64, n)
		for i := range seq {
			// Biased bits, so that the majority is not a coin toss.
			seq[i] = r.Uint64() | r.Uint64()
		}
		if got, want := simhash(seq), simhashBitByBit(seq); got != want {
			t.Fatalf("n=%d: simhash %x, bit by bit %x", n, got, want)
		}
	}
}

func simhashBitByBit(seq []uint64) uint64 {
	if len(seq) == 0 {
		return 0
	}
	var bits [64]int32
	n := int32(0)
	add := func(h uint64) {
		n++
		for b := range 64 {
			bits[b] += int32(h >> b & 1)
		}
	}
	if len(seq) < 3 {
		for _, h := range seq {
			add(h)
		}
	} else {
		for i := 2; i < len(seq); i++ {
			add(mix(seq[i-2] ^ seq[i-1]<<21 ^ seq[i-1]>>43 ^ seq[i]<<42 ^ seq[i]>>22))
		}
	}
	var out uint64
	for b := range 64 {
		if bits[b]*2 > n {
			out |= 1 << b
		}
	}
	return out
}

// TestAddAllMatchesAdd checks that the bulk load, which analyses stories
// in parallel and takes the lock once a batch, indexes them exactly as
// adding them one by one does: the same terms, postings, fingerprints and
// features. (Signatures may differ: each is picked with the document
// frequencies of the moment, which a parallel load sees later.)
func TestAddAllMatchesAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	words := strings.Fields("budget council vote mayor wildfire crews smoke valley match derby goal stadium rates bank inflation prices energy " +
		"the of and in a to Lucia Alvarez London Paris U.S. World Bank New York 2026 cities budgets Café São")
	// Enough stories for several of AddAll's batches, so that the
	// workers resolve while the adder adds.
	docs := make([]Doc, 6000)
	for i := range docs {
		var b strings.Builder
		for k := range 20 + r.IntN(60) {
			if k > 0 {
				b.WriteString([]string{" ", " ", " ", ". ", ", "}[r.IntN(5)])
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		// Some stories replace one added shortly before (in the same
		// batch of AddAll), some one added long before.
		id := i % 5600
		if i%50 == 49 {
			id = i - 2
		}
		docs[i] = Doc{ID: fmt.Sprintf("d%d", id), Headline: words[r.IntN(len(words))] + " " + words[r.IntN(len(words))],
			Body: b.String(), Tags: []string{words[r.IntN(len(words))]}, PublishedAt: at(i)}
	}
	one, all := bulkMatchesOneByOne(t, docs)
	if st := one.Stats(); st.Stories > 5600 {
		t.Fatalf("nothing replaced: %+v", st)
	}
	// Bytes aside: AddAll reserves the per-story slices for all the
	// stories at once, where adding one by one grows them by appending.
	sOne, sAll := one.Stats(), all.Stats()
	sOne.Bytes, sAll.Bytes = 0, 0
	if sOne != sAll {
		t.Fatalf("stats %+v, want %+v", sAll, sOne)
	}
}

// bulkMatchesOneByOne indexes docs one by one and with AddAll, checks
// that both hold the same terms, features, ids, postings, fingerprints,
// lengths, dates, headlines, URLs and deaths, and returns both.
func bulkMatchesOneByOne(t *testing.T, docs []Doc) (one, all *Index) {
	t.Helper()
	one = New()
	for _, d := range docs {
		one.Add(d)
	}
	all = New()
	all.AddAll(len(docs), func(i int) Doc { return docs[i] }, 2)
	if !slices.Equal(one.terms.arena, all.terms.arena) || !slices.Equal(one.feats.arena, all.feats.arena) || !slices.Equal(one.keys.arena, all.keys.arena) {
		t.Fatal("terms, features or ids differ")
	}
	if len(one.post) != len(all.post) {
		t.Fatalf("%d posting lists, want %d", len(all.post), len(one.post))
	}
	for i := range one.post {
		a, b := &one.post[i], &all.post[i]
		if !slices.Equal(a.data, b.data) || !slices.Equal(a.skips, b.skips) || a.n != b.n || a.last != b.last || a.maxTF != b.maxTF || a.minLen != b.minLen {
			t.Fatalf("posting list of %q differs", one.terms.str(uint32(i)))
		}
	}
	if !slices.Equal(one.dSim, all.dSim) || !slices.Equal(one.dLen, all.dLen) || !slices.Equal(one.dPub, all.dPub) ||
		!slices.Equal(one.featA, all.featA) || !slices.Equal(one.featDF, all.featDF) || !slices.Equal(one.meta, all.meta) ||
		!slices.Equal(one.dead, all.dead) || !slices.Equal(one.keyDoc, all.keyDoc) {
		t.Fatal("per-story data differs")
	}
	return one, all
}

// TestPostingBatchSortIsStableByTerm checks the radix sort of the bulk
// load against a stable sort, for term ids that need one, two and three
// passes.
func TestPostingBatchSortIsStableByTerm(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, maxTID := range []uint32{0, 1, 2047, 2048, 1 << 21, 1<<32 - 1} {
		var b postingBatch
		for k := range 5000 {
			tid := uint32(r.Uint64N(uint64(maxTID) + 1))
			if k == 0 {
				tid = maxTID
			}
			b.keys = append(b.keys, uint64(tid)<<32|uint64(k))
			b.maxTID = max(b.maxTID, tid)
		}
		want := slices.Clone(b.keys)
		slices.SortStableFunc(want, func(a, b uint64) int { return int(a>>32) - int(b>>32) })
		b.sort()
		if !slices.Equal(b.keys, want) {
			t.Fatalf("max term id %d: radix sort differs from a stable sort", maxTID)
		}
	}
}

// TestLexiconMatchesWordLists checks the hash tables entity extraction
// probes against the maps they are built from.
func TestLexiconMatchesWordLists(t *testing.T) {
	for k, want := range gazetteer {
		if got, ok := gazTable.get(k, hashString(k)); !ok || got != want {
			t.Fatalf("gazTable[%q] = %+v, %v; want %+v", k, got, ok, want)
		}
		if got, ok := gazTable.getWords(splitWords(k, nil)); !ok || got != want {
			t.Fatalf("gazTable words of %q = %+v, %v; want %+v", k, got, ok, want)
		}
	}
	if _, ok := gazTable.getWords(splitWords("new yorkshire", nil)); ok {
		t.Fatal("found a name not in the gazetteer")
	}
	if len(gazFirst) == 0 {
		t.Fatal("gazetteer not loaded")
	}
	for w, n := range gazFirst {
		if e, _ := lexicon.get(w, hashString(w)); int(e.gazWords) != n {
			t.Fatalf("lexicon %q starts names of %d words, want %d", w, e.gazWords, n)
		}
	}
	for _, s := range []struct {
		set  map[string]struct{}
		kind uint8
	}{{titles, lexTitle}, {notNames, lexNotName}, {connectors, lexConnector}, {acronymsInCapitals, lexCapsWord}} {
		for w := range s.set {
			if e, _ := lexicon.get(w, hashString(w)); e.kinds&s.kind == 0 {
				t.Fatalf("lexicon %q lacks kind %d", w, s.kind)
			}
		}
	}
	if e, ok := lexicon.get("budget", hashString("budget")); ok || e != (lexEntry{}) {
		t.Fatalf("lexicon knows budget: %+v", e)
	}
}

// TestPutAllMatchesPutPrepared checks the batched put of a replay against
// putting the same prepared stories one by one: the same results (stale
// sequences refused) and byte for byte the same snapshot.
func TestPutAllMatchesPutPrepared(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	words := strings.Fields("budget council vote mayor wildfire crews smoke valley match derby goal stadium rates bank inflation prices energy London Paris")
	docs := make([]Doc, 900)
	seqs := make([]uint64, len(docs))
	for i := range docs {
		var b strings.Builder
		for range 10 + r.IntN(30) {
			b.WriteString(words[r.IntN(len(words))] + " ")
		}
		docs[i] = Doc{ID: fmt.Sprintf("d%d", r.IntN(600)), Headline: words[r.IntN(len(words))], Body: b.String(), PublishedAt: at(i)}
		seqs[i] = uint64(i + 1)
		if i%7 == 3 {
			seqs[i] = uint64(r.IntN(i + 1)) // often stale
		}
	}
	one, all := New(), New()
	p1, p2 := make([]*Prepared, len(docs)), make([]*Prepared, len(docs))
	for i, d := range docs {
		p1[i], p2[i] = one.Prepare(d), all.Prepare(d)
	}
	want := make([]bool, len(docs))
	for i, p := range p1 {
		want[i] = one.PutPrepared(p, seqs[i])
	}
	got := make([]bool, len(docs))
	all.PutAll(p2, seqs, got)
	if !slices.Equal(got, want) {
		t.Fatalf("PutAll applied %v, want %v", got, want)
	}
	if !slices.Contains(want, false) || one.Stats().Stories >= len(docs) {
		t.Fatalf("the test refuses no stale put or replaces no story: %+v", one.Stats())
	}
	var a, b bytes.Buffer
	if err := one.WriteSnapshot(&a); err != nil {
		t.Fatal(err)
	}
	if err := all.WriteSnapshot(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("snapshots differ")
	}
}

// TestTagSplitOnce checks that analysis, which splits a tag once, gets
// from it the normal form normName gives and the terms Tokens gives.
func TestTagSplitOnce(t *testing.T) {
	cfg := DefaultConfig()
	for _, tag := range []string{"money-fx", "U.S. Economy", "Café São-Paulo", "the budgets", " ", "", "a-b-c", "World Bank--IMF", "U.S.-based"} {
		for _, sl := range []*slab{nil, {}} {
			p := prepareIn(&cfg, Doc{Tags: []string{tag}}, sl)
			var want []string
			if n := normName(tag); n != "" {
				want = []string{n}
			}
			if !slices.Equal(p.tags, want) {
				t.Fatalf("tag %q: tags %q, want %q", tag, p.tags, want)
			}
			var terms []string
			for _, tok := range Tokens(tag) {
				if st := stem(tok); !slices.Contains(terms, st) {
					terms = append(terms, st)
				}
			}
			if !slices.Equal(p.terms, terms) {
				t.Fatalf("tag %q: terms %q, want %q", tag, p.terms, terms)
			}
			for i, term := range p.terms {
				if p.hashes[i] != hashString(term) {
					t.Fatalf("tag %q: hash of %q", tag, term)
				}
			}
		}
	}
}
