package index

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestTopSignature checks the signature's choice against sorting: the
// best scores among the words, then, if they are too few, the best among
// the numbers.
func TestTopSignature(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 400 {
		n := r.IntN(300)
		s := make([]sigEntry, n)
		terms := make([]string, n)
		digits := r.IntN(3) // none, some, most
		for i := range s {
			s[i] = sigEntry{i: int32(i), score: float64(r.IntN(20))}
			terms[i] = "w" + strconv.Itoa(i)
			if digits > 0 && r.IntN(4) < 2*digits-1 {
				terms[i] = strconv.Itoa(i)
			}
		}
		want := slices.Clone(s)
		slices.SortFunc(want, func(a, b sigEntry) int {
			if c := cmp.Compare(b2i(allDigits(terms[a.i])), b2i(allDigits(terms[b.i]))); c != 0 {
				return c
			}
			if c := cmp.Compare(b.score, a.score); c != 0 {
				return c
			}
			return cmp.Compare(a.i, b.i)
		})
		k := r.IntN(60)
		got := slices.Clone(s)
		got = topSignature(got, k, wordsFirst(got, terms))
		want = want[:min(k, n)]
		slices.SortFunc(got, func(a, b sigEntry) int { return cmp.Compare(a.i, b.i) })
		slices.SortFunc(want, func(a, b sigEntry) int { return cmp.Compare(a.i, b.i) })
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: n %d k %d: got %v, want %v", trial, n, k, got, want)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
