package linking

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// fireFirst checks that a box lists the earlier wildfire stories wanted,
// in some order, before anything else.
func fireFirst(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) < len(want) {
		t.Fatalf("related = %v, want %v first", got, want)
	}
	head := slices.Clone(got[:len(want)])
	slices.Sort(head)
	w := slices.Clone(want)
	slices.Sort(w)
	if !slices.Equal(head, w) {
		t.Fatalf("related = %v, want %v first", got, want)
	}
}

func TestPublishedStoryRelatesEarlierSameTopicStories(t *testing.T) {
	e := start(t, "", 1)
	// Each handled in full before the next: stories published together
	// are handled side by side, and a box computed before an earlier
	// story was indexed gets it later, by a forward link.
	for _, a := range []*articlev1.Article{fire1, match1, fire2} {
		e.handled(e.publish(a, 0))
	}
	// fire2's box: fire1 on the same topic before the football story.
	u := e.latest("fire2", "fire2's related update", func(*linkingv1.RelatedUpdated) bool { return true })
	fireFirst(t, ids(u.GetRelated()), "fire1")

	e.handled(e.publish(fire3, 0))
	u = e.latest("fire3", "fire3's related update", func(*linkingv1.RelatedUpdated) bool { return true })
	got := ids(u.GetRelated())
	fireFirst(t, got, "fire1", "fire2")
	if i := slices.Index(got, "match1"); i >= 0 && i < 2 {
		t.Fatalf("football story ranked %d in %v", i, got)
	}
	if slices.Contains(got, "fire3") {
		t.Fatalf("a story is related to itself: %v", got)
	}
	m := u.GetMeta()
	if m.GetArticleId() != "fire3" || m.GetRevision() != 1 || m.GetActor() != "system" || m.GetTime() == nil {
		t.Fatalf("meta = %v", m)
	}
	// Its first box chains from the story's stored version.
	prev := "doc@" + strconv.FormatUint(e.svcs[0].index().Seq("fire3"), 10)
	if want := events.ID("fire3", 1, "related", listHash(prev, u.GetRelated())); m.GetId() != want {
		t.Fatalf("event id = %q, want %q", m.GetId(), want)
	}
	first := u.GetRelated()[0]
	src := map[string]*articlev1.Article{"fire1": fire1, "fire2": fire2}[first.GetArticleId()]
	if first.GetHeadline() != src.GetHeadline() || first.GetUrl() != src.GetPublicUrl() ||
		!first.GetPublishedAt().AsTime().Equal(src.GetPublishedAt().AsTime()) || first.GetScore() <= 0 {
		t.Fatalf("entry = %v, want the story's headline, url, time and a score", first)
	}

	// GetRelated serves the stored box.
	if r := e.related("fire3", 0); !proto.Equal(&linkingv1.RelatedUpdated{Related: r}, &linkingv1.RelatedUpdated{Related: u.GetRelated()}) {
		t.Fatalf("GetRelated = %v, event = %v", ids(r), got)
	}
	if r := e.related("fire3", 1); len(r) != 1 || r[0].GetArticleId() != got[0] {
		t.Fatalf("GetRelated limit 1 = %v", ids(r))
	}
	// The first story has nothing before it; its box holds only later
	// wildfire stories that entered it as forward links, and it was never
	// announced empty.
	for _, id := range ids(e.related("fire1", 0)) {
		if id == "match1" {
			t.Fatalf("fire1's box gained the football story: %v", ids(e.related("fire1", 0)))
		}
	}
	for _, u := range e.updatesFor("fire1") {
		if len(u.GetRelated()) == 0 {
			t.Fatal("fire1's empty box was announced")
		}
	}
	// Only earlier stories: match1's box never gains the later ones.
	if r := e.related("match1", 0); slices.Contains(ids(r), "fire2") || slices.Contains(ids(r), "fire3") {
		t.Fatalf("match1 relates later stories: %v", ids(r))
	}
}

func TestGetRelatedErrors(t *testing.T) {
	e := start(t, "", 1)
	for _, c := range []struct {
		req  *linkingv1.GetRelatedRequest
		code codes.Code
	}{
		{&linkingv1.GetRelatedRequest{}, codes.InvalidArgument},
		{&linkingv1.GetRelatedRequest{ArticleId: "fire1", Limit: -1}, codes.InvalidArgument},
		{&linkingv1.GetRelatedRequest{ArticleId: "no such story"}, codes.InvalidArgument},
		{&linkingv1.GetRelatedRequest{ArticleId: "unknown"}, codes.NotFound},
	} {
		_, err := e.client.GetRelated(e.ctx, c.req, e.reader)
		if status.Code(err) != c.code {
			t.Errorf("GetRelated(%v) = %v, want %v", c.req, err, c.code)
		}
	}
	if _, err := e.client.GetRelated(e.ctx, &linkingv1.GetRelatedRequest{ArticleId: "fire1"}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("without a token: %v, want Unauthenticated", err)
	}
}

func TestGetRelatedLimit(t *testing.T) {
	e := start(t, "", 1)
	var last *articlev1.Article
	for i := range 24 {
		last = story(string(rune('a'+i))+"-quake", i, "Earthquake aftershocks rattle coast",
			fmt.Sprintf("%s after the earthquake, and %s. Another aftershock shook the coast.", quakeNotes[i%len(quakeNotes)], quakeNotes[(i/len(quakeNotes)+i+1)%len(quakeNotes)]), "earthquake")
		e.handled(e.publish(last, 0))
	}
	e.latest(last.GetId(), "the last quake story's box", func(*linkingv1.RelatedUpdated) bool { return true })
	if r := e.related(last.GetId(), 0); len(r) != 5 {
		t.Fatalf("default limit: %d stories, want 5", len(r))
	}
	if r := e.related(last.GetId(), 100); len(r) != 5 {
		t.Fatalf("limit 100: %d stories, want the 5 computed", len(r))
	}
}

var quakeNotes = []string{
	"Residents slept outdoors in tents", "A bridge was closed for inspection by engineers", "Schools stayed shut for a week",
	"The harbour reported minor damage to piers", "Power failed in the old town overnight", "Geologists expect more tremors soon",
	"Volunteers handed out bottled water", "The cathedral lost part of its bell tower",
}

func TestRedeliveredPublishEmitsNothingNew(t *testing.T) {
	e := start(t, "", 1)
	for _, a := range []*articlev1.Article{fire1, match1, fire2, fire3} {
		e.handled(e.publish(a, 0))
	}
	e.latest("fire3", "fire3's related update", func(*linkingv1.RelatedUpdated) bool { return true })
	before := e.updates()
	docRev := kvRevision(t, e, BucketDocs, "fire3")

	// The same events again, as a redelivery would bring them.
	e.publish(fire1, 1)
	e.handled(e.publish(fire3, 1))
	if after := e.updates(); len(after) != len(before) {
		t.Fatalf("redelivery emitted %d new related events", len(after)-len(before))
	}
	if r := kvRevision(t, e, BucketDocs, "fire3"); r != docRev {
		t.Fatalf("redelivery rewrote the doc: revision %d, was %d", r, docRev)
	}
}

func TestUnpublishRemovesStoryFromOtherBoxes(t *testing.T) {
	e := start(t, "", 1)
	for _, a := range []*articlev1.Article{fire1, match1, fire2, fire3} {
		e.handled(e.publish(a, 0))
	}
	e.latest("fire3", "fire3's related update", func(*linkingv1.RelatedUpdated) bool { return true })
	showing := []string{}
	for _, id := range []string{"match1", "fire2", "fire3"} {
		if has(e.related(id, 0), "fire1") {
			showing = append(showing, id)
		}
	}
	if len(showing) < 2 {
		t.Fatalf("only %v show fire1; the test needs at least fire2 and fire3", showing)
	}

	e.handled(e.unpublish(fire1))
	for _, id := range showing {
		u := e.latest(id, id+"'s box without fire1", func(u *linkingv1.RelatedUpdated) bool { return !has(u.GetRelated(), "fire1") })
		if has(e.related(id, 0), "fire1") {
			t.Fatalf("%s still shows fire1 via GetRelated", id)
		}
		if u.GetMeta().GetRevision() != 1 {
			t.Fatalf("%s: event revision %d, want the story's 1", id, u.GetMeta().GetRevision())
		}
	}
	if _, err := e.client.GetRelated(e.ctx, &linkingv1.GetRelatedRequest{ArticleId: "fire1"}, e.reader); status.Code(err) != codes.NotFound {
		t.Fatalf("GetRelated(unpublished) = %v, want NotFound; events for fire1: %v", err, func() (o [][]string) {
			for _, u := range e.updatesFor("fire1") {
				o = append(o, ids(u.GetRelated()))
			}
			return
		}())
	}
	// fire3's box still has fire2, and a new story no longer finds fire1.
	fireFirst(t, ids(e.related("fire3", 0)), "fire2")
	// Handled in full: its forward links are part of it.
	e.handled(e.publish(fire4, 0))
	u := e.latest("fire4", "fire4's box", func(*linkingv1.RelatedUpdated) bool { return true })
	fireFirst(t, ids(u.GetRelated()), "fire2", "fire3")
	if has(u.GetRelated(), "fire1") {
		t.Fatalf("fire4 relates the unpublished fire1: %v", ids(u.GetRelated()))
	}

	// A redelivered unpublish changes nothing more.
	n := len(e.updates())
	e.handled(e.inject(events.ArticleUnpublished, "fire1/1/unpublished/again", unpublished("fire1")))
	if got := len(e.updates()); got != n {
		t.Fatalf("redelivered unpublish emitted %d events", got-n)
	}
}

func TestRestartRebuildsIndexFromBuckets(t *testing.T) {
	dir := t.TempDir()
	t.Run("before", func(t *testing.T) {
		e := start(t, dir, 1)
		// Every story handled, forward links included: work a stop cut
		// short is done again after the restart (the event is delivered
		// again), and would change boxes the check below does not expect.
		for _, a := range []*articlev1.Article{fire1, match1, fire2} {
			e.handled(e.publish(a, 0))
		}
		e.latest("fire2", "fire2's box", func(*linkingv1.RelatedUpdated) bool { return true })
	})
	t.Run("after", func(t *testing.T) {
		e := start(t, dir, 1)
		n := len(e.updates())
		// A new story finds the old ones: the index was rebuilt.
		e.handled(e.publish(fire3, 0))
		u := e.latest("fire3", "fire3's box", func(*linkingv1.RelatedUpdated) bool { return true })
		fireFirst(t, ids(u.GetRelated()), "fire1", "fire2")
		// Besides fire3's own box, only older wildfire boxes changed (fire3
		// entered them as a forward link).
		for _, u := range e.updates()[n:] {
			if id := u.GetMeta().GetArticleId(); id != "fire3" && (id == "match1" || !has(u.GetRelated(), "fire3")) {
				t.Fatalf("publishing fire3 after a restart changed %s's box to %v", id, ids(u.GetRelated()))
			}
		}
		// Unpublishing an old story still finds the boxes that show it:
		// the reverse links were rebuilt too.
		e.unpublish(fire1)
		e.latest("fire2", "fire2's box without fire1", func(u *linkingv1.RelatedUpdated) bool { return !has(u.GetRelated(), "fire1") })
		e.latest("fire3", "fire3's box without fire1", func(u *linkingv1.RelatedUpdated) bool { return !has(u.GetRelated(), "fire1") })
	})
}

func TestReplicasEachIndexEveryStory(t *testing.T) {
	e := start(t, "", 2)
	for _, a := range []*articlev1.Article{fire1, match1, fire2, fire3} {
		e.handled(e.publish(a, 0))
	}
	for _, s := range e.svcs {
		testutil.Eventually(t, wait, "every replica to index every story", func() bool { return s.index().Len() == 4 })
	}
	e.publish(fire4, 0)
	u := e.latest("fire4", "fire4's box", func(*linkingv1.RelatedUpdated) bool { return true })
	fireFirst(t, ids(u.GetRelated()), "fire1", "fire2", "fire3")
	// Whichever replica handles the unpublish knows, from watching
	// linking-related, which boxes show fire1, whoever computed them.
	var showing []string
	for _, id := range []string{"match1", "fire2", "fire3", "fire4"} {
		if has(e.related(id, 0), "fire1") {
			showing = append(showing, id)
		}
	}
	slices.Sort(showing)
	for _, s := range e.svcs {
		testutil.Eventually(t, wait, "every replica to learn the boxes showing fire1", func() bool {
			return slices.Equal(s.links.showing("fire1"), showing)
		})
	}
	e.unpublish(fire1)
	for _, id := range showing {
		e.latest(id, id+"'s box without fire1", func(u *linkingv1.RelatedUpdated) bool { return !has(u.GetRelated(), "fire1") })
	}
	for _, s := range e.svcs {
		testutil.Eventually(t, wait, "every replica to drop fire1", func() bool { return s.index().Len() == 4 })
	}
}

func TestRepublishedRevisionRefreshesBoxesShowingIt(t *testing.T) {
	e := start(t, "", 1)
	for _, a := range []*articlev1.Article{fire1, match1, fire2} {
		e.publish(a, 0)
	}
	e.latest("fire2", "fire2's box", func(u *linkingv1.RelatedUpdated) bool { return has(u.GetRelated(), "fire1") })

	// fire1 is corrected and republished as revision 2.
	fixed := proto.Clone(fire1).(*articlev1.Article)
	fixed.Revision = 2
	fixed.Headline = "Wildfire forces evacuations in the northern hills"
	seq := e.publish(fixed, 0)
	u := e.latest("fire2", "fire2's box with fire1's new headline", func(u *linkingv1.RelatedUpdated) bool {
		for _, r := range u.GetRelated() {
			if r.GetArticleId() == "fire1" {
				return r.GetHeadline() == fixed.GetHeadline()
			}
		}
		return false
	})
	if u.GetMeta().GetRevision() != 1 {
		t.Fatalf("fire2's event has revision %d, want fire2's own 1", u.GetMeta().GetRevision())
	}

	// A late copy of revision 1's event changes nothing back. (Count
	// once the republication is handled: its other boxes' events may
	// still be on their way when fire2's arrives.)
	e.handled(seq)
	n := len(e.updates())
	e.handled(e.publish(fire1, 7))
	if got := len(e.updates()); got != n {
		t.Fatalf("a stale publish emitted %d events", got-n)
	}
	for _, r := range e.related("fire2", 0) {
		if r.GetArticleId() == "fire1" && r.GetHeadline() != fixed.GetHeadline() {
			t.Fatalf("stale revision restored the old headline: %q", r.GetHeadline())
		}
	}
}

func TestMalformedEventIsDeadLettered(t *testing.T) {
	e := start(t, "", 1)
	if _, err := e.nats.JS.Publish(e.ctx, events.ArticlePublished, []byte("not protobuf \xff\xff")); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, wait, "a dead letter", func() bool {
		s, err := e.nats.JS.Stream(e.ctx, natsx.DLQStream)
		if err != nil {
			return false
		}
		m, err := s.GetLastMsgForSubject(e.ctx, natsx.DLQSubject+"."+Durable)
		return err == nil && m.Header.Get(natsx.HeaderDLQConsumer) == Durable
	})
	// The consumer goes on.
	e.publish(fire1, 0)
	e.publish(fire2, 0)
	e.latest("fire2", "fire2's box", func(*linkingv1.RelatedUpdated) bool { return true })
}

func kvRevision(t *testing.T, e *env, bucket, key string) uint64 {
	t.Helper()
	kv, err := e.nats.JS.KeyValue(e.ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	en, err := kv.Get(e.ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	return en.Revision()
}

// A story's first publication does not recompute the boxes that show it
// (only boxes computed after it was indexed can), a later publication
// does. The box showing fire1 is planted by hand, before fire1 is
// published, so that a recomputation would show: it puts fire1's real
// headline in.
func TestFirstPublicationLeavesBoxesShowingIt(t *testing.T) {
	e := start(t, "", 1)
	svc := e.svcs[0]
	e.handled(e.publish(fire2, 0))
	planted := &articlev1.RelatedStory{ArticleId: "fire1", Headline: "planted", Url: fire1.GetPublicUrl(), PublishedAt: fire1.GetPublishedAt()}
	if _, err := svc.related.Update(e.ctx, "fire2", func(cur *linkingv1.RelatedUpdated, _ bool) (*linkingv1.RelatedUpdated, []natsx.Event, error) {
		cur.Related = []*articlev1.RelatedStory{planted}
		return cur, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, wait, "links to learn fire2's box", func() bool { return slices.Contains(svc.links.showing("fire1"), "fire2") })
	headline := func() string {
		for _, r := range e.related("fire2", 0) {
			if r.GetArticleId() == "fire1" {
				return r.GetHeadline()
			}
		}
		return ""
	}

	e.handled(e.publish(fire1, 0))
	if h := headline(); h != "planted" {
		t.Fatalf("fire1's first publication recomputed fire2's box: fire1 shows as %q", h)
	}

	again := proto.Clone(fire1).(*articlev1.Article)
	ev := &publishingv1.ArticlePublished{
		Meta: &articlev1.EventMeta{
			Id: events.ID("fire1", 1, "published", "2"), ArticleId: "fire1", Revision: 1, Actor: "pat", Time: again.GetPublishedAt(),
		},
		Article: again, Publication: 2,
	}
	e.handled(e.inject(events.ArticlePublished, ev.Meta.Id, ev))
	if h := headline(); h != fire1.GetHeadline() {
		t.Fatalf("fire1's second publication left fire2's box showing it as %q", h)
	}
}
