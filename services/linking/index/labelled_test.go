package index

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// The labelled set: short stories in clusters, each cluster one story as
// it develops, plus distractors that share a cluster's people or places
// but not its story. An editor would link a cluster's stories to one
// another and never to a distractor, however often it names the same
// mayor or city.
type labelled struct {
	id, cluster string
	day         int
	headline    string
	body        string
	tags        []string
}

var labelledSet = []labelled{
	// The mayor's budget, and the same mayor's wedding.
	{"budget-1", "budget", 0, "Mayor Alvarez unveils a leaner city budget",
		"Mayor Lucia Alvarez presented a budget that cuts overtime and freezes hiring to close a $40 million deficit. The council will hold hearings on the spending plan next week.", []string{"city hall", "budget"}},
	{"budget-2", "budget", 3, "Council hearings open on the Alvarez budget",
		"Unions told the council that the hiring freeze in the budget would leave libraries short-staffed. Alvarez defended the overtime cuts as the only way to close the deficit.", []string{"budget"}},
	{"budget-3", "budget", 9, "Council passes budget after overtime compromise",
		"The council approved the spending plan 7-2 after Alvarez agreed to restore some library overtime; the deficit is closed with a smaller hiring freeze.", []string{"city hall", "budget"}},
	{"wedding", "", 5, "Mayor Alvarez marries longtime partner",
		"Mayor Lucia Alvarez married her longtime partner in a small ceremony at City Hall on Saturday. Alvarez, who took office last year, thanked well-wishers and the council members who attended.", []string{"city hall", "people"}},

	// A port strike in Rotterdam, and Rotterdam's football club.
	{"strike-1", "strike", 1, "Dockworkers strike halts Rotterdam port",
		"Container terminals in Rotterdam stood idle as dockworkers walked out over automation plans. Shipping lines diverted vessels to Antwerp while the union and terminal operators traded blame.", []string{"labour", "shipping"}},
	{"strike-2", "strike", 4, "Ships queue off Rotterdam as dock strike enters fourth day",
		"Dozens of container ships waited at anchor as the strike by dockworkers over automated cranes continued. Terminal operators offered retraining; the union rejected it.", []string{"labour", "shipping"}},
	{"strike-3", "strike", 8, "Rotterdam dockworkers end strike with automation deal",
		"The union accepted a deal limiting automated cranes at two terminals and guaranteeing jobs, ending the strike that had left container ships queuing outside the port.", []string{"labour"}},
	{"football", "", 6, "Rotterdam side wins the cup final",
		"Feyenoord beat their rivals 2-0 in the cup final, and thousands of fans celebrated in the streets of Rotterdam near the port late into the night.", []string{"sport"}},

	// A takeover, and the same company's product launch.
	{"deal-1", "deal", 2, "Halvorsen Foods bids for Brightwater Dairy",
		"Halvorsen Foods offered $1.2 billion for Brightwater Dairy, a premium of 30 percent over its share price. Brightwater's board said it would study the takeover offer.", []string{"business", "mergers"}},
	{"deal-2", "deal", 5, "Brightwater board rejects Halvorsen takeover offer",
		"Brightwater Dairy's board rejected the $1.2 billion bid from Halvorsen Foods as too low and urged shareholders to ignore the offer.", []string{"business", "mergers"}},
	{"deal-3", "deal", 10, "Halvorsen raises Brightwater bid, wins board backing",
		"Halvorsen Foods raised its offer for Brightwater Dairy to $1.4 billion, and Brightwater's board recommended that shareholders accept the takeover.", []string{"business", "mergers"}},
	{"launch", "", 7, "Halvorsen Foods launches plant-based range",
		"Halvorsen Foods unveiled a range of plant-based yoghurts and cheeses, saying demand from younger shoppers had doubled. Halvorsen's chief executive presented the products in Oslo.", []string{"business", "food"}},

	// Floods in Valencia, and a festival there.
	{"flood-1", "flood", 0, "Flash floods sweep through Valencia",
		"Torrential rain flooded streets across Valencia overnight, sweeping away cars and trapping residents in their homes. Emergency services rescued dozens by boat.", []string{"weather", "disaster"}},
	{"flood-2", "flood", 2, "Death toll from Valencia floods rises",
		"Rescuers searching flooded villages around Valencia found more victims as the water receded. Residents criticised the late flood warnings.", []string{"weather", "disaster"}},
	{"flood-3", "flood", 6, "Spain pledges aid to rebuild after Valencia floods",
		"The government approved emergency aid for homes and farms destroyed by the floods around Valencia, and promised an inquiry into the warnings.", []string{"disaster"}},
	{"fallas", "", 4, "Valencia lights up for Fallas festival",
		"Crowds packed Valencia for the Fallas festival, as giant papier-mache figures were burned in the streets and fireworks lit up the city.", []string{"culture"}},

	// A senator's climate bill, and the same senator's health.
	{"climate-1", "climate", 1, "Senator Reyes introduces carbon tax bill",
		"Senator Marisol Reyes introduced a bill that would tax carbon emissions from power plants and return the revenue to households as a rebate.", []string{"climate", "congress"}},
	{"climate-2", "climate", 5, "Carbon tax bill clears Senate committee",
		"The carbon tax bill sponsored by Reyes cleared the energy committee on a party-line vote; utilities warned that power prices would rise.", []string{"climate", "congress"}},
	{"climate-3", "climate", 11, "Senate passes Reyes carbon tax with household rebate",
		"The Senate passed the carbon tax on power plant emissions after Reyes agreed to phase it in; households will get a rebate from the revenue.", []string{"climate", "congress"}},
	{"hospital", "", 8, "Senator Reyes recovering after surgery",
		"Senator Marisol Reyes is recovering after knee surgery and expects to return to the Senate next week, her office said. Reyes thanked the hospital staff.", []string{"congress", "people"}},

	// Filler: other stories, so that document frequencies mean something.
	{"f-1", "", 0, "Heatwave warnings across the south", "Forecasters warned of temperatures above 40C and urged people to stay indoors.", nil},
	{"f-2", "", 1, "Train fares to rise in January", "Rail operators will raise fares by 4 percent, blaming energy costs.", nil},
	{"f-3", "", 2, "New bridge opens to traffic", "The suspension bridge opened after five years of construction and delays.", nil},
	{"f-4", "", 3, "School results improve in maths", "Exam results showed the best maths grades in a decade.", nil},
	{"f-5", "", 4, "Museum returns looted statues", "The museum handed back three bronze statues taken during the colonial era.", nil},
	{"f-6", "", 5, "Airline adds routes to Asia", "The airline will fly to Hanoi and Manila from the spring.", nil},
}

func labelledIndex(t *testing.T) *Index {
	t.Helper()
	x := New()
	for _, s := range labelledSet {
		x.Add(Doc{ID: s.id, Headline: s.headline, Body: s.body, Tags: s.tags, PublishedAt: t0.AddDate(0, 0, s.day)})
	}
	return x
}

// TestLabelledSameStoryBeatsSharedName is the labelled set's check: for
// the latest story of each cluster, the cluster's earlier stories rank
// above every other story, in particular the one that shares only its
// names and places.
func TestLabelledSameStoryBeatsSharedName(t *testing.T) {
	x := labelledIndex(t)
	for _, q := range labelledSet {
		if q.cluster == "" {
			continue
		}
		var want []string
		for _, s := range labelledSet {
			if s.cluster == q.cluster && s.day < q.day {
				want = append(want, s.id)
			}
		}
		if len(want) == 0 {
			continue
		}
		t.Run(q.id, func(t *testing.T) {
			hits := x.RelatedTo(q.id, 5, t0.AddDate(0, 0, q.day))
			got := ids(hits)
			if len(got) < len(want) {
				t.Fatalf("related = %v, want %v first", got, want)
			}
			head := slices.Clone(got[:len(want)])
			slices.Sort(head)
			if !slices.Equal(head, want) {
				t.Fatalf("related = %v (scores %v), want %v first", got, scores(hits), want)
			}
		})
	}
}

// TestLabelledDistractorNeverFirst: a distractor published after a
// cluster's story, as a candidate of a later cluster story, never beats
// the cluster: the wedding is not the budget story's best match.
func TestLabelledDistractorNeverFirst(t *testing.T) {
	x := labelledIndex(t)
	for q, distractor := range map[string]string{"budget-3": "wedding", "strike-3": "football", "deal-3": "launch", "flood-3": "fallas", "climate-3": "hospital"} {
		hits := x.RelatedTo(q, 5, time.Time{})
		got := ids(hits)
		if i := slices.Index(got, distractor); i >= 0 && i < 2 {
			t.Errorf("%s: %s ranked %d in %v (scores %v)", q, distractor, i+1, got, scores(hits))
		}
	}
}

// TestLabelledFullBeatsBaselineOnDistractors reports how the baseline
// does on the same set: it is not asserted to fail, only that the full
// ranking is at least as good.
func TestLabelledFullBeatsBaselineOnDistractors(t *testing.T) {
	x := labelledIndex(t)
	score := func(r *Ranking) int {
		good := 0
		for _, q := range labelledSet {
			if q.cluster == "" {
				continue
			}
			hits := x.Search(Query{ID: q.id, K: 3, Ranking: r})
			if len(hits) > 0 {
				for _, s := range labelledSet {
					if s.id == hits[0].Doc.ID && s.cluster == q.cluster {
						good++
					}
				}
			}
		}
		return good
	}
	full, base := score(&Full), score(&BM25Baseline)
	t.Logf("first related story from the same cluster: full %d, baseline %d of 15", full, base)
	if full < base || full < 15 {
		t.Fatalf("full ranking: %d of 15 right, baseline %d", full, base)
	}
}

func scores(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s:%.3f", h.Doc.ID, h.Score))
	}
	return out
}
