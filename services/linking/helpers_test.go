package linking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

const wait = 10 * time.Second

// env is linking on an embedded JetStream, served over gRPC, with the
// PUBLISHING stream that publishing would own, so tests can inject its
// events.
type env struct {
	t      testing.TB
	ctx    context.Context
	nats   *testutil.NATS
	svcs   []*Service
	client linkingv1.LinkingServiceClient
	reader grpc.CallOption
	editor grpc.CallOption
}

// start runs replicas copies of linking on a JetStream stored in dir (""
// for a fresh one). Everything stops when t (or the subtest) ends.
func start(t testing.TB, dir string, replicas int) *env {
	t.Helper()
	return startWith(t, dir, replicas, Config{RecoveryEvery: time.Hour})
}

// startWith is start with a configuration.
func startWith(t testing.TB, dir string, replicas int, cfg Config) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	n := testutil.StartNATS(t, dir)
	keys := testutil.Keys(t)
	if _, err := natsx.EnsureStream(ctx, n.JS, events.StreamPublishing, events.StreamSubjects("publishing"), 1); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, nats: n, reader: testutil.As(testutil.Token(t, keys, "wanda", auth.Writer)),
		editor: testutil.As(testutil.Token(t, keys, "eddie", auth.Editor))}
	var all []*Service
	for range replicas {
		svc, err := New(ctx, testutil.Deps(n, keys, nil), cfg)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, svc)
	}
	e.svcs = all
	// Each replica on its own gRPC server, as in production; the client
	// talks to the first.
	for i, svc := range all {
		conn := testutil.Serve(t, keys, svc)
		if i == 0 {
			e.client = linkingv1.NewLinkingServiceClient(conn)
		}
	}
	return e
}

var t0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// story is a live article published days after t0.
func story(id string, days int, headline, body string, tags ...string) *articlev1.Article {
	return &articlev1.Article{
		Id:          id,
		Desk:        "news",
		Headline:    headline,
		Dek:         "",
		Body:        body,
		Tags:        tags,
		Revision:    1,
		Status:      articlev1.Status_STATUS_PUBLISHED,
		PublishedAt: timestamppb.New(t0.AddDate(0, 0, days)),
		PublicUrl:   "https://news.example/" + id,
	}
}

// Stories on two topics, wildfire and football, which share only common
// words ("weekend", "city").
var (
	fire1 = story("fire1", 0, "Wildfire forces evacuations in the hills",
		"Crews fought the wildfire through the weekend as wind pushed flames toward homes; the city opened shelters.", "wildfire")
	match1 = story("match1", 1, "United win the derby in stoppage time",
		"A late header settled the derby at the stadium this weekend, and fans celebrated across the city.", "football")
	fire2 = story("fire2", 2, "Wildfire smoke chokes the valley",
		"Smoke from the wildfire drifted over the valley; firefighters say containment of the flames is at forty percent.", "wildfire")
	fire3 = story("fire3", 3, "Firefighters contain the hills wildfire",
		"After a week of flames, crews report the wildfire contained; evacuations end this weekend.", "wildfire")
	fire4 = story("fire4", 4, "Wildfire investigators blame power line",
		"Investigators say a downed power line sparked the wildfire that burned through the hills and forced evacuations.", "wildfire")
)

// publish injects publishing's ArticlePublished for a. copy distinguishes
// re-sends of one event: JetStream drops a repeated Nats-Msg-Id, so a
// redelivery is simulated with a fresh one.
func (e *env) publish(a *articlev1.Article, copy int) uint64 {
	e.t.Helper()
	ev := &publishingv1.ArticlePublished{
		Meta: &articlev1.EventMeta{
			Id: events.ID(a.GetId(), a.GetRevision(), "published", "1"), ArticleId: a.GetId(),
			Revision: a.GetRevision(), Actor: "pat", Time: a.GetPublishedAt(),
		},
		Article: a,
	}
	return e.inject(events.ArticlePublished, fmt.Sprintf("%s/%d", ev.Meta.Id, copy), ev)
}

// unpublish injects publishing's ArticleUnpublished for a.
func (e *env) unpublish(a *articlev1.Article) uint64 {
	e.t.Helper()
	ev := unpublished(a.GetId())
	return e.inject(events.ArticleUnpublished, ev.Meta.Id, ev)
}

// unpublished is publishing's ArticleUnpublished for revision 1 of id.
func unpublished(id string) *publishingv1.ArticleUnpublished {
	return &publishingv1.ArticleUnpublished{
		Meta: &articlev1.EventMeta{
			Id: events.ID(id, 1, "unpublished", "1"), ArticleId: id,
			Revision: 1, Actor: "pat", Time: timestamppb.Now(),
		},
		Reason: "legal",
	}
}

func (e *env) inject(subject, id string, msg proto.Message) uint64 {
	e.t.Helper()
	if err := natsx.Publish(e.ctx, e.nats.JS, natsx.Event{Subject: subject, ID: id, Msg: msg}); err != nil {
		e.t.Fatal(err)
	}
	s, err := e.nats.JS.Stream(e.ctx, events.StreamPublishing)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return info.State.LastSeq
}

// handled waits until linking has acked the PUBLISHING stream up to seq.
func (e *env) handled(seq uint64) {
	e.t.Helper()
	testutil.Eventually(e.t, wait, fmt.Sprintf("linking to ack PUBLISHING up to %d", seq), func() bool {
		c, err := e.nats.JS.Consumer(e.ctx, events.StreamPublishing, Durable)
		if err != nil {
			return false
		}
		info, err := c.Info(e.ctx)
		return err == nil && info.AckFloor.Stream >= seq && info.NumAckPending == 0
	})
}

// updates returns every RelatedUpdated on the LINKING stream, in order.
func (e *env) updates() []*linkingv1.RelatedUpdated {
	e.t.Helper()
	s, err := e.nats.JS.Stream(e.ctx, events.StreamLinking)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*linkingv1.RelatedUpdated
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(e.ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			e.t.Fatal(err)
		}
		if m.Subject != events.RelatedUpdated {
			e.t.Fatalf("unexpected subject %s on LINKING", m.Subject)
		}
		ev := &linkingv1.RelatedUpdated{}
		if err := proto.Unmarshal(m.Data, ev); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// updatesFor returns the RelatedUpdated events of one article.
func (e *env) updatesFor(id string) []*linkingv1.RelatedUpdated {
	var out []*linkingv1.RelatedUpdated
	for _, u := range e.updates() {
		if u.GetMeta().GetArticleId() == id {
			out = append(out, u)
		}
	}
	return out
}

// latest waits for an event for id that satisfies ok and returns it.
func (e *env) latest(id string, what string, ok func(*linkingv1.RelatedUpdated) bool) *linkingv1.RelatedUpdated {
	e.t.Helper()
	var got *linkingv1.RelatedUpdated
	testutil.Eventually(e.t, wait, what, func() bool {
		us := e.updatesFor(id)
		if len(us) == 0 || !ok(us[len(us)-1]) {
			return false
		}
		got = us[len(us)-1]
		return true
	})
	return got
}

func (e *env) related(id string, limit int32) []*articlev1.RelatedStory {
	e.t.Helper()
	resp, err := e.client.GetRelated(e.ctx, &linkingv1.GetRelatedRequest{ArticleId: id, Limit: limit}, e.reader)
	if err != nil {
		e.t.Fatalf("GetRelated(%s): %v", id, err)
	}
	return resp.GetRelated()
}

func ids(list []*articlev1.RelatedStory) []string { return storyIDs(list) }

func has(list []*articlev1.RelatedStory, id string) bool { return slices.Contains(ids(list), id) }
