package index

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }

func ids(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Doc.ID)
	}
	return out
}

// city returns filler stories that all mention the city, so "city" is a
// common word with a low idf.
func city(x *Index, n int) {
	for i := range n {
		x.Add(Doc{
			ID:          fmt.Sprintf("filler-%d", i),
			Headline:    fmt.Sprintf("City notes %d", i),
			Body:        fmt.Sprintf("The city held event number %d downtown with music and food stalls.", i),
			PublishedAt: at(-100 + i),
		})
	}
}

func TestRelatedRanksSameTopicAboveCommonWord(t *testing.T) {
	x := New()
	city(x, 8)
	x.Add(Doc{
		ID:          "drought",
		Headline:    "Drought empties reservoirs",
		Body:        "Months without rain have left the reservoirs at record lows and farmers fear for the harvest.",
		Tags:        []string{"drought", "water"},
		PublishedAt: at(-10),
	})
	x.Add(Doc{
		ID:       "budget",
		Headline: "City budget passes",
		// Says "city" often, so a ranking without idf or tf saturation
		// would put it first.
		Body:        "The city council passed the city budget; city parks and city libraries get more city money.",
		PublishedAt: at(-5),
	})
	q := Doc{
		ID:          "new",
		Headline:    "City rations water as drought deepens",
		Body:        "With reservoirs nearly empty after months without rain, the city will ration water.",
		Tags:        []string{"drought"},
		PublishedAt: at(0),
	}
	x.Add(q)
	hits := x.Related(q, 5, q.PublishedAt)
	got := ids(hits)
	if len(got) == 0 || got[0] != "drought" {
		t.Fatalf("related = %v, want the drought story first", got)
	}
	if i := slices.Index(got, "budget"); i >= 0 && hits[i].Score >= hits[0].Score/2 {
		t.Errorf("budget story scored %.3f, too close to the drought story's %.3f", hits[i].Score, hits[0].Score)
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Score > hits[i-1].Score {
			t.Errorf("hits not sorted by score: %v", hits)
		}
	}
}

func TestRelatedOnlyEarlierStoriesAndNeverItself(t *testing.T) {
	x := New()
	bodies := map[string]string{
		"q":         "Lava and ash from the volcano forced the village to evacuate.",
		"earlier":   "Scientists warned the village that the volcano showed signs of waking.",
		"same-time": "Ash from the volcano grounded flights as the village emptied.",
		"later":     "The village counts the cost after the volcano quietened.",
	}
	mk := func(id string, h int) Doc {
		return Doc{ID: id, Headline: "Volcano near village", Body: bodies[id], PublishedAt: at(h)}
	}
	q := mk("q", 0)
	for _, d := range []Doc{mk("earlier", -2), mk("same-time", 0), mk("later", 3), q} {
		x.Add(d)
	}
	got := ids(x.Related(q, 5, q.PublishedAt))
	if !slices.Equal(got, []string{"earlier"}) {
		t.Fatalf("related = %v, want only [earlier]", got)
	}
	// Without a time bound every other story is a candidate, still never q.
	got = ids(x.Related(q, 5, time.Time{}))
	slices.Sort(got)
	if !slices.Equal(got, []string{"earlier", "later", "same-time"}) {
		t.Fatalf("unbounded related = %v", got)
	}
}

func TestRelatedTopK(t *testing.T) {
	x := New()
	for i := range 9 {
		x.Add(Doc{ID: fmt.Sprintf("s%d", i), Headline: "Election results", Body: fmt.Sprintf("Votes counted in the election in district %d: turnout %d percent.", i, 40+i), PublishedAt: at(i)})
	}
	if got := x.RelatedTo("s8", 5, at(8)); len(got) != 5 {
		t.Fatalf("got %d hits, want 5", len(got))
	}
	if got := x.RelatedTo("missing", 5, at(8)); got != nil {
		t.Fatalf("unknown id: got %v", got)
	}
	if got := x.RelatedTo("s8", 0, at(8)); got != nil {
		t.Fatalf("k=0: got %v", got)
	}
}

func TestHeadlineOutweighsBody(t *testing.T) {
	x := New()
	city(x, 4)
	x.Add(Doc{ID: "head", Headline: "Glacier retreats", Body: "Measurements taken this summer show a steady loss.", PublishedAt: at(-3)})
	x.Add(Doc{ID: "body", Headline: "Summer measurements", Body: "Scientists report the glacier shows a steady loss.", PublishedAt: at(-3)})
	q := Doc{ID: "q", Headline: "Glacier", PublishedAt: at(0)}
	got := ids(x.Related(q, 5, q.PublishedAt))
	if len(got) != 2 || got[0] != "head" {
		t.Fatalf("related = %v, want [head body]", got)
	}
}

func TestRemoveAndReplace(t *testing.T) {
	x := New()
	x.Add(Doc{ID: "a", Headline: "Comet visible tonight", PublishedAt: at(-2)})
	x.Add(Doc{ID: "b", Headline: "Comet tail photographed", PublishedAt: at(-1)})
	q := Doc{ID: "q", Headline: "Comet fades", PublishedAt: at(0)}
	if got := ids(x.Related(q, 5, q.PublishedAt)); len(got) != 2 {
		t.Fatalf("related = %v, want a and b", got)
	}
	x.Remove("a")
	x.Remove("a") // twice is harmless
	if got := ids(x.Related(q, 5, q.PublishedAt)); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("after remove: related = %v, want [b]", got)
	}
	// Replacing b with a story on another topic drops it too.
	x.Add(Doc{ID: "b", Headline: "Ferry timetable changes", PublishedAt: at(-1)})
	if got := x.Related(q, 5, q.PublishedAt); len(got) != 0 {
		t.Fatalf("after replace: related = %v, want none", ids(got))
	}
	if x.Len() != 1 {
		t.Fatalf("Len = %d, want 1", x.Len())
	}
	if _, ok := x.Get("a"); ok {
		t.Fatal("removed doc still returned by Get")
	}
	x.Remove("b")
	if st := x.Stats(); st.Stories != 0 || st.Postings != 0 || x.totalLen != 0 {
		t.Fatalf("empty index keeps %+v, total length %d", st, x.totalLen)
	}
}

func TestTokens(t *testing.T) {
	got := Tokens("The Mayor's São Paulo plan: 2026 budget—and the CAFÉ tax!")
	want := []string{"mayor", "são", "paulo", "plan", "2026", "budget", "café", "tax"}
	if !slices.Equal(got, want) {
		t.Fatalf("Tokens = %q, want %q", got, want)
	}
}
