package linking

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/events"
)

// TestLateEventsOfAnEarlierPublication: fire1 goes up, down and up again
// at one revision. Late copies of its first publication and take-down
// (a lost ack, a consumer restart) must neither put it back while it is
// down nor take it down once republished, and a restarted replica, which
// rebuilds from linking-docs, must agree.
func TestLateEventsOfAnEarlierPublication(t *testing.T) {
	dir := t.TempDir()
	up := func(n int32) *publishingv1.ArticlePublished {
		return &publishingv1.ArticlePublished{
			Meta:        eventMeta("fire1", fmt.Sprintf("fire1/1/published/%d", n)),
			Article:     fire1,
			Publication: n,
		}
	}
	down := func(n int32) *publishingv1.ArticleUnpublished {
		ev := unpublished("fire1")
		ev.Publication = n
		return ev
	}
	shown := func(e *env) bool { return has(e.related("fire2", 0), "fire1") }
	findable := func(e *env) bool {
		_, err := e.client.GetRelated(e.ctx, &linkingv1.GetRelatedRequest{ArticleId: "fire1"}, e.reader)
		return status.Code(err) != codes.NotFound
	}

	t.Run("live", func(t *testing.T) {
		e := start(t, dir, 1)
		e.inject(events.ArticlePublished, "up1", up(1))
		e.handled(e.publish(fire2, 0))
		if !shown(e) {
			t.Fatal("fire2's box lacks fire1; the test needs it there")
		}
		e.handled(e.inject(events.ArticleUnpublished, "down1", down(1)))
		// A late copy of publication 1 after its take-down: stays down.
		e.handled(e.inject(events.ArticlePublished, "up1-late", up(1)))
		if shown(e) || findable(e) {
			t.Fatal("a late publication put the taken-down fire1 back")
		}
		e.handled(e.inject(events.ArticlePublished, "up2", up(2)))
		e.latest("fire2", "fire2's box with fire1 again", func(u *linkingv1.RelatedUpdated) bool { return has(u.GetRelated(), "fire1") })
		// Late copies of publication 1 and its take-down change nothing.
		n := len(e.updates())
		e.handled(e.inject(events.ArticleUnpublished, "down1-late", down(1)))
		e.handled(e.inject(events.ArticlePublished, "up1-later", up(1)))
		if !shown(e) || !findable(e) {
			t.Fatal("a late take-down of publication 1 took the republished fire1 down")
		}
		if got := len(e.updates()); got != n {
			t.Fatalf("late events emitted %d related updates", got-n)
		}
		// Publication 2 comes down for real.
		e.handled(e.inject(events.ArticleUnpublished, "down2", down(2)))
		e.latest("fire2", "fire2's box without fire1", func(u *linkingv1.RelatedUpdated) bool { return !has(u.GetRelated(), "fire1") })
	})
	t.Run("restarted", func(t *testing.T) {
		e := start(t, dir, 1)
		e.handled(e.publish(fire3, 0))
		if findable(e) || has(e.related("fire3", 0), "fire1") {
			t.Fatal("after a restart the taken-down fire1 is back in the index")
		}
		e.handled(e.inject(events.ArticlePublished, "up2-late", up(2)))
		if findable(e) {
			t.Fatal("a late publication 2 after its take-down put fire1 back")
		}
	})
}

// eventMeta is the meta of publishing's event id about revision 1 of
// story id.
func eventMeta(story, id string) *articlev1.EventMeta {
	return &articlev1.EventMeta{Id: id, ArticleId: story, Revision: 1, Actor: "pat", Time: timestamppb.Now()}
}
