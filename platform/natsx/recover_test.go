package natsx_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

func msgIDs(msgs []*jetstream.RawStreamMsg) string {
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.Header.Get(jetstream.MsgIDHeader))
	}
	return fmt.Sprint(ids)
}

// A writer that dies after storing its change and before publishing
// leaves the events in the record; Recover finds the write by its header,
// publishes the events once, clears them, and leaves young writes alone.
func TestStoreRecoverFindsUnpublishedWrites(t *testing.T) {
	ctx, n, s, st := setup(t)
	a := &articlev1.Article{Id: "a1", Revision: 1, Headline: "left behind"}
	second := updated(a)
	second.ID = "a1/1/updated/extra"
	if err := s.StoreAndDie(ctx, "a1", a, updated(a), second); err != nil {
		t.Fatal(err)
	}
	// Clean writes around it are not touched.
	for _, id := range []string{"a0", "a2"} {
		if _, err := s.Update(ctx, id, func(*articlev1.Article, bool) (*articlev1.Article, []natsx.Event, error) {
			return &articlev1.Article{Id: id, Revision: 1}, nil, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.Recover(ctx, time.Hour); err != nil || got != 0 {
		t.Fatalf("Recover(1h) = %d, %v; want 0", got, err)
	}
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 0 {
		t.Fatalf("Recover published %d events of a young write", len(msgs))
	}
	// The young write is found again on the next pass.
	got, err := s.Recover(ctx, 0)
	if err != nil || got != 1 {
		t.Fatalf("Recover = %d, %v; want 1", got, err)
	}
	msgs := streamMsgs(t, ctx, st)
	if ids := msgIDs(msgs); ids != "[a1/1/updated a1/1/updated/extra]" {
		t.Fatalf("events after recovery %s", ids)
	}
	if ev := decodeUpdated(t, msgs[0]); ev.Article.GetHeadline() != "left behind" {
		t.Errorf("recovered event carries %v", ev.Article)
	}
	if raw, err := s.KV.Get(ctx, "a1"); err != nil || containsPending(raw.Value()) {
		t.Errorf("record still holds pending events: %v", err)
	}
	if stored, _, err := s.Get(ctx, "a1"); err != nil || stored.GetHeadline() != "left behind" {
		t.Errorf("record after recovery: %v, %v", stored, err)
	}
	// Again, from this store (which reads on from where it stopped) and
	// from a fresh one (a restarted replica reads the whole bucket):
	// nothing more.
	if got, err := s.Recover(ctx, 0); err != nil || got != 0 {
		t.Errorf("second Recover = %d, %v; want 0", got, err)
	}
	if got, err := newStore(t, ctx, n).Recover(ctx, 0); err != nil || got != 0 {
		t.Errorf("Recover of a fresh store = %d, %v; want 0", got, err)
	}
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 2 {
		t.Errorf("%d events after more recoveries, want 2", len(msgs))
	}
	// A crash after the first pass is found by the next one.
	b := &articlev1.Article{Id: "a2", Revision: 2}
	if err := s.StoreAndDie(ctx, "a2", b, updated(b)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Recover(ctx, 0); err != nil || got != 1 {
		t.Errorf("Recover of a later crash = %d, %v; want 1", got, err)
	}
	if ids := msgIDs(streamMsgs(t, ctx, st)); ids != "[a1/1/updated a1/1/updated/extra a2/2/updated]" {
		t.Errorf("events %s", ids)
	}
}

// The next writer of a record a crash left with pending events publishes
// them before its own.
func TestStoreUpdateFinishesUnpublishedWrite(t *testing.T) {
	ctx, _, s, st := setup(t)
	a := &articlev1.Article{Id: "a1", Revision: 1}
	if err := s.StoreAndDie(ctx, "a1", a, updated(a)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, "a1", bump); err != nil {
		t.Fatal(err)
	}
	if ids := msgIDs(streamMsgs(t, ctx, st)); ids != "[a1/1/updated a1/2/updated]" {
		t.Fatalf("events %s, want the crashed write's then the new one", ids)
	}
	if got, err := s.Recover(ctx, 0); err != nil || got != 0 {
		t.Errorf("Recover = %d, %v; want 0", got, err)
	}
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 2 {
		t.Errorf("%d events after recovery, want 2", len(msgs))
	}
}

// The unpublished write survives a server restart, and a replica started
// afterwards finishes it.
func TestStoreRecoverWriteAfterRestart(t *testing.T) {
	ctx, n, s, _ := setup(t)
	a := &articlev1.Article{Id: "a1", Revision: 4}
	if err := s.StoreAndDie(ctx, "a1", a, updated(a)); err != nil {
		t.Fatal(err)
	}
	n.Stop()
	n2 := testutil.StartNATS(t, n.Dir)
	got, err := newStore(t, ctx, n2).Recover(ctx, 0)
	if err != nil || got != 1 {
		t.Fatalf("Recover after restart = %d, %v; want 1", got, err)
	}
	st, err := n2.JS.Stream(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	if ids := msgIDs(streamMsgs(t, ctx, st)); ids != "[a1/4/updated]" {
		t.Fatalf("after restart the stream holds %s", ids)
	}
}

// A record created again after its key was deleted (its last write is a
// delete marker) is stored with its events like any other.
func TestStoreCreateAfterDelete(t *testing.T) {
	ctx, _, s, st := setup(t)
	if _, err := s.Update(ctx, "a1", bump); err != nil {
		t.Fatal(err)
	}
	if err := s.KV.Delete(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	var lastExists bool // fn may first see this store's stale copy
	a, err := s.Update(ctx, "a1", func(cur *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
		lastExists = exists
		next := &articlev1.Article{Id: "a1", Revision: 7}
		return next, []natsx.Event{updated(next)}, nil
	})
	if err != nil || a.GetRevision() != 7 {
		t.Fatalf("create after delete: %v, %v", a, err)
	}
	if lastExists {
		t.Error("the write that succeeded saw the deleted record as existing")
	}
	if got, _, err := s.Get(ctx, "a1"); err != nil || got.GetRevision() != 7 {
		t.Errorf("stored %v, %v", got, err)
	}
	if ids := msgIDs(streamMsgs(t, ctx, st)); ids != "[a1/1/updated a1/7/updated]" {
		t.Errorf("events %s", ids)
	}
	// It is updated as usual afterwards.
	if _, err := s.Update(ctx, "a1", bump); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Get(ctx, "a1"); got.GetRevision() != 8 {
		t.Errorf("revision %d after one more update, want 8", got.GetRevision())
	}
}
