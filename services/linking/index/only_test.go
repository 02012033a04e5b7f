package index_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"newsroom.dev/services/linking/index"
	"newsroom.dev/services/linking/internal/synth"
)

// A search restricted to Only ranks those stories and no others: it
// takes a later one among them (Before does not apply), drops an
// excluded one, one taken down and one that shares no query term, and
// never finds the archive's better matches outside them.
func TestOnlyRanksOnlyThoseStories(t *testing.T) {
	x := index.New()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	add := func(id string, h int, headline, body string) {
		x.Add(index.Doc{ID: id, Headline: headline, Body: body, PublishedAt: t0.Add(time.Duration(h) * time.Hour)})
	}
	add("best", 1, "Reservoirs empty as drought deepens", "Months without rain left the reservoirs empty; farmers fear the drought will ruin the harvest.")
	add("weak", 2, "Farmers meet on harvest prices", "Farmers met to discuss harvest prices and the cost of feed.")
	add("excluded", 3, "Drought hits farmers", "The drought hit farmers hard as reservoirs fell.")
	add("gone", 4, "Reservoirs at record lows in drought", "Reservoirs fell to record lows in the drought.")
	add("unrelated", 5, "Lemon tart recipe", "Bake the pastry blind, then fill it with lemon curd.")
	add("story", 10, "Drought forces water rationing", "With reservoirs empty after months without rain, the drought forces rationing; farmers fear for the harvest.")
	add("later", 20, "Rationing eases as rain returns to reservoirs", "Rain returned to the reservoirs and the drought rationing eased for farmers.")
	x.Delete("gone", 0)

	full := x.Search(index.Query{ID: "story", K: 10, Before: t0.Add(10 * time.Hour)})
	if !slices.Contains(hitIDs(full), "best") {
		t.Fatalf("full search = %v, want the best match in it", hitIDs(full))
	}
	got := x.Search(index.Query{
		ID: "story", K: 10, Before: t0.Add(10 * time.Hour),
		Only:    []string{"weak", "later", "excluded", "gone", "unrelated", "story", "weak", "nobody"},
		Exclude: []string{"excluded"},
	})
	ids := hitIDs(got)
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"later", "weak"}) {
		t.Fatalf("restricted search = %v, want [later weak]", hitIDs(got))
	}
	if got[0].Score < got[1].Score {
		t.Fatalf("restricted search not best first: %v", got)
	}
}

// On an archive of news-like stories, a search restricted to the stories
// a full search found finds them all again, with the same scores: a
// candidate's score does not depend on how it was found.
func TestOnlyScoresAsTheFullSearch(t *testing.T) {
	const n = 600
	a := synth.New(n, 7)
	x := index.New()
	for i := range n {
		x.Add(a.Story(i))
	}
	checked := 0
	for i := 100; i < n; i += 25 {
		d := a.Story(i)
		full := x.Search(index.Query{ID: d.ID, K: 10, Before: d.PublishedAt})
		if len(full) < 3 {
			continue
		}
		checked++
		got := x.Search(index.Query{ID: d.ID, K: 10, Before: d.PublishedAt, Only: hitIDs(full)})
		want := map[string]float64{}
		for _, h := range full {
			want[h.Doc.ID] = h.Score
		}
		if len(got) != len(full) {
			t.Fatalf("%s: restricted %v, full %v", d.ID, hitIDs(got), hitIDs(full))
		}
		for _, h := range got {
			w, ok := want[h.Doc.ID]
			if !ok || math.Abs(h.Score-w) > 1e-9*math.Max(1, w) {
				t.Fatalf("%s: %s scores %v restricted, %v (found: %t) in the full search", d.ID, h.Doc.ID, h.Score, w, ok)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d stories had a box to check", checked)
	}
}

func hitIDs(hits []index.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Doc.ID)
	}
	return out
}
