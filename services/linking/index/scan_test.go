package index

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestScanMatchesCursor: the query's one-posting-at-a-time scan reads
// every list as the block cursor does, through next and seek alike.
func TestScanMatchesCursor(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		var l plist
		doc := uint32(0)
		for range r.IntN(1000) {
			gap := uint32(1 + r.IntN(4))
			if r.IntN(10) == 0 {
				gap = uint32(1 + r.IntN(100_000)) // multi-byte varints
			}
			doc += gap
			tf := uint16(1)
			if r.IntN(3) == 0 {
				tf = uint16(2 + r.IntN(300))
			}
			l.add(doc, tf, uint32(1+r.IntN(500)))
		}
		var c cursor
		var s scan
		c.init(&l)
		s.init(&l)
		for step := 0; c.doc != endDoc; step++ {
			if s.doc != c.doc || s.tf != c.tf() {
				t.Fatalf("trial %d step %d: scan at %d (tf %d), cursor at %d (tf %d)", trial, step, s.doc, s.tf, c.doc, c.tf())
			}
			if r.IntN(2) == 0 {
				c.next()
				s.next()
			} else {
				target := c.doc + uint32(r.IntN(3000))
				c.seek(target)
				s.seek(target)
			}
		}
		if s.doc != endDoc {
			t.Fatalf("trial %d: cursor ended, scan at %d", trial, s.doc)
		}
	}
}

// TestTfOfMatchesCursor: a posting list's look-up of one document's
// frequency, which steps over the frequencies before it, finds what
// reading the whole list finds, for documents in the list and between,
// before and after its postings, with gaps and frequencies of one byte
// and more.
func TestTfOfMatchesCursor(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := range 200 {
		var l plist
		want := map[uint32]uint16{}
		doc := uint32(r.IntN(50))
		for range r.IntN(700) {
			doc += uint32(1 + r.IntN(4))
			if r.IntN(10) == 0 {
				doc += uint32(r.IntN(100_000))
			}
			tf := uint16(1)
			if r.IntN(3) == 0 {
				tf = uint16(2 + r.IntN(300))
			}
			l.add(doc, tf, 10)
			want[doc] = tf
		}
		var c cursor
		n := 0
		for c.init(&l); c.doc != endDoc; c.next() {
			if want[c.doc] != c.tf() {
				t.Fatalf("trial %d: the cursor reads tf %d at %d, added %d", trial, c.tf(), c.doc, want[c.doc])
			}
			n++
		}
		if n != len(want) {
			t.Fatalf("trial %d: the cursor reads %d postings of %d", trial, n, len(want))
		}
		for d := range doc + 3 {
			if d > 2000 && want[d] == 0 && r.IntN(50) != 0 {
				continue // the long gaps' documents, sampled
			}
			if got := l.tfOf(d); got != want[d] {
				t.Fatalf("trial %d: tfOf(%d) = %d, want %d", trial, d, got, want[d])
			}
			// A list loaded from a snapshot does not know its last
			// frequency: the look-up decodes it.
			loaded := l
			loaded.lastTF = 0
			if got := loaded.tfOf(d); got != want[d] {
				t.Fatalf("trial %d: tfOf(%d) = %d without the last frequency, want %d", trial, d, got, want[d])
			}
		}
	}
}

// TestCandidatesMatchBruteForce: the pool MaxScore finds, with its
// bounds, its probe-only common lists and its filter, is the pool that
// scoring every story finds, and merging the essential lists by sorting
// or through the heap finds the same pool.
func TestCandidatesMatchBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x := New()
	vocab := make([]string, 600)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%dx", i)
	}
	word := func() string {
		// Zipf-like: a few words in most stories, most in a few.
		return vocab[int(math.Pow(r.Float64(), 2.5)*float64(len(vocab)))]
	}
	for i := range 2000 {
		var b []byte
		for range 20 + r.IntN(60) {
			b = append(b, word()...)
			b = append(b, ' ')
		}
		x.Add(Doc{ID: fmt.Sprint("d", i), Headline: word() + " " + word(), Body: string(b), PublishedAt: t0.Add(time.Duration(r.IntN(2000)) * time.Hour)})
	}
	for _, rk := range []Ranking{Full, BM25Baseline, func() Ranking { c := Full; c.CommonPostings = 200; c.Weight = SqrtIDF; return c }()} {
		rk = rk.withDefaults()
		for qi := range 24 {
			doc := uint32(r.IntN(2000))
			q := x.queryOf(doc, &rk)
			if qi%3 == 0 {
				// As if every third term were a name's word: the pool is
				// chosen by the terms' weights without NameWeight, the
				// candidates' scores are with it.
				for i := range q.terms {
					if i%3 == 0 {
						q.terms[i].w *= 0.5
					}
				}
			}
			f := filter{self: int64(doc), before: math.MaxInt64}
			if qi%2 == 0 {
				f.before = x.dPub[doc]
			}
			pool := 32
			got := x.candidates(q, &f, pool)
			// The heap's merge finds the same, to the bit.
			was := sortedMax
			sortedMax = 0
			heap := x.candidates(q, &f, pool)
			sortedMax = was
			byDoc := func(a, b cand) int { return cmp.Compare(a.doc, b.doc) }
			slices.SortFunc(got, byDoc)
			slices.SortFunc(heap, byDoc)
			if !slices.Equal(got, heap) {
				t.Fatalf("%s query %d: sorted merge %v, heap %v", rk.Name, qi, got, heap)
			}
			// Stories that share only the query's common terms are not
			// candidates, by design (unless all its terms are common).
			rare := func(uint32) bool { return true }
			if rk.CommonPostings > 0 && slices.ContainsFunc(q.terms, func(t qterm) bool { return x.post[t.tid].n <= uint32(rk.CommonPostings) }) {
				rare = func(d uint32) bool {
					return slices.ContainsFunc(q.terms, func(t qterm) bool {
						l := &x.post[t.tid]
						return l.n <= uint32(rk.CommonPostings) && l.tfOf(d) > 0
					})
				}
			}
			var want []cand
			for d := range uint32(len(x.dKey)) {
				if !x.eligible(d, &f) || !rare(d) {
					continue
				}
				if raw := x.rawOne(q, d); raw > 0 {
					pq := *q
					pq.terms = slices.Clone(q.terms)
					for i := range pq.terms {
						pq.terms[i].w = pq.terms[i].pw
					}
					want = append(want, cand{doc: d, raw: raw, s1: x.rawOne(&pq, d) * rk.decay(x.dPub[d]-q.pub)})
				}
			}
			byS1 := func(a, b cand) int { return cmp.Compare(b.s1, a.s1) }
			slices.SortFunc(want, byS1)
			slices.SortFunc(got, byS1)
			want = want[:min(pool, len(want))]
			if len(got) != len(want) {
				t.Fatalf("%s query %d: %d candidates, brute force %d", rk.Name, qi, len(got), len(want))
			}
			for i := range got {
				if math.Abs(got[i].s1-want[i].s1) > 1e-9 {
					t.Fatalf("%s query %d: candidate %d scores %v, brute force %v", rk.Name, qi, i, got[i].s1, want[i].s1)
				}
				if j := slices.IndexFunc(want, func(c cand) bool { return c.doc == got[i].doc }); j >= 0 && math.Abs(got[i].raw-want[j].raw) > 1e-9 {
					t.Fatalf("%s query %d: candidate %d's BM25 %v, brute force %v", rk.Name, qi, got[i].doc, got[i].raw, want[j].raw)
				}
			}
		}
	}
}

// TestSortByDocIsStable: the merge's radix sort orders entries by
// document and keeps the order of one document's entries, for documents
// that need one, two and three passes.
func TestSortByDocIsStable(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, last := range []uint32{1, 2000, 1 << 20, math.MaxUint32 - 1} {
		e := make([]uint64, 5000)
		for i := range e {
			e[i] = uint64(r.Uint32N(last+1))<<32 | uint64(i)
		}
		want := slices.Clone(e)
		slices.SortStableFunc(want, func(a, b uint64) int { return cmp.Compare(a>>32, b>>32) })
		if got := sortHigh(e, make([]uint64, len(e)), last); !slices.Equal(got, want) {
			t.Fatalf("last %d: not sorted stably", last)
		}
	}
}
