package index_test

import (
	"testing"

	"newsroom.dev/services/linking/index"
	"newsroom.dev/services/linking/internal/synth"
)

// BenchmarkBacklinks measures the search each published story makes for
// its forward links (Index.Backlinks over 50 candidates, as linking's
// forward does with the default fan-out), on one thread, in an index of
// 20,000 stories of the pipeline benchmark's archive. It is most of
// linking's CPU for a story besides its own box, and steadier than the
// whole-service BenchmarkPublished, whose queueing and JetStream work
// make a few per cent hard to see.
//
//	go test ./services/linking/index -run '^$' -bench Backlinks -count 6
func BenchmarkBacklinks(b *testing.B) {
	const n = 20_000
	a := synth.New(n, 1)
	x := index.New()
	ids := make([]string, n)
	for i := range n {
		d := a.Story(i)
		x.Add(d)
		ids[i] = d.ID
	}
	hits := 0
	b.ResetTimer()
	for i := range b.N {
		hits += len(x.Backlinks(ids[n-1-i%1000], 50, nil))
	}
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
}
