package eval_test

import (
	"testing"

	"newsroom.dev/services/review/eval"
	"newsroom.dev/services/review/rules"
)

// Thresholds the shipped packs must meet on the evaluation set, per
// category: a rule change that costs more goes back to the desk.
const (
	minPrecision = 0.9
	minRecall    = 0.85
	minPassages  = 150
	minPositives = 10
)

func TestShippedPacksMeetThresholds(t *testing.T) {
	set, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := eval.Passages()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < minPassages {
		t.Fatalf("%d passages, want at least %d", len(ps), minPassages)
	}
	rep := eval.Evaluate(set, ps)
	t.Logf("\n%s", rep)
	if len(rep.Scores) != 9 {
		t.Errorf("%d categories scored, want 9", len(rep.Scores))
	}
	for _, s := range rep.Scores {
		if s.TP+s.FN < minPositives {
			t.Errorf("%s: %d positive passages, want at least %d", s.Category, s.TP+s.FN, minPositives)
		}
		if s.Precision() < minPrecision || s.Recall() < minRecall {
			t.Errorf("%s: precision %.3f (want ≥ %.2f), recall %.3f (want ≥ %.2f)", s.Category, s.Precision(), minPrecision, s.Recall(), minRecall)
		}
	}
	if t.Failed() {
		for _, e := range rep.Errors {
			what := "false alarm"
			if e.Missed {
				what = "missed"
			}
			t.Logf("%s %s %s: %q %v", e.Passage.ID, e.Category, what, e.Passage.Text, e.Rules)
		}
	}
}

func TestPassagesAreLabelledWithKnownCategories(t *testing.T) {
	set, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, c := range set.Categories() {
		known[c] = true
	}
	ps, err := eval.Passages()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		for _, c := range append(append([]string{}, p.Expect...), p.Avoid...) {
			if !known[c] {
				t.Errorf("%s: unknown category %q", p.ID, c)
			}
		}
		if !rules.IsField(p.Field) {
			t.Errorf("%s: unknown field %q", p.ID, p.Field)
		}
	}
}
