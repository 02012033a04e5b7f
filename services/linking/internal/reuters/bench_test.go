package reuters

import (
	"errors"
	"testing"

	"newsroom.dev/services/linking/index"
)

// TestQuality runs the Reuters-21578 benchmark (docs/benchmarks.md) and
// checks the full ranking's figures, which the ranking's changes must not
// lower unnoticed. The collection is not in the repository; without it
// the test is skipped.
func TestQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("the Reuters benchmark takes a few seconds; skipped with -short")
	}
	stories, err := Load(DefaultDir())
	if errors.Is(err, ErrMissing) {
		t.Skipf("Reuters-21578 is not at %s (research use only, never in the repository): %v", DefaultDir(), err)
	}
	if err != nil {
		t.Fatal(err)
	}
	b := NewBench(stories, index.DefaultConfig())
	queries := b.Queries("TEST")
	if len(queries) != 3019 {
		t.Fatalf("%d TEST queries, want ModApte's 3019", len(queries))
	}
	full := b.Run(queries, index.Full)
	base := NewBench(stories, index.BaselineConfig()).Run(queries, index.BM25Baseline)
	t.Logf("P@10 / nDCG@10 / MRR@10: full %.3f / %.3f / %.3f, baseline %.3f / %.3f / %.3f",
		full.Topic.P10, full.Topic.NDCG10, full.Topic.MRR10, base.Topic.P10, base.Topic.NDCG10, base.Topic.MRR10)
	// Tuned on TRAIN, the full ranking reached 0.802 on TEST (baseline
	// 0.629); the floor leaves room for small changes to the analysis.
	if full.Topic.P10 < 0.788 || full.Topic.P10 < base.Topic.P10+0.12 {
		t.Errorf("full ranking P@10 %.3f (baseline %.3f): below what it reached when tuned", full.Topic.P10, base.Topic.P10)
	}
	if full.TopicPlace.P10 <= base.TopicPlace.P10 {
		t.Errorf("full ranking P@10 with places %.3f, baseline %.3f", full.TopicPlace.P10, base.TopicPlace.P10)
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"26-FEB-1987 15:01:01.79":  "1987-02-26T15:01:01.79Z",
		"31-MAR-1987 605:12:19.12": "1987-03-31T05:12:19.12Z",
	} {
		got, err := parseDate(in)
		if err != nil || got.Format("2006-01-02T15:04:05.99Z07:00") != want {
			t.Errorf("parseDate(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}
