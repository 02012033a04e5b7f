package linking

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
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
	if has(s.compute(d, drifted, c, []string{"cook1"}, true), "cook1") {
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

// A box is decided with the replica's watched copy of the curation but
// stored only with the bucket's: a copy that missed an editor's exclude
// (the watch lags) must not store a box showing the excluded story, and a
// refresh that leaves the box as it is reads nothing.
func TestBoxIsStoredWithTheCurationInTheBucket(t *testing.T) {
	e := start(t, "", 1)
	for _, a := range []*articlev1.Article{fire1, match1, fire2, fire3} {
		e.handled(e.publish(a, 0))
	}
	s := e.svcs[0]
	if !has(e.related("fire3", 0), "fire1") {
		t.Fatalf("fire3's box = %v, want fire1 in it", ids(e.related("fire3", 0)))
	}
	if _, err := e.client.ExcludeRelated(e.ctx, &linkingv1.ExcludeRelatedRequest{ArticleId: "fire3", OtherId: "fire1"}, e.editor); err != nil {
		t.Fatal(err)
	}
	// The copy as a lagging watch would hold it: no curation of fire3,
	// and no later entry to correct it.
	s.curations.mu.Lock()
	delete(s.curations.byID, "fire3")
	s.curations.seen["fire3"] = 1 << 62
	s.curations.mu.Unlock()
	// Store fire3's box drifted (reversed, without fire1), so that a
	// refresh computed from the stale copy would store fire1 back.
	stored := e.related("fire3", 0)
	drifted := slices.Clone(stored)
	slices.Reverse(drifted)
	if _, err := s.related.Update(e.ctx, "fire3", func(cur *linkingv1.RelatedUpdated, _ bool) (*linkingv1.RelatedUpdated, []natsx.Event, error) {
		return &linkingv1.RelatedUpdated{Meta: cur.GetMeta(), Related: drifted}, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.refresh(e.ctx, "fire3", false); err != nil {
		t.Fatal(err)
	}
	got := e.related("fire3", 0)
	if has(got, "fire1") {
		t.Fatalf("box stored from a stale curation: %v shows the excluded fire1", ids(got))
	}
	if !slices.Equal(ids(got), ids(stored)) {
		t.Fatalf("box = %v, want %v (recomputed with the exclude)", ids(got), ids(stored))
	}
}

// A later story's box (published after a story but handled first) catches
// up with the earlier story unless it is full and the story scores below
// its weakest: the one place a box may differ from one computed with the
// stories handled in order. Here fire4's box, full, carries scores above
// any the earlier line story reaches, though the ranking would put it in:
// handling it leaves the box alone, and the box's next recomputation for
// a reason of its own takes it in.
func TestCatchUpSkipsAFullBoxTheStoryCannotBeat(t *testing.T) {
	e := startWith(t, "", 1, Config{Related: 2, RecoveryEvery: time.Hour})
	for _, a := range []*articlev1.Article{fire1, fire3, fire4} {
		e.handled(e.publish(a, 0))
	}
	s := e.svcs[0]
	stored := e.related("fire4", 0)
	if len(stored) != 2 {
		t.Fatalf("fire4's box = %v, want it full (2)", ids(stored))
	}
	high := make([]*articlev1.RelatedStory, len(stored))
	for i, r := range stored {
		high[i] = proto.CloneOf(r)
		high[i].Score = 100
	}
	if _, err := s.related.Update(e.ctx, "fire4", func(cur *linkingv1.RelatedUpdated, _ bool) (*linkingv1.RelatedUpdated, []natsx.Event, error) {
		return &linkingv1.RelatedUpdated{Meta: cur.GetMeta(), Related: high}, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, wait, "the links to see fire4's box", func() bool {
		w, full, _ := s.links.threshold("fire4", "line", 0)
		return full && w == 100
	})
	rev := kvRevision(t, e, BucketRelated, "fire4")

	line := story("line", 2, "Power line sparked the hills wildfire, investigators say",
		"A downed power line sparked the wildfire in the hills, investigators said; the flames forced evacuations and burned homes.", "wildfire")
	e.handled(e.publish(line, 0)) // day 2, handled after fire4 (day 4)
	if got := kvRevision(t, e, BucketRelated, "fire4"); got != rev {
		t.Fatalf("fire4's box rewritten (revision %d → %d), want it left alone", rev, got)
	}
	d, _ := s.index().Get("fire4")
	if !has(s.compute(d, high, &linkingv1.Curation{}, nil, false), "line") {
		t.Fatal("the ranking would not put the line story in fire4's box; the test needs a story that it would")
	}
	if err := s.refresh(e.ctx, "fire4", false); err != nil {
		t.Fatal(err)
	}
	if got := e.related("fire4", 0); !has(got, "line") {
		t.Fatalf("fire4's box after a refresh = %v, want the line story in it", ids(got))
	}
}

// A forward link offers the new story to a box: the box's stories and
// the new one are ranked, not the archive again. Here fire3's stored box
// lacks fire1 (as if the archive's growth had moved it out); a new fire
// story offered to the box enters it beside what it shows, and fire1
// stays out until the box is refreshed for a reason of its own, which
// searches the archive.
func TestForwardLinkRanksTheBoxAndTheNewStory(t *testing.T) {
	e := start(t, "", 1)
	for _, a := range []*articlev1.Article{fire1, match1, fire2, fire3} {
		e.handled(e.publish(a, 0))
	}
	s := e.svcs[0]
	stored := e.related("fire3", 0)
	if !has(stored, "fire1") || !has(stored, "fire2") {
		t.Fatalf("fire3's box = %v, want fire1 and fire2 in it", ids(stored))
	}
	without := slices.DeleteFunc(slices.Clone(stored), func(r *articlev1.RelatedStory) bool { return r.GetArticleId() == "fire1" })
	if _, err := s.related.Update(e.ctx, "fire3", func(cur *linkingv1.RelatedUpdated, _ bool) (*linkingv1.RelatedUpdated, []natsx.Event, error) {
		return &linkingv1.RelatedUpdated{Meta: cur.GetMeta(), Related: without}, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	// fire4 is published later than fire3; the offer is what its
	// forward links make (fire3's box, include fire4).
	fire4 := story("fire4", 4, "Wildfire in the hills fully contained, evacuations lifted",
		"Firefighters fully contained the wildfire in the hills and lifted the evacuations.", "wildfire")
	e.handled(e.publish(fire4, 0))
	if err := s.refresh(e.ctx, "fire3", false, "fire4"); err != nil {
		t.Fatal(err)
	}
	got := e.related("fire3", 0)
	if !has(got, "fire4") || has(got, "fire1") || !has(got, "fire2") {
		t.Fatalf("fire3's box after the offer = %v, want fire4 and fire2 in it and not fire1", ids(got))
	}
	// A refresh of the box itself searches the archive: fire1 is back.
	if err := s.refresh(e.ctx, "fire3", true); err != nil {
		t.Fatal(err)
	}
	if got := e.related("fire3", 0); !has(got, "fire1") || !has(got, "fire4") {
		t.Fatalf("fire3's box after a refresh = %v, want fire1 and fire4 in it", ids(got))
	}
}

// A box computed afresh after a take-down gets an event id of its own,
// although it shows what the story's first box showed: it used to repeat
// that box's id, and JetStream dropped the event as a duplicate, so
// publishing kept the box from before the take-down.
func TestBoxAfterATakeDownIsAnnounced(t *testing.T) {
	e := start(t, "", 1)
	for _, a := range []*articlev1.Article{fire1, fire2} {
		e.handled(e.publish(a, 0))
	}
	e.handled(e.publish(fire3, 0)) // enters fire2's box
	if us := e.updatesFor("fire2"); len(us) != 2 || !has(us[1].GetRelated(), "fire3") {
		t.Fatalf("fire2's box events = %v, want two, the second showing fire3", us)
	}
	got := e.republish(fire2)
	if first := e.updatesFor("fire2")[0]; got.GetMeta().GetId() == first.GetMeta().GetId() {
		t.Fatalf("the box after the take-down repeats the first box's id %s", got.GetMeta().GetId())
	}
}

// RelatedUpdated says whether linking held a box for the article before
// it (first), so that publishing creates its copy without reading first:
// a story's first box is first, a box that changes is not, and a box
// computed after a take-down is first again.
func TestRelatedUpdatedSaysWhetherTheBoxIsFirst(t *testing.T) {
	e := start(t, "", 1)
	for _, a := range []*articlev1.Article{fire1, fire2, fire3} {
		e.handled(e.publish(a, 0))
	}
	us := e.updatesFor("fire2")
	if len(us) != 2 || !us[0].GetFirst() || us[1].GetFirst() {
		t.Fatalf("fire2's box events = %v, want two, the first one first", us)
	}
	got := e.republish(fire2)
	if !got.GetFirst() {
		t.Fatalf("fire2's box after a take-down = %v, want first", got)
	}
}

// republish takes story a down (its first publication) and publishes it
// again (its second), as publishing would, and returns the RelatedUpdated
// of its box computed afresh.
func (e *env) republish(a *articlev1.Article) *linkingv1.RelatedUpdated {
	e.t.Helper()
	id := a.GetId()
	before := len(e.updatesFor(id))
	down := unpublished(id)
	down.Publication = 1
	e.handled(e.inject(events.ArticleUnpublished, id+"/down1", down))
	e.handled(e.inject(events.ArticlePublished, id+"/up2", &publishingv1.ArticlePublished{
		Meta: eventMeta(id, id+"/1/published/2"), Article: a, Publication: 2,
	}))
	return e.latest(id, id+"'s box after it was published again", func(*linkingv1.RelatedUpdated) bool { return len(e.updatesFor(id)) > before })
}

// Offers made to a box while it is being refreshed are answered by one
// refresh: the box is stored and announced once, with every offered story
// that enters, rather than once per offer.
func TestOffersToABoxBeingRefreshedStoreItOnce(t *testing.T) {
	// No forward links of their own: the offers below are the only ones.
	e := startWith(t, "", 1, Config{MinForward: 1e9})
	for _, a := range []*articlev1.Article{fire1, match1, fire2, fire3} {
		e.handled(e.publish(a, 0))
	}
	if got := ids(e.related("fire1", 0)); len(got) != 0 {
		t.Fatalf("fire1's box = %v, want it empty (no forward links yet)", got)
	}
	s := e.svcs[0]
	before := len(e.updatesFor("fire1"))
	release := holdBox(t, &s.boxes, "fire1")
	errs := make(chan error, 2)
	for _, later := range []string{"fire2", "fire3"} {
		go func() { errs <- s.refresh(e.ctx, "fire1", false, later) }()
	}
	testutil.Eventually(t, wait, "both offers to wait for fire1's box", func() bool {
		turns, offers := waiting(&s.boxes, "fire1")
		return turns+offers == 2
	})
	release()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := ids(e.related("fire1", 0)); !slices.Contains(got, "fire2") || !slices.Contains(got, "fire3") {
		t.Fatalf("fire1's box = %v, want fire2 and fire3 in it", got)
	}
	testutil.Eventually(t, wait, "fire1's box to be announced", func() bool { return len(e.updatesFor("fire1")) > before })
	if us := e.updatesFor("fire1"); len(us) != before+1 {
		t.Fatalf("%d RelatedUpdated of fire1 after two offers together, want %d", len(us)-before, 1)
	}
}
