package index

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestEntities(t *testing.T) {
	for _, c := range []struct {
		d    Doc
		want []string
	}{
		{Doc{Body: "Mayor Lucia Alvarez met officials from the World Bank in New York on Monday. Alvarez said the U.S. would help."},
			[]string{"alvarez", "lucia alvarez", "new york", "united states", "world bank"}},
		// A capitalised word that only starts a sentence is not a name;
		// one capitalised mid-sentence elsewhere is.
		{Doc{Body: "Officials said little. Crews worked on. Later, Crews from Ohio arrived."},
			[]string{"crews", "ohio"}},
		// Demonyms and acronyms name places and organisations; "WHO" only
		// in capitals.
		{Doc{Body: "French and German ministers met at the WHO. Who knows what they agreed?"},
			[]string{"france", "germany", "world health organization"}},
		// A Title Case or capitals headline yields only gazetteer names.
		{Doc{Headline: "Wildfire Forces Evacuations Near Madrid Hills"}, []string{"madrid"}},
		{Doc{Headline: "BAHIA COCOA REVIEW FROM BRAZIL"}, []string{"brazil"}},
		{Doc{Body: "Hundreds of students and several lecturers at the University of Chicago protested against the fee rise on the main lawn this morning."}, []string{"chicago", "university of chicago"}},
	} {
		if got := Entities(c.d); !slices.Equal(got, c.want) {
			t.Errorf("Entities(%q) = %q, want %q", c.d.Headline+c.d.Body, got, c.want)
		}
	}
}

func TestStem(t *testing.T) {
	for in, want := range map[string]string{"budgets": "budget", "cities": "city", "boxes": "boxe", "bus": "bus", "glass": "glass", "shoes": "shoe", "news": "new", "gas": "gas"} {
		if got := stem(in); got != want {
			t.Errorf("stem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNearDuplicatesCollapse(t *testing.T) {
	x := New()
	city(x, 10)
	body := "The central bank raised interest rates by half a point on Thursday, its third rise this year, citing stubborn inflation in food and energy prices and a tight labour market."
	x.Add(Doc{ID: "wire", Headline: "Central bank raises rates again", Body: body, PublishedAt: at(-5)})
	x.Add(Doc{ID: "copy", Headline: "Central bank raises rates again", Body: body + " Reuters", PublishedAt: at(-4)})
	x.Add(Doc{ID: "other", Headline: "Rate rise hits mortgage holders", Body: "Homeowners face higher mortgage payments after the central bank raised interest rates to fight inflation.", PublishedAt: at(-3)})
	q := Doc{ID: "q", Headline: "Markets weigh the central bank's rate rise", Body: "Investors expect interest rates to stay high as the central bank fights inflation in energy and food prices.", PublishedAt: at(0)}
	x.Add(q)
	got := ids(x.RelatedTo("q", 5, q.PublishedAt))
	if slices.Contains(got, "wire") == slices.Contains(got, "copy") {
		t.Fatalf("related = %v, want exactly one of the two copies", got)
	}
	if !slices.Contains(got, "other") {
		t.Fatalf("related = %v, want the other story too", got)
	}
	// The baseline does not collapse.
	if b := ids(x.Search(Query{ID: "q", K: 5, Ranking: &BM25Baseline})); !slices.Contains(b, "wire") || !slices.Contains(b, "copy") {
		t.Fatalf("baseline = %v, want both copies", b)
	}
	// A copy of the story itself is not related to it.
	if got := ids(x.RelatedTo("copy", 5, time.Time{})); slices.Contains(got, "wire") {
		t.Fatalf("a copy relates its original: %v", got)
	}
}

func TestRecencyBreaksTies(t *testing.T) {
	x := New()
	city(x, 10)
	text := func(n int) string {
		return fmt.Sprintf("Talks between the striking nurses and the health board resumed, round %d, over pay and staffing.", n)
	}
	x.Add(Doc{ID: "old", Headline: "Nurses strike talks resume", Body: text(1), PublishedAt: at(-24 * 300)})
	x.Add(Doc{ID: "recent", Headline: "Nurses strike talks resume", Body: text(2), PublishedAt: at(-24)})
	x.Add(Doc{ID: "q", Headline: "Nurses strike talks resume", Body: text(3), PublishedAt: at(0)})
	got := x.RelatedTo("q", 2, at(0))
	if len(got) != 2 || got[0].Doc.ID != "recent" || got[0].Score <= got[1].Score {
		t.Fatalf("related = %v, want the recent story first", scores(got))
	}
}

func TestTagsCount(t *testing.T) {
	x := New()
	city(x, 10)
	x.Add(Doc{ID: "tagged", Headline: "Budget debate", Body: "The council debated the spending plan.", Tags: []string{"Budget 2027"}, PublishedAt: at(-2)})
	x.Add(Doc{ID: "untagged", Headline: "Budget debate", Body: "Councillors argued late into the night over the spending plan.", PublishedAt: at(-2)})
	x.Add(Doc{ID: "q", Headline: "Budget vote delayed", Body: "The council delayed its vote on the spending plan.", Tags: []string{"budget 2027"}, PublishedAt: at(0)})
	if got := ids(x.RelatedTo("q", 2, at(0))); len(got) != 2 || got[0] != "tagged" {
		t.Fatalf("related = %v, want the story with the same tag first", got)
	}
}

func TestAllowExcludeAndBacklinks(t *testing.T) {
	x := labelledIndex(t)
	// budget-1 is the first budget story: nothing before it...
	if got := ids(x.RelatedTo("budget-1", 3, t0)); slices.Contains(got, "budget-2") {
		t.Fatalf("a later story without Allow: %v", got)
	}
	// ...unless allowed.
	got := ids(x.Search(Query{ID: "budget-1", K: 3, Before: t0, Allow: []string{"budget-2"}}))
	if !slices.Equal(got, []string{"budget-2"}) {
		t.Fatalf("with Allow: %v", got)
	}
	got = ids(x.Search(Query{ID: "budget-3", K: 3, Exclude: []string{"budget-2"}}))
	if slices.Contains(got, "budget-2") || !slices.Contains(got, "budget-1") {
		t.Fatalf("with Exclude: %v", got)
	}
	// Backlinks of budget-3: the other budget stories, scored as their
	// boxes would score budget-3.
	bl := x.Backlinks("budget-3", 3, nil)
	if len(bl) < 2 || !slices.Contains(ids(bl[:2]), "budget-1") || !slices.Contains(ids(bl[:2]), "budget-2") {
		t.Fatalf("backlinks = %v", scores(bl))
	}
	for _, h := range bl {
		if s := x.Score(h.Doc.ID, "budget-3", nil); s != h.Score {
			t.Fatalf("Score(%s, budget-3) = %v, backlink says %v", h.Doc.ID, s, h.Score)
		}
	}
}

func TestPutDeleteSequences(t *testing.T) {
	x := New()
	d := Doc{ID: "a", Headline: "Comet visible tonight", PublishedAt: at(0), Revision: 1}
	if !x.Put(d, 5) || x.Put(d, 5) || x.Put(d, 4) {
		t.Fatal("a put at or below the applied sequence must be ignored")
	}
	if x.Delete("a", 3) {
		t.Fatal("an older delete must be ignored")
	}
	if !x.Delete("a", 6) || x.Has("a") {
		t.Fatal("delete not applied")
	}
	d.Revision = 2
	if x.Put(d, 6) {
		t.Fatal("a put older than the delete brought the story back")
	}
	if !x.Put(d, 7) {
		t.Fatal("a later put must apply")
	}
	if got, ok := x.Get("a"); !ok || got.Revision != 2 || got.Headline != d.Headline || !got.PublishedAt.Equal(d.PublishedAt) {
		t.Fatalf("Get = %+v, %v", got, ok)
	}
}

func TestCompactionKeepsResults(t *testing.T) {
	x := New()
	city(x, 30)
	for i := range 30 {
		x.Add(Doc{ID: fmt.Sprintf("s%d", i), Headline: "Harbour dredging plan", Body: fmt.Sprintf("The harbour board approved dredging phase %d for container ships.", i), PublishedAt: at(i)})
	}
	before := ids(x.RelatedTo("s29", 5, at(29)))
	// Replace every filler story twice: dead postings pile up and are
	// compacted away.
	for round := range 2 {
		for i := range 30 {
			x.Add(Doc{ID: fmt.Sprintf("filler-%d", i), Headline: fmt.Sprintf("City notes %d", i), Body: fmt.Sprintf("The city held event number %d downtown, round %d.", i, round), PublishedAt: at(-100 + i)})
		}
	}
	if st := x.Stats(); st.DeadPostings*5 > st.Postings+st.DeadPostings {
		t.Fatalf("dead postings not compacted: %+v", st)
	}
	if after := ids(x.RelatedTo("s29", 5, at(29))); !slices.Equal(before, after) {
		t.Fatalf("related changed from %v to %v", before, after)
	}
	if x.Len() != 60 {
		t.Fatalf("Len = %d", x.Len())
	}
}
