package natsx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// bump increments the article's revision and emits its updated event.
func bump(cur *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
	next := proto.Clone(cur).(*articlev1.Article)
	next.Id = "a1"
	next.Revision++
	return next, []natsx.Event{updated(next)}, nil
}

func TestStoreCreateThenUpdate(t *testing.T) {
	ctx, _, s, _ := setup(t)
	if _, _, err := s.Get(ctx, "a1"); !errors.Is(err, natsx.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
	}
	var sawExists []bool
	fn := func(cur *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
		sawExists = append(sawExists, exists)
		if !exists && (cur == nil || cur.Revision != 0 || cur.Headline != "") {
			t.Errorf("a new record starts as %v, want an empty article", cur)
		}
		next := proto.Clone(cur).(*articlev1.Article)
		next.Revision++
		next.Headline = fmt.Sprintf("headline %d", next.Revision)
		return next, nil, nil
	}
	got, err := s.Update(ctx, "a1", fn)
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != 1 {
		t.Fatalf("created revision %d", got.Revision)
	}
	if _, err := s.Update(ctx, "a1", fn); err != nil {
		t.Fatal(err)
	}
	a, kvRev, err := s.Get(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Revision != 2 || a.Headline != "headline 2" || kvRev == 0 {
		t.Errorf("stored %v at KV revision %d", a, kvRev)
	}
	if len(sawExists) != 2 || sawExists[0] || !sawExists[1] {
		t.Errorf("exists was %v, want [false true]", sawExists)
	}
	keys, err := s.Keys(ctx)
	if err != nil || len(keys) != 1 || keys[0] != "a1" {
		t.Errorf("Keys = %v, %v", keys, err)
	}
}

// N writers (on two Store values, as two replicas would be) increment one
// record at once: compare-and-set must lose no increment, and only the
// winning attempt of each writer may publish its event.
func TestStoreConcurrentUpdates(t *testing.T) {
	ctx, n, s1, st := setup(t)
	s2 := newStore(t, ctx, n)
	const N = 24
	var wg sync.WaitGroup
	errs := make(chan error, N)
	for i := range N {
		s := s1
		if i%2 == 1 {
			s = s2
		}
		wg.Go(func() {
			if _, err := s.Update(ctx, "a1", bump); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	a, _, err := s1.Get(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Revision != N {
		t.Fatalf("revision %d after %d concurrent increments", a.Revision, N)
	}
	msgs := streamMsgs(t, ctx, st)
	if len(msgs) != N {
		t.Fatalf("%d events on the stream, want %d", len(msgs), N)
	}
	seen := map[int64]bool{}
	for _, m := range msgs {
		ev := decodeUpdated(t, m)
		if seen[ev.Meta.Revision] {
			t.Errorf("revision %d published twice", ev.Meta.Revision)
		}
		seen[ev.Meta.Revision] = true
	}
	for r := int64(1); r <= N; r++ {
		if !seen[r] {
			t.Errorf("no event for revision %d", r)
		}
	}
	noMarkersLeft(t, ctx, n.JS, "test-articles")
}

func TestStoreUpdatePublishesEvents(t *testing.T) {
	ctx, n, s, st := setup(t)
	ctx = natsx.WithTraceparent(ctx, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	a, err := s.Update(ctx, "a1", bump)
	if err != nil {
		t.Fatal(err)
	}
	msgs := streamMsgs(t, ctx, st)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Subject != testSubject {
		t.Errorf("subject %q", m.Subject)
	}
	if got := m.Header.Get(jetstream.MsgIDHeader); got != "a1/1/updated" {
		t.Errorf("Nats-Msg-Id %q, want a1/1/updated", got)
	}
	if got := m.Header.Get(natsx.HeaderType); got != "newsroom.drafting.v1.ArticleUpdated" {
		t.Errorf("%s %q", natsx.HeaderType, got)
	}
	if got := m.Header.Get(natsx.HeaderTraceparent); got != natsx.TraceparentFrom(ctx) {
		t.Errorf("traceparent %q", got)
	}
	if ev := decodeUpdated(t, m); !proto.Equal(ev.Article, a) {
		t.Errorf("event carries %v, want %v", ev.Article, a)
	}
	// Once published, the events stay in the record, and the Store's
	// watermark vouches for them: no write clears them, and a restarted
	// process does not publish them again.
	waitWatermark(t, s, a)
	if got := bucketWrites(t, ctx, s); got != 1 {
		t.Errorf("%d writes for one change, want 1", got)
	}
	if got, err := newStore(t, ctx, n).Recover(ctx, 0); err != nil || got != 0 {
		t.Errorf("Recover of a fresh store = %d, %v; want 0", got, err)
	}
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 1 {
		t.Errorf("%d messages after recovery, want 1", len(msgs))
	}
	noMarkersLeft(t, ctx, n.JS, "test-articles")
}

// waitWatermark waits until s has written a watermark covering the
// record at key a.Id, failing after a generous while.
func waitWatermark(t *testing.T, s *natsx.Store[*articlev1.Article], a *articlev1.Article) {
	t.Helper()
	e, err := s.KV.Get(testCtx(t), a.GetId())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; s.Watermark() < e.Revision(); i++ {
		if i == 300 {
			t.Fatalf("watermark %d, want at least %d", s.Watermark(), e.Revision())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitCleared waits until the record at key holds no events (the deferred
// clear has run), failing after a generous while.
func waitCleared(t *testing.T, ctx context.Context, s *natsx.Store[*articlev1.Article], key string) {
	t.Helper()
	for i := 0; ; i++ {
		raw, err := s.KV.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if !containsPending(raw.Value()) {
			return
		}
		if i == 300 {
			t.Fatalf("record %s still holds pending events", key)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// bucketWrites is how many writes the test bucket's stream has taken.
func bucketWrites(t *testing.T, ctx context.Context, s *natsx.Store[*articlev1.Article]) uint64 {
	t.Helper()
	st, err := s.KV.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st.(*jetstream.KeyValueBucketStatus).StreamInfo().State.LastSeq
}

// Without a watermark (a deployment that cannot open WatermarkBucket), a
// change written over a record whose events are published clears them:
// no write of its own is needed. Without a delay, every change with
// events costs a second write.
func TestStoreNextChangeClears(t *testing.T) {
	ctx, n, s, st := setup(t)
	s.WithoutWatermark()
	s.ClearDelay = time.Hour
	for range 2 {
		if _, err := s.Update(ctx, "a1", bump); err != nil {
			t.Fatal(err)
		}
	}
	if got := bucketWrites(t, ctx, s); got != 2 {
		t.Errorf("%d writes for two changes, want 2", got)
	}
	raw, err := s.KV.Get(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := natsx.PendingEvents(raw.Value()); got != 1 {
		t.Errorf("the record holds %d events, want the last change's 1 (published, not yet cleared)", got)
	}
	// This store's recovery leaves it to the due clear; another store (a
	// replica, a restarted process) cannot tell and publishes again, which
	// the event's id dedupes.
	if got, err := s.Recover(ctx, 0); err != nil || got != 0 {
		t.Errorf("Recover = %d, %v; want 0", got, err)
	}
	if got, err := newStore(t, ctx, n).Recover(ctx, 0); err != nil || got != 1 {
		t.Errorf("another store's Recover = %d, %v; want 1", got, err)
	}
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 2 {
		t.Errorf("%d events, want 2", len(msgs))
	}
	waitCleared(t, ctx, s, "a1")

	s.ClearDelay = 0
	before := bucketWrites(t, ctx, s)
	if _, err := s.Update(ctx, "a1", bump); err != nil {
		t.Fatal(err)
	}
	if got := bucketWrites(t, ctx, s) - before; got != 2 {
		t.Errorf("%d writes for a change with no delay, want 2 (the change, its clear)", got)
	}
	waitCleared(t, ctx, s, "a1")
}

func TestStoreNoChangeWritesNothing(t *testing.T) {
	ctx, n, s, st := setup(t)
	if _, err := s.Update(ctx, "a1", bump); err != nil {
		t.Fatal(err)
	}
	_, before, err := s.Get(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Update(ctx, "a1", func(cur *articlev1.Article, _ bool) (*articlev1.Article, []natsx.Event, error) {
		next, evs, _ := bump(cur, true)
		return next, evs, natsx.ErrNoChange
	})
	if err != nil {
		t.Fatalf("ErrNoChange came back as %v", err)
	}
	if got.Revision != 1 {
		t.Errorf("Update returned %v, want the current record", got)
	}
	boom := errors.New("boom")
	if _, err := s.Update(ctx, "a1", func(cur *articlev1.Article, _ bool) (*articlev1.Article, []natsx.Event, error) {
		next, evs, _ := bump(cur, true)
		return next, evs, fmt.Errorf("wrapped: %w", boom)
	}); !errors.Is(err, boom) {
		t.Errorf("fn's error came back as %v", err)
	}
	// A new key with ErrNoChange is not created either.
	if _, err := s.Update(ctx, "a2", func(*articlev1.Article, bool) (*articlev1.Article, []natsx.Event, error) {
		return nil, nil, natsx.ErrNoChange
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "a2"); !errors.Is(err, natsx.ErrNotFound) {
		t.Errorf("ErrNoChange created a2: %v", err)
	}
	a, after, err := s.Get(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if after != before || a.Revision != 1 {
		t.Errorf("record moved from KV revision %d to %d (%v)", before, after, a)
	}
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 1 {
		t.Errorf("%d events, want only the first update's", len(msgs))
	}
	noMarkersLeft(t, ctx, n.JS, "test-articles")
}

// crashedWrite stores what a writer of an earlier version that died
// between its KV write and its publish left behind: the record with its
// events pending, in the JSON envelope those versions wrote, and the
// outbox marker they wrote before the change.
func crashedWrite(t *testing.T, js jetstream.JetStream, s *natsx.Store[*articlev1.Article], a *articlev1.Article, evs ...natsx.Event) {
	t.Helper()
	ctx := testCtx(t)
	type pending struct {
		Subject string `json:"s"`
		ID      string `json:"i"`
		Type    string `json:"t"`
		Data    []byte `json:"d"`
	}
	type envelope struct {
		Value   []byte    `json:"v"`
		Pending []pending `json:"p,omitempty"`
	}
	var env envelope
	var err error
	if env.Value, err = proto.Marshal(a); err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		data, err := proto.Marshal(ev.Msg)
		if err != nil {
			t.Fatal(err)
		}
		env.Pending = append(env.Pending, pending{ev.Subject, ev.ID, string(proto.MessageName(ev.Msg)), data})
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.KV.Put(ctx, a.Id, raw); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, natsx.OutboxSubject+"."+s.KV.Bucket(), []byte(a.Id)); err != nil {
		t.Fatal(err)
	}
}

func TestStoreRecoverPublishesPendingOnce(t *testing.T) {
	ctx, n, s, st := setup(t)
	a := &articlev1.Article{Id: "a1", Revision: 1, Headline: "left behind"}
	second := updated(&articlev1.Article{Id: "a1", Revision: 1})
	second.ID = "a1/1/updated/extra"
	crashedWrite(t, n.JS, s, a, updated(a), second)
	// Another record written cleanly must not be touched.
	if _, err := s.Update(ctx, "a2", func(cur *articlev1.Article, _ bool) (*articlev1.Article, []natsx.Event, error) {
		return &articlev1.Article{Id: "a2", Revision: 1}, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := outboxMarkers(t, ctx, n.JS, "test-articles"); got != 1 {
		t.Fatalf("%d markers before recovery, want 1", got)
	}

	// A marker younger than minAge may be a write in flight: left alone.
	if got, err := s.Recover(ctx, time.Hour); err != nil || got != 0 {
		t.Fatalf("Recover(1h) = %d, %v; want 0", got, err)
	}
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 0 {
		t.Fatalf("Recover published %d events for a young marker", len(msgs))
	}

	got, err := s.Recover(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got != 1 {
		t.Errorf("Recover = %d records, want 1", got)
	}
	msgs := streamMsgs(t, ctx, st)
	if len(msgs) != 2 {
		t.Fatalf("%d events after recovery, want 2", len(msgs))
	}
	for i, want := range []string{"a1/1/updated", "a1/1/updated/extra"} {
		if id := msgs[i].Header.Get(jetstream.MsgIDHeader); id != want {
			t.Errorf("event %d has id %q, want %q", i, id, want)
		}
		if typ := msgs[i].Header.Get(natsx.HeaderType); typ != "newsroom.drafting.v1.ArticleUpdated" {
			t.Errorf("event %d type %q", i, typ)
		}
	}
	if ev := decodeUpdated(t, msgs[0]); ev.Article.GetHeadline() != "left behind" {
		t.Errorf("recovered event carries %v", ev.Article)
	}
	if got := outboxMarkers(t, ctx, n.JS, "test-articles"); got != 0 {
		t.Errorf("%d markers left after recovery", got)
	}
	// The record keeps its value and loses its pending events.
	stored, _, err := s.Get(ctx, "a1")
	if err != nil || stored.GetHeadline() != "left behind" {
		t.Errorf("record after recovery: %v, %v", stored, err)
	}
	if raw, err := s.KV.Get(ctx, "a1"); err != nil || containsPending(raw.Value()) {
		t.Errorf("record still holds pending events: %v", err)
	}

	// Recovering again, or from a fresh store (a restarted replica),
	// publishes nothing more.
	if got, err := newStore(t, ctx, n).Recover(ctx, 0); err != nil || got != 0 {
		t.Errorf("second Recover = %d, %v; want 0", got, err)
	}
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 2 {
		t.Errorf("%d events after a second recovery, want 2", len(msgs))
	}
}

// The next writer of a record a crash left with pending events publishes
// them before its own, so they are not held up until recovery runs.
func TestStoreUpdateFinishesCrashedWrite(t *testing.T) {
	ctx, n, s, st := setup(t)
	a := &articlev1.Article{Id: "a1", Revision: 1}
	crashedWrite(t, n.JS, s, a, updated(a))
	if _, err := s.Update(ctx, "a1", bump); err != nil {
		t.Fatal(err)
	}
	msgs := streamMsgs(t, ctx, st)
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.Header.Get(jetstream.MsgIDHeader))
	}
	if fmt.Sprint(ids) != "[a1/1/updated a1/2/updated]" {
		t.Fatalf("events %v, want the crashed write's then the new one", ids)
	}
	// Recovery then finds nothing to publish and drops the stale marker.
	if got, err := s.Recover(ctx, 0); err != nil || got != 0 {
		t.Errorf("Recover = %d, %v; want 0", got, err)
	}
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 2 {
		t.Errorf("%d events after recovery, want 2", len(msgs))
	}
	noMarkersLeft(t, ctx, n.JS, "test-articles")
}

func TestStoreAll(t *testing.T) {
	ctx, _, s, _ := setup(t)
	for _, id := range []string{"a1", "a2", "a3"} {
		if _, err := s.Update(ctx, id, func(*articlev1.Article, bool) (*articlev1.Article, []natsx.Event, error) {
			return &articlev1.Article{Id: id, Headline: "h " + id}, nil, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{}
	if err := s.All(ctx, func(key string, a *articlev1.Article) error {
		got[key] = a.Headline
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "map[a1:h a1 a2:h a2 a3:h a3]" {
		t.Errorf("All saw %v", got)
	}
}

// containsPending reports whether a stored envelope still lists events.
func containsPending(raw []byte) bool {
	n, err := natsx.PendingEvents(raw)
	return err != nil || n > 0
}

// Recovery works across a server restart: the record and the marker are in
// the file store, and a replica started afterwards finishes the publish.
// A marker whose record is gone is simply dropped.
func TestStoreRecoverAfterRestart(t *testing.T) {
	ctx, n, s, _ := setup(t)
	a := &articlev1.Article{Id: "a1", Revision: 4}
	crashedWrite(t, n.JS, s, a, updated(a))
	if _, err := n.JS.Publish(ctx, natsx.OutboxSubject+"."+s.KV.Bucket(), []byte("deleted-key")); err != nil {
		t.Fatal(err)
	}
	n.Stop()

	n2 := testutil.StartNATS(t, n.Dir)
	s2 := newStore(t, ctx, n2)
	got, err := s2.Recover(ctx, 0)
	if err != nil || got != 1 {
		t.Fatalf("Recover after restart = %d, %v; want 1", got, err)
	}
	st, err := n2.JS.Stream(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	msgs := streamMsgs(t, ctx, st)
	if len(msgs) != 1 || msgs[0].Header.Get(jetstream.MsgIDHeader) != "a1/4/updated" {
		t.Fatalf("after restart the stream holds %d events", len(msgs))
	}
	if got := outboxMarkers(t, ctx, n2.JS, "test-articles"); got != 0 {
		t.Errorf("%d markers left", got)
	}
}

// UpdateRev reports the KV revision the record it returns sits at: after
// a change with events, that of the write clearing them; after no change,
// the current one.
func TestStoreUpdateRev(t *testing.T) {
	ctx, _, s, _ := setup(t)
	for i := range 2 {
		a, rev, err := s.UpdateRev(ctx, "a1", bump)
		if err != nil {
			t.Fatal(err)
		}
		got, kvRev, err := s.Get(ctx, "a1")
		if err != nil {
			t.Fatal(err)
		}
		if rev != kvRev || !proto.Equal(a, got) {
			t.Errorf("update %d: UpdateRev gave revision %d, the bucket holds %v at %d", i, rev, got, kvRev)
		}
	}
	_, before, _ := s.Get(ctx, "a1")
	a, rev, err := s.UpdateRev(ctx, "a1", func(*articlev1.Article, bool) (*articlev1.Article, []natsx.Event, error) {
		return nil, nil, natsx.ErrNoChange
	})
	if err != nil || rev != before || a.GetRevision() != 2 {
		t.Errorf("no change: %v at %d, %v; want revision 2 at %d", a, rev, err, before)
	}
	if _, rev, err := s.UpdateRev(ctx, "missing", func(*articlev1.Article, bool) (*articlev1.Article, []natsx.Event, error) {
		return nil, nil, natsx.ErrNoChange
	}); err != nil || rev != 0 {
		t.Errorf("no change to a missing key: revision %d, %v", rev, err)
	}
}

// A store first tries an update on the record as it last wrote it; when
// another writer (another replica) has changed it since, neither a write,
// nor a decision not to write, nor a refusal may rest on that stale copy.
func TestStoreStaleCopyDecidesNothing(t *testing.T) {
	ctx, n, s1, _ := setup(t)
	s2 := newStore(t, ctx, n)
	setHeadline := func(s *natsx.Store[*articlev1.Article], h string) {
		t.Helper()
		if _, err := s.Update(ctx, "a1", func(cur *articlev1.Article, _ bool) (*articlev1.Article, []natsx.Event, error) {
			if cur.Headline == h {
				return nil, nil, natsx.ErrNoChange
			}
			next := proto.Clone(cur).(*articlev1.Article)
			next.Id, next.Headline = "a1", h
			next.Revision++
			return next, []natsx.Event{updated(next)}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	headline := func() string {
		t.Helper()
		a, _, err := s1.Get(ctx, "a1")
		if err != nil {
			t.Fatal(err)
		}
		return a.Headline
	}
	setHeadline(s1, "y")
	setHeadline(s2, "x")
	// s1's copy says "y" already: it must not stop there.
	setHeadline(s1, "y")
	if h := headline(); h != "y" {
		t.Fatalf("headline %q after s1 set it back, want y", h)
	}
	// A refusal on the stale copy is not final either.
	setHeadline(s2, "ready")
	if _, err := s1.Update(ctx, "a1", func(cur *articlev1.Article, _ bool) (*articlev1.Article, []natsx.Event, error) {
		if cur.Headline != "ready" {
			return nil, nil, fmt.Errorf("not ready: %q", cur.Headline)
		}
		next := proto.Clone(cur).(*articlev1.Article)
		next.Headline = "done"
		return next, nil, nil
	}); err != nil {
		t.Fatalf("update refused on a stale copy: %v", err)
	}
	if h := headline(); h != "done" {
		t.Errorf("headline %q, want done", h)
	}
}
