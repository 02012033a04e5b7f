package index

import (
	"slices"
	"testing"
)

// TestNameTermsMarked: the words of a story's named entities are marked
// as such, in its prepared terms and in its signature, and no others.
func TestNameTermsMarked(t *testing.T) {
	x := New()
	d := Doc{ID: "a", Headline: "Budget cuts overtime", Body: "Mayor Lucia Alvarez presented a budget that cuts overtime at the World Bank offices in Valencia. Alvarez said hiring stops."}
	p := x.Prepare(d)
	var names []string
	for i, tm := range p.terms {
		if p.name != nil && p.name[i] {
			names = append(names, tm)
		}
	}
	slices.Sort(names)
	if want := []string{"alvarez", "bank", "lucia", "valencia", "world"}; !slices.Equal(names, want) {
		t.Fatalf("name terms %q, want %q", names, want)
	}
	x.PutPrepared(p, 0)
	tids, fs := x.signature(0)
	for i, tid := range tids {
		tm := string(x.terms.bytes(tid))
		if got := fs[i]&sigName != 0; got != slices.Contains(names, tm) {
			t.Errorf("signature term %q: name bit %v", tm, got)
		}
		if fs[i]&sigTF == 0 {
			t.Errorf("signature term %q: no frequency", tm)
		}
	}
}

// TestNamesCountForLess: a story that shares a query story's subject
// ranks above one that shares only its names (the same company, the
// same town), which it would not if names counted as much as other
// words.
func TestNamesCountForLess(t *testing.T) {
	x := New()
	city(x, 10)
	add := func(id, headline, body string, h int) {
		x.Add(Doc{ID: id, Headline: headline, Body: body, PublishedAt: at(h)})
	}
	add("subject", "Dairy plant to close", "A dairy cooperative will close its cheese plant and cut jobs as milk output moves south.", -20)
	add("names", "Halvorsen Foods opens Bergen office", "Halvorsen Foods opened an office in Bergen; Halvorsen Foods chairman Ingrid Dahl said Bergen suited Halvorsen Foods, and Dahl thanked Bergen officials. Dahl will chair Halvorsen Foods in Bergen.", -10)
	add("q", "Halvorsen Foods cuts dairy jobs in Bergen", "Halvorsen Foods will close a dairy plant near Bergen and cut 200 jobs, chairman Ingrid Dahl said, blaming milk prices; unions condemned the job cuts.", 0)

	even := Full
	even.NameWeight, even.NeighbourNameWeight = 0, 0
	plain := ids(x.Search(Query{ID: "q", K: 2, Ranking: &even}))
	got := ids(x.Search(Query{ID: "q", K: 2}))
	t.Logf("names counting in full %v, full %v", plain, got)
	if len(plain) != 2 || plain[0] != "names" {
		t.Fatalf("with names counting as much as other words, want the story sharing only names first, got %v", plain)
	}
	if len(got) != 2 || got[0] != "subject" {
		t.Fatalf("full ranking %v: want the story on the subject first", got)
	}
}
