package index

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTopSignature(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := r.IntN(300)
		s := make([]sigEntry, n)
		for i := range s {
			s[i] = sigEntry{i: int32(i), score: float64(r.IntN(20))}
		}
		want := slices.Clone(s)
		slices.SortFunc(want, func(a, b sigEntry) int {
			if c := cmp.Compare(b.score, a.score); c != 0 {
				return c
			}
			return cmp.Compare(a.i, b.i)
		})
		k := r.IntN(60)
		got := topSignature(slices.Clone(s), k)
		want = want[:min(k, n)]
		slices.SortFunc(got, func(a, b sigEntry) int { return cmp.Compare(a.i, b.i) })
		slices.SortFunc(want, func(a, b sigEntry) int { return cmp.Compare(a.i, b.i) })
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: n %d k %d: got %v, want %v", trial, n, k, got, want)
		}
	}
}
