package index

import (
	"bytes"
	"slices"
	"testing"
)

// readBack returns x as read back from a snapshot of it, and the snapshot.
func readBack(t *testing.T, x *Index) (*Index, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := x.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	y, err := ReadSnapshot(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return y, buf.Bytes()
}

func TestSnapshotRoundTrip(t *testing.T) {
	x := labelledIndex(t)
	x.Remove("f-1")
	x.Add(Doc{ID: "f-2", Headline: "Train fares to rise in February", Body: "Operators delayed the rise by a month.", PublishedAt: t0})
	x.Put(Doc{ID: "late", Headline: "Late story", PublishedAt: t0}, 42)
	y, snap := readBack(t, x)
	if x.Len() != y.Len() || x.Stats().Postings != y.Stats().Postings || y.Seq("late") != 42 || y.Has("f-1") {
		t.Fatalf("loaded %+v, was %+v", y.Stats(), x.Stats())
	}
	for _, s := range labelledSet {
		a, b := x.RelatedTo(s.id, 5, t0.AddDate(0, 0, s.day)), y.RelatedTo(s.id, 5, t0.AddDate(0, 0, s.day))
		if !slices.Equal(scores(a), scores(b)) {
			t.Fatalf("%s: %v before, %v after", s.id, scores(a), scores(b))
		}
	}
	// The loaded index takes new stories like any other.
	y.Add(Doc{ID: "budget-4", Headline: "Alvarez budget signed into law", Body: "Alvarez signed the budget; the deficit is closed and the hiring freeze begins.", PublishedAt: t0.AddDate(0, 0, 12)})
	if got := ids(y.RelatedTo("budget-4", 3, t0.AddDate(0, 0, 12))); len(got) == 0 || got[0][:6] != "budget" {
		t.Fatalf("after load and add: %v", got)
	}
	if _, err := ReadSnapshot(bytes.NewReader([]byte("not a snapshot"))); err == nil {
		t.Fatal("garbage loaded")
	}
	if _, err := ReadSnapshot(bytes.NewReader(snap[:len(snap)/2])); err == nil {
		t.Fatal("a truncated snapshot loaded")
	}
}
