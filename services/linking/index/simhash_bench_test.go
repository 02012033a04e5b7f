package index

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkSimhash measures the SimHash of a story's worth of words.
func BenchmarkSimhash(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	seq := make([]uint64, 276)
	for i := range seq {
		seq[i] = r.Uint64()
	}
	for b.Loop() {
		simhash(seq)
	}
}
