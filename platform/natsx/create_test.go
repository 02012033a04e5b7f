package natsx_test

import (
	"testing"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/natsx"
)

// Create writes a new key without reading it first, and on a key that
// exists after all (written by another store, so not cached) decides on
// the record as stored, never on the empty guess.
func TestStoreCreate(t *testing.T) {
	ctx, n, s, st := setup(t)
	var seen []bool
	record := func(cur *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
		seen = append(seen, exists)
		return bump(cur, exists)
	}
	a, err := s.Create(ctx, "a1", record)
	if err != nil {
		t.Fatal(err)
	}
	if a.Revision != 1 || len(seen) != 1 || seen[0] {
		t.Fatalf("new key: revision %d, fn saw exists=%v; want 1 and one call with false", a.Revision, seen)
	}
	// Another store (a replica) has no copy: its Create guesses wrong.
	other := newStore(t, ctx, n)
	seen = nil
	a, err = other.Create(ctx, "a1", record)
	if err != nil {
		t.Fatal(err)
	}
	if a.Revision != 2 || len(seen) != 2 || seen[0] || !seen[1] {
		t.Errorf("existing key: revision %d, fn saw exists=%v; want 2, [false true]", a.Revision, seen)
	}
	if got, _, err := s.Get(ctx, "a1"); err != nil || got.Revision != 2 {
		t.Errorf("stored revision %d (%v), want 2", got.GetRevision(), err)
	}
	// A function that declines on the empty guess is asked again on the
	// record as stored.
	seen = nil
	third := newStore(t, ctx, n)
	a, err = third.Create(ctx, "a1", func(cur *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
		seen = append(seen, exists)
		if !exists {
			return nil, nil, natsx.ErrNoChange
		}
		return bump(cur, exists)
	})
	if err != nil || a.Revision != 3 || len(seen) != 2 {
		t.Errorf("declined guess: revision %d, %v, fn saw %v; want 3, [false true]", a.GetRevision(), err, seen)
	}
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 3 {
		t.Errorf("%d events, want 3", len(msgs))
	}
}
