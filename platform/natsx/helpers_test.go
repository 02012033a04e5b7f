package natsx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// The tests publish drafting's real events into a real DRAFTING stream.
const (
	testStream  = events.StreamDrafting
	testSubject = events.ArticleUpdated
)

func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// setup starts a server with the DRAFTING stream and a store of articles.
func setup(t testing.TB) (context.Context, *testutil.NATS, *natsx.Store[*articlev1.Article], jetstream.Stream) {
	t.Helper()
	ctx := testCtx(t)
	n := testutil.StartNATS(t, "")
	st, err := natsx.EnsureStream(ctx, n.JS, testStream, events.StreamSubjects("drafting"), 1)
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t, ctx, n)
	return ctx, n, s, st
}

func newStore(t testing.TB, ctx context.Context, n *testutil.NATS) *natsx.Store[*articlev1.Article] {
	t.Helper()
	s, err := natsx.NewStore(ctx, n.JS, "test-articles", 1, func() *articlev1.Article { return &articlev1.Article{} }, testutil.Logger())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// updated is the event a change to a at its new revision causes.
func updated(a *articlev1.Article) natsx.Event {
	id := events.ID(a.Id, a.Revision, "updated")
	return natsx.Event{
		Subject: testSubject,
		ID:      id,
		Msg:     &draftingv1.ArticleUpdated{Meta: &articlev1.EventMeta{Id: id, ArticleId: a.Id, Revision: a.Revision}, Article: a},
	}
}

// streamMsgs returns every message left in stream, in order.
func streamMsgs(t *testing.T, ctx context.Context, st jetstream.Stream) []*jetstream.RawStreamMsg {
	t.Helper()
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// decodeUpdated unmarshals a stream message carrying ArticleUpdated.
func decodeUpdated(t *testing.T, m *jetstream.RawStreamMsg) *draftingv1.ArticleUpdated {
	t.Helper()
	var ev draftingv1.ArticleUpdated
	if err := proto.Unmarshal(m.Data, &ev); err != nil {
		t.Fatalf("message %d: %v", m.Sequence, err)
	}
	return &ev
}

// outboxMarkers is how many markers the OUTBOX stream holds for bucket.
func outboxMarkers(t *testing.T, ctx context.Context, js jetstream.JetStream, bucket string) uint64 {
	t.Helper()
	ob, err := js.Stream(ctx, natsx.OutboxStream)
	if err != nil {
		t.Fatal(err)
	}
	subject := natsx.OutboxSubject + "." + bucket
	info, err := ob.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[subject]
}

// noMarkersLeft checks that the OUTBOX stream holds no marker for bucket:
// writers write none, and Recover drops those earlier versions wrote.
func noMarkersLeft(t *testing.T, ctx context.Context, js jetstream.JetStream, bucket string) {
	t.Helper()
	if got := outboxMarkers(t, ctx, js, bucket); got != 0 {
		t.Errorf("%d outbox markers left for %s", got, bucket)
	}
}
