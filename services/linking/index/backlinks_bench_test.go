package index_test

import (
	"testing"

	"newsroom.dev/services/linking/index"
	"newsroom.dev/services/linking/internal/synth"
)

// BenchmarkBacklinks measures the search each published story makes for
// its forward links (Index.Backlinks over 50 candidates, as linking's
// forward does with the default fan-out), on one thread: each story of
// the pipeline benchmark's archive is added to an index of 20,000 before
// it, untimed, and then searched for, as linking does when it is
// published. It is most of linking's CPU for a story besides its own
// box, and steadier than the whole-service BenchmarkPublished, whose
// queueing and JetStream work make a few per cent hard to see.
//
//	go test ./services/linking/index -run '^$' -bench Backlinks -benchtime 3000x -count 6
func BenchmarkBacklinks(b *testing.B) {
	const n = 20_000
	a := synth.New(n+b.N, 1)
	x := index.New()
	for i := range n {
		x.Add(a.Story(i))
	}
	hits := 0
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		d := a.Story(n + i)
		x.Add(d)
		b.StartTimer()
		hits += len(x.Backlinks(d.ID, 50, nil))
	}
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
}
