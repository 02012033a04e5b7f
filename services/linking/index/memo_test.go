package index

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestIdfMemo: a remembered idf is the idf, to the bit, for frequencies
// within the memo and beyond it, asked once or again.
func TestIdfMemo(t *testing.T) {
	x := labelledIndex(t)
	var m idfMemo
	for range 2 {
		for df := -1; df < idfMemoSize+10; df++ {
			if got, want := m.of(x, df), x.idf(df); math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("idf(%d): memo %v, want %v", df, got, want)
			}
		}
	}
}

// TestSortVec: sortVec orders a vector by term as the general sort does,
// short (insertion sort) or long.
func TestSortVec(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 5, 40, 64, 65, 200} {
		v := make(vec, n)
		for i, tid := range r.Perm(n * 3)[:n] {
			v[i] = vterm{uint32(tid), r.Float64()}
		}
		want := slices.Clone(v)
		slices.SortFunc(want, func(a, b vterm) int { return cmp.Compare(a.tid, b.tid) })
		sortVec(v)
		if !slices.Equal(v, want) {
			t.Fatalf("n=%d: %v, want %v", n, v, want)
		}
	}
}

// TestQueryBufSameQuery: a query built in a reused queryBuf, after
// others, is the query built afresh, and scores a story, whose term
// frequencies the buffer remembers (or, for the lists it is the last
// of, reads from their last postings), to the bit as it does.
func TestQueryBufSameQuery(t *testing.T) {
	x := labelledIndex(t)
	r := x.ranking(nil)
	n := uint32(len(x.dKey))
	for scored := range n {
		b := new(queryBuf)
		for range 2 {
			for doc := range n {
				got, want := x.queryOfBuf(doc, &r, b), x.queryOf(doc, &r)
				if !slices.Equal(got.terms, want.terms) || !slices.Equal(got.ents, want.ents) || !slices.Equal(got.tags, want.tags) ||
					got.self != want.self || got.entW != want.entW || got.tagW != want.tagW || got.avg != want.avg {
					t.Fatalf("doc %d: query in a buffer differs:\n%+v\nwant\n%+v", doc, got, want)
				}
				if s, want := x.scoreOneBuf(got, scored, b), x.scoreOne(want, scored); math.Float64bits(s) != math.Float64bits(want) {
					t.Fatalf("doc %d scores doc %d %v through the buffer, %v afresh", doc, scored, s, want)
				}
			}
		}
	}
}

// TestSortByScore: the order sortByScore gives a query's terms is the
// general sort's, best score first and then by term, short (insertion
// sort) or long, ties included.
func TestSortByScore(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 5, 40, 64, 65, 200} {
		ts := make([]qterm, n)
		for i, tid := range r.Perm(n * 3)[:n] {
			ts[i] = qterm{tid: uint32(tid), score: float64(r.IntN(8)) * 0.37}
		}
		want := slices.Clone(ts)
		slices.SortFunc(want, func(a, b qterm) int {
			if c := cmp.Compare(b.score, a.score); c != 0 {
				return c
			}
			return cmp.Compare(a.tid, b.tid)
		})
		order := sortByScore(ts, make([]termKey, n))
		for i, o := range order {
			if ts[o.i] != want[i] {
				t.Fatalf("n=%d: term %d is %+v, want %+v", n, i, ts[o.i], want[i])
			}
		}
	}
}
