package index

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// TestSlabPoolRecycles: a chunk given back is carved again, zeroed as a
// fresh one is, and a slab without a pool allocates as before.
func TestSlabPoolRecycles(t *testing.T) {
	pool := new(slabPool)
	s := slab{pool: pool}
	a := s.strings(3)
	copy(a, []string{"x", "y", "z"})
	p := s.prepared()
	p.length = 7
	used := s.used
	s.reset()
	pool.give(&used)
	b := s.strings(3)
	if unsafe.SliceData(a) != unsafe.SliceData(b) {
		t.Fatal("a chunk given back was not carved again")
	}
	if !slices.Equal(b, make([]string, 3)) {
		t.Fatalf("a recycled piece is %q, not zeroed", b)
	}
	if q := s.prepared(); q != p || q.length != 0 {
		t.Fatalf("recycled Prepared %p (length %d), want %p zeroed", q, q.length, p)
	}
	// Pieces of one chunk never overlap.
	c := s.uint64s(2)
	d := s.uint64s(2)
	c[0], c[1] = 1, 2
	d[0] = 3
	if c[1] != 2 || cap(c) != 2 {
		t.Fatal("pieces overlap")
	}
	var none slab
	if got := none.uint32s(4); len(got) != 4 || none.used.u32s != nil {
		t.Fatal("a slab without a pool records chunks")
	}
}

// TestAddAllManyBatches: a bulk load of many batches, whose slabs'
// chunks are recycled from batch to batch, indexes every story as adding
// them one by one does: the same terms, features, ids, postings,
// fingerprints, lengths, dates, headlines and URLs.
func TestAddAllManyBatches(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	words := strings.Fields("budget council vote mayor wildfire crews smoke valley match derby goal stadium rates bank inflation prices energy " +
		"the of and in a to Lucia Alvarez London Paris U.S. World Bank New York 2026 cities budgets Café São Escondida Codelco Santiago")
	docs := make([]Doc, 24_000) // 12 batches
	for i := range docs {
		var b strings.Builder
		for k := range 10 + r.IntN(40) {
			if k > 0 {
				b.WriteString([]string{" ", " ", ". ", ", "}[r.IntN(4)])
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		docs[i] = Doc{ID: fmt.Sprintf("story-%d", i%23_000), Headline: words[r.IntN(len(words))] + " " + words[r.IntN(len(words))] + fmt.Sprint(i%97),
			URL: fmt.Sprintf("https://example.org/%d", i), Body: b.String(), Tags: []string{words[r.IntN(len(words))]}, PublishedAt: at(i)}
	}
	one, all := bulkMatchesOneByOne(t, docs)
	for _, id := range []string{"story-0", "story-999", "story-22999"} {
		a, _ := one.Get(id)
		b, _ := all.Get(id)
		if a.ID != b.ID || a.Headline != b.Headline || a.URL != b.URL || !a.PublishedAt.Equal(b.PublishedAt) {
			t.Fatalf("Get(%s) = %+v, want %+v", id, b, a)
		}
	}
}
