package index

import (
	"slices"
	"testing"
)

// TestCommonWordsAreNoTerms: the common news words are neither terms nor
// query terms, while entity extraction still reads them as words of
// names, and function words still split names.
func TestCommonWordsAreNoTerms(t *testing.T) {
	d := Doc{ID: "a", Headline: "New York budget talks",
		Body: "Boston bankers told reporters that the New York budget would be cut in March, as New Zealand's was. Officials added that the deficit was the first in three years."}
	x := New()
	p := x.Prepare(d)
	for _, w := range []string{"new", "first", "told", "monday", "march", "would", "three", "year", "added", "the", "that", "in"} {
		if slices.Contains(p.terms, w) {
			t.Errorf("%q is a term: %q", w, p.terms)
		}
	}
	for _, w := range []string{"york", "zealand", "boston", "banker", "budget", "deficit", "cut", "reporter", "official"} {
		if !slices.Contains(p.terms, w) {
			t.Errorf("%q is not a term: %q", w, p.terms)
		}
	}
	for _, e := range []string{"new york", "new zealand"} {
		if !slices.Contains(p.ents, e) {
			t.Errorf("entity %q not found: %q", e, p.ents)
		}
	}
	if got, want := Tokens("The New York budget, first told in March"), []string{"york", "budget"}; !slices.Equal(got, want) {
		t.Errorf("Tokens = %q, want %q", got, want)
	}
	// A function word ends a name; a common word does not.
	for _, c := range []struct {
		w          string
		stop, skip bool
	}{{"the", true, true}, {"would", true, true}, {"new", false, true}, {"march", false, true}, {"told", false, true},
		{"budget", false, false}, {"york", false, false}, {"nevertheless", false, true}, {"yourselves", true, true}} {
		if stop, skip := stopOf(c.w, hashString(c.w)); stop != c.stop || skip != c.skip {
			t.Errorf("stopOf(%q) = %v, %v; want %v, %v", c.w, stop, skip, c.stop, c.skip)
		}
	}
}

// TestSignatureWordsBeforeNumbers: numbers, which the full ranking's
// query leaves out, take a signature's slots only when the story has too
// few words for it.
func TestSignatureWordsBeforeNumbers(t *testing.T) {
	x := NewWith(Config{HeadlineWeight: 3, BodyWeight: 1, Stem: true, SignatureTerms: 3})
	x.Add(Doc{ID: "a", Headline: "Budget deficit", Body: "1987 1987 1988 1988 4512 4512 budget gap.", PublishedAt: t0})
	x.Add(Doc{ID: "b", Headline: "Budget", Body: "1987 1988 4512 9931.", PublishedAt: t0})
	sig := func(id string) []string {
		d, _ := x.docOf(id)
		tids, _ := x.signature(d)
		var out []string
		for _, tid := range tids {
			out = append(out, string(x.terms.bytes(tid)))
		}
		slices.Sort(out)
		return out
	}
	if got, want := sig("a"), []string{"budget", "deficit", "gap"}; !slices.Equal(got, want) {
		t.Errorf("signature %q, want %q", got, want)
	}
	// One word: the best two numbers (by tf-idf: the ones "a" lacks) fill the rest.
	if got, want := sig("b"), []string{"9931", "budget"}; len(got) != 3 || !slices.Contains(got, "budget") || !slices.Contains(got, "9931") {
		t.Errorf("signature %q, want %q and another number", got, want)
	}
}

// TestQueriesLeaveOutNumbers: a query takes no bare number (unless its
// ranking asks for them, Ranking.Numbers), in an index built story by
// story and in one read back from a snapshot, which learns which terms
// are numbers afresh.
func TestQueriesLeaveOutNumbers(t *testing.T) {
	x := NewWith(Config{HeadlineWeight: 3, BodyWeight: 1, Stem: true, SignatureTerms: 8})
	x.Add(Doc{ID: "a", Headline: "Budget deficit", Body: "1987 1987 1988 1988 4512 4512 budget gap.", PublishedAt: t0})
	x.Add(Doc{ID: "b", Headline: "Budget", Body: "1987 1988 4512 9931 deficit.", PublishedAt: t0})
	y, _ := readBack(t, x)
	numbers := Full
	numbers.Numbers = true
	terms := func(x *Index, r Ranking) (words, nums []string) {
		d, _ := x.docOf("b")
		for _, qt := range x.queryOf(d, &r).terms {
			if w := x.terms.view(qt.tid); allDigits(w) {
				nums = append(nums, w)
			} else {
				words = append(words, w)
			}
		}
		return words, nums
	}
	for name, x := range map[string]*Index{"built": x, "read back": y} {
		words, nums := terms(x, Full)
		if len(nums) != 0 || !slices.Contains(words, "deficit") {
			t.Errorf("%s: query terms %q and numbers %q, want deficit and no number", name, words, nums)
		}
		if _, nums := terms(x, numbers); !slices.Contains(nums, "1987") {
			t.Errorf("%s: with Numbers, query numbers %q, want 1987 among them", name, nums)
		}
	}
}
