package index_test

import (
	"testing"

	"newsroom.dev/services/linking/index"
	"newsroom.dev/services/linking/internal/synth"
)

// BenchmarkPrepare measures analysis (splitting, entities, counting,
// SimHash) on one thread, against an empty index so that resolving costs
// next to nothing: the per-story part of a bulk build that relatedbench's
// whole-build figure mixes with adding and garbage collection.
func BenchmarkPrepare(b *testing.B) {
	a := synth.New(2000, 1)
	docs := make([]index.Doc, a.N)
	for i := range docs {
		docs[i] = a.Story(i)
	}
	x := index.New()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if p := x.Prepare(docs[i%len(docs)]); p.ID() == "" {
			b.Fatal("no id")
		}
	}
}
