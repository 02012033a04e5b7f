package index

import (
	"slices"
	"testing"
)

// TestLedeTermsMarked: the words of the body's first LedeWords words,
// and no others, are marked as the lede, in the prepared story and in
// its signature, and count LedeWeight more than the rest of the body;
// a body no longer than the lede has none.
func TestLedeTermsMarked(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LedeWords, cfg.LedeWeight = 6, 2
	x := NewWith(cfg)
	// Words 0 to 5 are the lede ("the" is a stop word but counts).
	d := Doc{ID: "a", Headline: "Harbour report", Body: "Dockers strike the harbour over wages. Ferries and freight wait while talks drag on."}
	p := x.Prepare(d)
	var lede []string
	tf := map[string]uint16{}
	for i, tm := range p.terms {
		if p.lede != nil && p.lede[i] {
			lede = append(lede, tm)
		}
		tf[tm] = p.tfs[i]
	}
	slices.Sort(lede)
	if want := []string{"docker", "harbour", "strike", "wage"}; !slices.Equal(lede, want) {
		t.Fatalf("lede terms %q, want %q", lede, want)
	}
	// Body weight 1 plus the lede's 2; the headline's 3 on top for
	// "harbour"; a word past the lede counts the body's weight only.
	for tm, want := range map[string]uint16{"docker": 3, "harbour": 6, "ferry": 1, "report": 3} {
		if tf[tm] != want {
			t.Errorf("tf(%q) = %d, want %d", tm, tf[tm], want)
		}
	}
	x.PutPrepared(p, 0)
	tids, fs := x.signature(0)
	for i, tid := range tids {
		tm := string(x.terms.bytes(tid))
		if got := fs[i]&sigLede != 0; got != slices.Contains(lede, tm) {
			t.Errorf("signature term %q: lede bit %v", tm, got)
		}
		if int(fs[i]&sigTF) != int(min(tf[tm], sigTF)) {
			t.Errorf("signature term %q: frequency %d, want %d", tm, fs[i]&sigTF, tf[tm])
		}
	}

	// A body no longer than the lede has none: all of it is its first
	// sentence, and it counts as any body does.
	short := Doc{ID: "b", Headline: "Harbour report", Body: "Dockers strike the harbour over wages."}
	cfg.LedeWords = 6
	if p := NewWith(cfg).Prepare(short); p.lede != nil {
		t.Errorf("a six-word body's lede marked with LedeWords 6: %v", p.lede)
	} else if i := slices.Index(p.terms, "docker"); i < 0 || p.tfs[i] != 1 {
		t.Errorf("a six-word body: docker at %d, tfs %v, want it once", i, p.tfs)
	}
	cfg.LedeWords = 5
	if p := NewWith(cfg).Prepare(short); p.lede == nil {
		t.Errorf("a six-word body's first five words not marked with LedeWords 5")
	}

	// No lede configured: nothing is marked.
	cfg.LedeWords = 0
	if p := NewWith(cfg).Prepare(d); p.lede != nil {
		t.Errorf("lede marked with LedeWords 0: %v", p.lede)
	}
}
