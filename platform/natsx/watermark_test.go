package natsx_test

import (
	"context"
	"testing"
	"time"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/natsx"
)

// With a watermark a change with events is one write: the record keeps
// its published events, and neither this Store, nor another one (a
// replica, a restarted process) reading the record or recovering the
// bucket, publishes them again; a crashed writer's events, which no
// watermark covers, are still recovered exactly once.
func TestStoreWatermarkVouchesForPublishedEvents(t *testing.T) {
	ctx, n, s, st := setup(t)
	for range 3 {
		if _, err := s.Update(ctx, "a1", bump); err != nil {
			t.Fatal(err)
		}
	}
	b, err := s.Update(ctx, "b1", bumpKey("b1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := bucketWrites(t, ctx, s); got != 4 {
		t.Errorf("%d writes for four changes, want 4", got)
	}
	waitWatermark(t, s, b)
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 4 {
		t.Fatalf("%d events, want 4", len(msgs))
	}
	raw, err := s.KV.Get(ctx, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := natsx.PendingEvents(raw.Value()); got != 1 {
		t.Errorf("the record holds %d events, want its change's 1 (published, vouched for)", got)
	}
	// The watermark is in its bucket, under the bucket's name.
	wkv, err := n.JS.KeyValue(ctx, natsx.WatermarkBucket)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := wkv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range keys.Keys() {
		names = append(names, k)
	}
	if len(names) != 1 || len(names[0]) <= len("test-articles.") || names[0][:len("test-articles.")] != "test-articles." {
		t.Errorf("watermark keys %v, want one test-articles.<writer>", names)
	}

	// A dead writer's change is not vouched for by anyone.
	c := &articlev1.Article{Id: "c1", Revision: 1, Headline: "left behind"}
	if err := s.StoreAndDie(ctx, "c1", c, updated(c)); err != nil {
		t.Fatal(err)
	}
	// Another process: its recovery and its reads publish only c1's.
	other := newStore(t, ctx, n)
	if got, err := other.Recover(ctx, 0); err != nil || got != 1 {
		t.Errorf("Recover of another store = %d, %v; want 1 (the dead writer's)", got, err)
	}
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 5 {
		t.Errorf("%d events after recovery, want 5", len(msgs))
	}
	if _, err := other.Update(ctx, "b1", func(cur *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
		cur.Headline = "no event"
		return cur, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 5 {
		t.Errorf("%d events after another store changed b1, want 5 (b1's published events not again)", len(msgs))
	}
	if got, err := s.Recover(ctx, 0); err != nil || got != 0 {
		t.Errorf("Recover = %d, %v; want 0", got, err)
	}
}

// A write whose outcome is unknown (its request failed: it may be stored)
// holds the watermark where it was until the Store has settled it, were it
// stored, unknownWait later.
func TestStoreWatermarkWaitsOutUnknownWrite(t *testing.T) {
	natsx.SetUnknownWait(t, 3*time.Second)
	ctx, _, s, st := setup(t)
	if _, err := s.Update(ctx, "a2", bumpKey("a2")); err != nil {
		t.Fatal(err)
	}
	a, err := s.Update(ctx, "a1", bump)
	if err != nil {
		t.Fatal(err)
	}
	waitWatermark(t, s, a)
	before := s.Watermark()

	// a2 is cached: the update goes straight to its compare-and-set,
	// whose request fails.
	dead, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Update(dead, "a2", bumpKey("a2")); err == nil {
		t.Fatal("Update with a cancelled context succeeded")
	}
	b, err := s.Update(ctx, "a3", bumpKey("a3"))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * natsx.WatermarkInterval)
	if got := s.Watermark(); got != before {
		t.Fatalf("watermark moved from %d to %d after a write of unknown outcome", before, got)
	}
	// Settled, it moves on.
	waitWatermark(t, s, b)
	if msgs := streamMsgs(t, ctx, st); len(msgs) != 3 {
		t.Errorf("%d events, want 3 (a2's, a1's, a3's)", len(msgs))
	}
}

// bumpKey is bump for the article at key.
func bumpKey(key string) func(*articlev1.Article, bool) (*articlev1.Article, []natsx.Event, error) {
	return func(cur *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
		next, evs, err := bump(cur, exists)
		next.Id = key
		evs = []natsx.Event{updated(next)}
		return next, evs, err
	}
}
