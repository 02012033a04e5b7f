package index

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVecTableMatchesCosine: the dot products the neighbours take from a
// table of the best candidates' vectors are cosine's, to the bit, for
// vectors that share many terms, few or none, short and empty, and
// tables of one vector to many (whose terms then collide in it).
func TestVecTableMatchesCosine(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	randVec := func(vocab int) vec {
		var v vec
		sum := 0.0
		for _, tid := range r.Perm(vocab)[:r.IntN(min(vocab, 45)+1)] {
			w := logTF[1+r.IntN(sigTF)] * math.Sqrt(math.Sqrt(1+r.Float64()*12))
			if r.IntN(5) == 0 {
				w *= 0.1
			}
			v = append(v, vterm{uint32(tid) * 7919, w})
			sum += w * w
		}
		sortVec(v)
		for i := range v {
			v[i].w /= math.Sqrt(sum)
		}
		return v
	}
	var tb vecTable
	shared := 0
	for trial := range 300 {
		vocab := []int{20, 60, 400, 5000}[trial%4]
		vs := make([]vec, 1+r.IntN(40))
		for i := range vs {
			vs[i] = randVec(vocab)
		}
		m := min(1+r.IntN(12), len(vs))
		tb.build(vs[:m])
		dots := make([]float64, m)
		for i, v := range vs {
			tb.dots(v, dots)
			for j := range m {
				want := v.cosine(vs[j])
				if math.Float64bits(dots[j]) != math.Float64bits(want) {
					t.Fatalf("trial %d: vector %d · %d = %v from the table, cosine %v", trial, i, j, dots[j], want)
				}
				if want > 0 && i != j {
					shared++
				}
			}
		}
	}
	if shared < 1000 {
		t.Fatalf("only %d pairs of vectors share a term: the test says little", shared)
	}
}
