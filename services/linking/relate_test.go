package linking

import (
	"slices"
	"testing"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	"newsroom.dev/platform/natsx"
)

// A forward link rewrites a box only if the new story enters it: a box
// whose recomputation differs from what is stored (the scores drifted) is
// left alone by a forward link that does not enter, and stored by the
// next refresh made for a reason of its own.
func TestForwardLinkThatDoesNotEnterLeavesTheBox(t *testing.T) {
	e := start(t, "", 1)
	cook1 := story("cook1", 5, "Lemon tart recipe for spring",
		"Bake the pastry blind, then fill it with lemon curd and chill overnight.", "food")
	for _, a := range []*articlev1.Article{fire1, match1, fire2, fire3, cook1} {
		e.handled(e.publish(a, 0))
	}
	s := e.svcs[0]
	stored := e.related("fire3", 0)
	if len(stored) < 2 {
		t.Fatalf("fire3's box = %v, want at least two stories", ids(stored))
	}
	// Store the box reversed, as if the ranking had drifted since.
	drifted := slices.Clone(stored)
	slices.Reverse(drifted)
	if _, err := s.related.Update(e.ctx, "fire3", func(cur *linkingv1.RelatedUpdated, _ bool) (*linkingv1.RelatedUpdated, []natsx.Event, error) {
		return &linkingv1.RelatedUpdated{Meta: cur.GetMeta(), Related: drifted}, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	d, _ := s.index().Get("fire3")
	c, err := s.readCuration(e.ctx, "fire3")
	if err != nil {
		t.Fatal(err)
	}
	if has(s.compute(d, drifted, c, []string{"cook1"}), "cook1") {
		t.Fatal("the recipe would enter fire3's box; the test needs a story that does not")
	}
	rev := kvRevision(t, e, BucketRelated, "fire3")
	events := len(e.updatesFor("fire3"))

	if err := s.refresh(e.ctx, "fire3", false, "cook1"); err != nil {
		t.Fatal(err)
	}
	if got := kvRevision(t, e, BucketRelated, "fire3"); got != rev {
		t.Fatalf("a forward link that does not enter rewrote the box (revision %d → %d)", rev, got)
	}
	if got := ids(e.related("fire3", 0)); !slices.Equal(got, ids(drifted)) {
		t.Fatalf("box = %v, want the stored %v", got, ids(drifted))
	}

	// A refresh of the box itself stores the recomputed order, announced.
	if err := s.refresh(e.ctx, "fire3", false); err != nil {
		t.Fatal(err)
	}
	if got := ids(e.related("fire3", 0)); !slices.Equal(got, ids(stored)) {
		t.Fatalf("box after a refresh = %v, want %v", got, ids(stored))
	}
	if n := len(e.updatesFor("fire3")); n != events+1 {
		t.Fatalf("%d RelatedUpdated of fire3 after the refresh, want %d", n, events+1)
	}
}

// TestBoxCatchesUpWithAnEarlierStoryHandledLater: stories are handled
// several at a time, so a story can be handled before one published
// earlier. Its box, computed without that story, must catch up when the
// earlier one is handled, however weak the match (here no match reaches
// MinForward): it is not a forward link but the box it would have had.
func TestBoxCatchesUpWithAnEarlierStoryHandledLater(t *testing.T) {
	e := startWith(t, "", 1, Config{MinForward: 1e9})
	e.handled(e.publish(fire2, 0)) // day 2, handled first: nothing indexed before it
	if len(e.related("fire2", 0)) != 0 {
		t.Fatalf("fire2's box before fire1: %v", ids(e.related("fire2", 0)))
	}
	e.handled(e.publish(fire1, 0)) // day 0, handled second
	u := e.latest("fire2", "fire2's box with fire1", func(u *linkingv1.RelatedUpdated) bool { return has(u.GetRelated(), "fire1") })
	fireFirst(t, ids(u.GetRelated()), "fire1")
	// An older story's box still needs MinForward to take a later one.
	if has(e.related("fire1", 0), "fire2") {
		t.Fatalf("fire1's box took fire2 below MinForward: %v", ids(e.related("fire1", 0)))
	}
}
