package natsx_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// A retried publish carries the same id and is dropped by JetStream.
func TestPublishDeduplicates(t *testing.T) {
	ctx, n, _, st := setup(t)
	ev := updated(&articlev1.Article{Id: "a1", Revision: 1})
	for range 3 {
		if err := natsx.Publish(ctx, n.JS, ev); err != nil {
			t.Fatal(err)
		}
	}
	other := updated(&articlev1.Article{Id: "a1", Revision: 2})
	if err := natsx.Publish(ctx, n.JS, other); err != nil {
		t.Fatal(err)
	}
	msgs := streamMsgs(t, ctx, st)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	if m := msgs[0]; m.Header.Get(jetstream.MsgIDHeader) != ev.ID || m.Header.Get(natsx.HeaderTraceparent) != "" {
		t.Errorf("headers %v", m.Header)
	}
}

func TestTraceparent(t *testing.T) {
	ctx := context.Background()
	if natsx.TraceparentFrom(ctx) != "" {
		t.Error("traceparent in an empty context")
	}
	if natsx.WithTraceparent(ctx, "") != ctx {
		t.Error("an empty traceparent changed the context")
	}
	if got := natsx.TraceparentFrom(natsx.WithTraceparent(ctx, "00-a-b-01")); got != "00-a-b-01" {
		t.Errorf("got %q", got)
	}
}

// Ensure* may be called by every replica at every start.
func TestEnsureIsIdempotent(t *testing.T) {
	ctx := testCtx(t)
	n := testutil.StartNATS(t, "")
	for range 2 {
		st, err := natsx.EnsureStream(ctx, n.JS, events.StreamReview, events.StreamSubjects("review"), 1)
		if err != nil {
			t.Fatal(err)
		}
		if cfg := st.CachedInfo().Config; cfg.Duplicates != natsx.DedupeWindow || cfg.Storage != jetstream.FileStorage {
			t.Errorf("stream config %+v", cfg)
		}
		kv, err := natsx.EnsureKV(ctx, n.JS, "review-reviews", 1)
		if err != nil {
			t.Fatal(err)
		}
		if kv.Bucket() != "review-reviews" {
			t.Errorf("bucket %q", kv.Bucket())
		}
		if _, err := natsx.EnsureObjectStore(ctx, n.JS, "test-objects", 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := natsx.RunEmbedded(natsx.EmbeddedConfig{}); err == nil {
		t.Error("an embedded server without a store dir started")
	}
}
