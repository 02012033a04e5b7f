package drafting

import (
	"slices"
	"testing"
	"time"
)

func TestIDsSortByTime(t *testing.T) {
	g := newIDGen()
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	seen := map[string]bool{}
	for i := range 2000 {
		// Many ids per millisecond, a clock that stands still, then steps back.
		now := base.Add(time.Duration(i/100) * time.Millisecond)
		if i == 1500 {
			base = base.Add(-time.Second)
		}
		id := g.next(now)
		if !validID(id) {
			t.Fatalf("invalid id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if !slices.IsSorted(ids) {
		t.Error("ids made later do not sort later")
	}
	// Across generators (replicas), a later millisecond still sorts later.
	a := newIDGen().next(base)
	b := newIDGen().next(base.Add(time.Millisecond))
	if a >= b {
		t.Errorf("%s >= %s", a, b)
	}
	for _, bad := range []string{"", "short", "UPPERCASE0000000", "0000000000000000x", "abc.def/ghi-jklm"} {
		if validID(bad) {
			t.Errorf("validID(%q)", bad)
		}
	}
}
