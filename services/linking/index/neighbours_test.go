package index

import (
	"slices"
	"testing"
)

// TestNeighboursFavourTheSubject: four stories on the query's subject,
// each sharing part of its words and much of one another's, and one that
// shares more of the query's words but nothing else. Without neighbours
// the outlier comes first; the full ranking, which asks too how like the
// best candidates a candidate is, puts a subject story first.
func TestNeighboursFavourTheSubject(t *testing.T) {
	x := New()
	city(x, 10)
	add := func(id, headline, body string, h int) {
		x.Add(Doc{ID: id, Headline: headline, Body: body, PublishedAt: at(h)})
	}
	add("strike-1", "Copper miners strike at Escondida", "Miners at the Escondida copper pit walked out over wages; smelter output and concentrate shipments stopped as the union picketed the pit.", -50)
	add("strike-2", "Escondida union rejects wage offer", "The union at the Escondida copper pit rejected the wage offer; concentrate shipments and smelter deliveries stay halted by the pickets.", -40)
	add("strike-3", "Pickets hold at Escondida pit", "Pickets kept the Escondida copper pit shut for a second week; the union said the wage offer ignored smelter bonuses and concentrate quotas.", -30)
	add("strike-4", "Escondida strike ends with wage deal", "The union accepted a wage deal and lifted the pickets at the Escondida copper pit; concentrate shipments to the smelter resume.", -20)
	add("outlier", "Atacama desert telescope opens", "Miners of data at the Atacama telescope study copper-red stars; the desert site opened after a strike of lightning delayed the wages of crews.", -10)
	q := Doc{ID: "q", Headline: "Atacama copper miners strike over wages", Body: "Miners in the Atacama desert went on strike over wages at a copper mine, the union said.", PublishedAt: at(0)}
	x.Add(q)

	base := ids(x.Search(Query{ID: "q", K: 5, Ranking: &BM25Baseline}))
	// Names counting as other words, so that only the neighbours move
	// the outlier ("Atacama" is a name: at the names' lower weight the
	// outlier is behind a subject story even without neighbours).
	nb := Full
	nb.NameWeight, nb.NeighbourNameWeight = 0, 0
	noNb := nb
	noNb.Neighbours = 0
	plain := ids(x.Search(Query{ID: "q", K: 5, Ranking: &noNb}))
	withNb := x.Search(Query{ID: "q", K: 5, Ranking: &nb})
	got := ids(withNb)
	full := ids(x.Search(Query{ID: "q", K: 5}))
	t.Logf("baseline %v, without names' weight: without neighbours %v, with %v (scores %v); full %v", base, plain, got, scores(withNb), full)
	if len(plain) == 0 || plain[0] != "outlier" {
		t.Fatalf("without neighbours the outlier should come first (it shares most of the query's words), got %v", plain)
	}
	if len(got) != 5 || got[0] == "outlier" || slices.Index(got, "outlier") <= slices.Index(plain, "outlier") {
		t.Fatalf("with neighbours %v: want the outlier moved down, behind a subject story", got)
	}
	if len(full) != 5 || full[0] == "outlier" {
		t.Fatalf("full ranking %v: want a subject story first", full)
	}
}
