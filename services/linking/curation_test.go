package linking

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
)

func TestNewStoryEntersOlderBoxesAsForwardLink(t *testing.T) {
	e := start(t, "", 1)
	for _, a := range []*articlev1.Article{fire1, match1, fire2} {
		e.handled(e.publish(a, 0))
	}
	before := len(e.updates())
	e.handled(e.publish(fire4, 0))
	// fire1, published first, had nothing before it; the later wildfire
	// story about the same hills and evacuations enters its box, and its
	// page is told to re-render.
	u := e.latest("fire1", "fire1's box with fire4", func(u *linkingv1.RelatedUpdated) bool { return has(u.GetRelated(), "fire4") })
	if u.GetMeta().GetArticleId() != "fire1" || u.GetMeta().GetRevision() != 1 {
		t.Fatalf("meta = %v", u.GetMeta())
	}
	if !has(e.related("fire1", 0), "fire4") {
		t.Fatalf("GetRelated(fire1) = %v, want fire4 in it", ids(e.related("fire1", 0)))
	}
	// The football story shares only common words: no forward link.
	for _, u := range e.updates()[before:] {
		if u.GetMeta().GetArticleId() == "match1" {
			t.Fatalf("fire4 changed match1's box: %v", ids(u.GetRelated()))
		}
	}
	// A later recomputation of fire1's box (fire2 is unpublished) keeps
	// the forward link.
	e.handled(e.unpublish(fire2))
	e.latest("fire1", "fire1's box without fire2", func(u *linkingv1.RelatedUpdated) bool { return !has(u.GetRelated(), "fire2") })
	if !has(e.related("fire1", 0), "fire4") {
		t.Fatalf("recomputed fire1 box lost fire4: %v", ids(e.related("fire1", 0)))
	}
}

func TestForwardLinksFanOutIsBounded(t *testing.T) {
	e := startWith(t, "", 1, Config{RecoveryEvery: time.Hour, FanOut: 1})
	for _, a := range []*articlev1.Article{fire1, fire2, fire3} {
		e.handled(e.publish(a, 0))
	}
	n := len(e.updates())
	e.handled(e.publish(fire4, 0))
	others := map[string]bool{}
	for _, u := range e.updates()[n:] {
		if id := u.GetMeta().GetArticleId(); id != "fire4" {
			others[id] = true
		}
	}
	if len(others) > 1 {
		t.Fatalf("fan-out 1, but fire4 changed %d older boxes: %v", len(others), others)
	}
}

func TestImportedOlderStoryIsRankedByPublicationTime(t *testing.T) {
	e := start(t, "", 1)
	// An archive import brings the stories in no particular order: the
	// later fire3 arrives before fire1 and fire2.
	for _, a := range []*articlev1.Article{fire3, match1, fire1, fire2} {
		e.handled(e.publish(a, 0))
	}
	// fire3 was published last: the earlier ones, imported after it,
	// still enter its box.
	e.latest("fire3", "fire3's box with fire1 and fire2", func(u *linkingv1.RelatedUpdated) bool {
		return has(u.GetRelated(), "fire1") && has(u.GetRelated(), "fire2")
	})
	// fire1 was published first: its own ranking has no earlier story;
	// anything in its box is a later story on its topic (a forward link).
	for _, r := range e.related("fire1", 0) {
		if r.GetArticleId() == "match1" {
			t.Fatalf("fire1's box shows the football story: %v", ids(e.related("fire1", 0)))
		}
	}
	// fire2's own box ranks only what was published before it, by
	// published_at, not arrival: fire1, never fire3 as an earlier story.
	fireFirst(t, ids(e.related("fire2", 0)), "fire1")
}

func TestPinAndExcludeRelated(t *testing.T) {
	e := start(t, "", 1)
	for _, a := range []*articlev1.Article{fire1, match1, fire2, fire3} {
		e.handled(e.publish(a, 0))
	}
	e.latest("fire3", "fire3's box", func(*linkingv1.RelatedUpdated) bool { return true })

	// Pinning the football story puts it first, marked pinned, and
	// re-renders the page.
	resp, err := e.client.PinRelated(e.ctx, &linkingv1.PinRelatedRequest{ArticleId: "fire3", OtherId: "match1"}, e.editor)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetRelated(); len(got) == 0 || got[0].GetArticleId() != "match1" || !got[0].GetPinned() {
		t.Fatalf("after pin: %v", ids(got))
	}
	if !slices.Equal(resp.GetCuration().GetPinned(), []string{"match1"}) {
		t.Fatalf("curation = %v", resp.GetCuration())
	}
	u := e.latest("fire3", "fire3's box with match1 pinned", func(u *linkingv1.RelatedUpdated) bool {
		return len(u.GetRelated()) > 0 && u.GetRelated()[0].GetArticleId() == "match1" && u.GetRelated()[0].GetPinned()
	})
	if n := len(u.GetRelated()); n > 5 {
		t.Fatalf("box of %d stories", n)
	}
	// A new story recomputes fire3's box? It keeps the pin first anyway.
	e.handled(e.publish(fire4, 0))
	if r := e.related("fire3", 0); r[0].GetArticleId() != "match1" || !r[0].GetPinned() {
		t.Fatalf("pin lost: %v", ids(r))
	}

	// Excluding fire1 drops it, and it stays out.
	if _, err := e.client.ExcludeRelated(e.ctx, &linkingv1.ExcludeRelatedRequest{ArticleId: "fire3", OtherId: "fire1"}, e.editor); err != nil {
		t.Fatal(err)
	}
	e.latest("fire3", "fire3's box without fire1", func(u *linkingv1.RelatedUpdated) bool { return !has(u.GetRelated(), "fire1") })
	if has(e.related("fire3", 0), "fire1") {
		t.Fatal("excluded story still shown")
	}
	// Excluding the pinned story unpins it.
	resp2, err := e.client.ExcludeRelated(e.ctx, &linkingv1.ExcludeRelatedRequest{ArticleId: "fire3", OtherId: "match1"}, e.editor)
	if err != nil {
		t.Fatal(err)
	}
	if has(resp2.GetRelated(), "match1") || len(resp2.GetCuration().GetPinned()) != 0 {
		t.Fatalf("after excluding the pin: %v, %v", ids(resp2.GetRelated()), resp2.GetCuration())
	}
	// Unexclude brings fire1 back.
	if _, err := e.client.UnexcludeRelated(e.ctx, &linkingv1.UnexcludeRelatedRequest{ArticleId: "fire3", OtherId: "fire1"}, e.editor); err != nil {
		t.Fatal(err)
	}
	e.latest("fire3", "fire3's box with fire1 again", func(u *linkingv1.RelatedUpdated) bool { return has(u.GetRelated(), "fire1") })
	// Pin then unpin: back to the ranking.
	if _, err := e.client.PinRelated(e.ctx, &linkingv1.PinRelatedRequest{ArticleId: "fire3", OtherId: "fire2"}, e.editor); err != nil {
		t.Fatal(err)
	}
	r3, err := e.client.UnpinRelated(e.ctx, &linkingv1.UnpinRelatedRequest{ArticleId: "fire3", OtherId: "fire2"}, e.editor)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range r3.GetRelated() {
		if r.GetPinned() {
			t.Fatalf("still pinned after unpin: %v", r3.GetRelated())
		}
	}
}

func TestCurationErrors(t *testing.T) {
	e := start(t, "", 1)
	for _, a := range []*articlev1.Article{fire1, fire2} {
		e.handled(e.publish(a, 0))
	}
	for _, c := range []struct {
		req  *linkingv1.PinRelatedRequest
		code codes.Code
	}{
		{&linkingv1.PinRelatedRequest{ArticleId: "fire2", OtherId: "fire2"}, codes.InvalidArgument},
		{&linkingv1.PinRelatedRequest{ArticleId: "fire2"}, codes.InvalidArgument},
		{&linkingv1.PinRelatedRequest{ArticleId: "fire2", OtherId: "no such id"}, codes.InvalidArgument},
		{&linkingv1.PinRelatedRequest{ArticleId: "fire2", OtherId: "unknown"}, codes.NotFound},
		{&linkingv1.PinRelatedRequest{ArticleId: "unknown", OtherId: "fire1"}, codes.NotFound},
	} {
		if _, err := e.client.PinRelated(e.ctx, c.req, e.editor); status.Code(err) != c.code {
			t.Errorf("PinRelated(%v) = %v, want %v", c.req, err, c.code)
		}
	}
	if _, err := e.client.ExcludeRelated(e.ctx, &linkingv1.ExcludeRelatedRequest{ArticleId: "fire2", OtherId: "fire2"}, e.editor); status.Code(err) != codes.InvalidArgument {
		t.Errorf("excluding itself: %v", err)
	}
	// Writers may not curate.
	if _, err := e.client.PinRelated(e.ctx, &linkingv1.PinRelatedRequest{ArticleId: "fire2", OtherId: "fire1"}, e.reader); status.Code(err) != codes.PermissionDenied {
		t.Errorf("writer pinning: %v, want PermissionDenied", err)
	}
}

func TestSuggestRelatedForDraft(t *testing.T) {
	e := start(t, "", 1)
	for _, a := range []*articlev1.Article{fire1, match1, fire2, fire3} {
		e.handled(e.publish(a, 0))
	}
	draft := &articlev1.Article{
		Headline: "Wildfire flares again in the hills",
		Body:     "Crews returned to the hills as the wildfire flared; evacuations may resume.",
	}
	resp, err := e.client.SuggestRelated(e.ctx, &linkingv1.SuggestRelatedRequest{Article: draft}, e.reader)
	if err != nil {
		t.Fatal(err)
	}
	got := ids(resp.GetRelated())
	if len(got) < 3 || slices.Index(got, "match1") >= 0 && slices.Index(got, "match1") < 3 {
		t.Fatalf("suggestions = %v, want the three wildfire stories first", got)
	}
	// The draft of a published story does not suggest itself.
	draft.Id = "fire1"
	resp, err = e.client.SuggestRelated(e.ctx, &linkingv1.SuggestRelatedRequest{Article: draft, Limit: 1}, e.reader)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(resp.GetRelated()); len(got) != 1 || got[0] == "fire1" {
		t.Fatalf("suggestions for fire1's draft = %v", got)
	}
	if _, err := e.client.SuggestRelated(e.ctx, &linkingv1.SuggestRelatedRequest{Article: &articlev1.Article{}}, e.reader); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("empty draft: %v", err)
	}
}
