package webhooks

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// TestKnownServesOnlyWhenCurrent: the watched copy answers only for a
// bucket revision it has applied, so the fan-out falls back to reading
// the bucket rather than miss a subscription the watch has not brought
// yet; deletes leave it, and it lists oldest first.
func TestKnownServesOnlyWhenCurrent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := testutil.StartNATS(t, "")
	kv, err := natsx.EnsureKV(ctx, n.JS, "known-test", 1)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	put := func(id string, at time.Time) jetstream.KeyValueEntry {
		raw, _ := json.Marshal(record{ID: id, CreatedAt: at})
		rev, err := kv.Put(ctx, id, raw)
		if err != nil {
			t.Fatal(err)
		}
		e, err := kv.GetRevision(ctx, id, rev)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	var k known
	if list, ok := k.upTo(0); !ok || len(list) != 0 {
		t.Fatalf("empty bucket: %v %v", list, ok)
	}
	if _, ok := k.upTo(1); ok {
		t.Fatal("an empty copy answered for revision 1")
	}
	late := put("wh_b", t0.Add(time.Hour))
	early := put("wh_a", t0)
	k.apply(late, &record{ID: "wh_b", CreatedAt: t0.Add(time.Hour)})
	if _, ok := k.upTo(early.Revision()); ok {
		t.Fatal("answered for a revision not applied yet")
	}
	k.apply(early, &record{ID: "wh_a", CreatedAt: t0})
	list, ok := k.upTo(early.Revision())
	if !ok || len(list) != 2 || list[0].ID != "wh_a" || list[1].ID != "wh_b" {
		t.Fatalf("upTo: %v %v", list, ok)
	}
	w, err := kv.Watch(ctx, "wh_a", jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if err := kv.Delete(ctx, "wh_a"); err != nil {
		t.Fatal(err)
	}
	del := <-w.Updates()
	k.apply(del, nil)
	list, ok = k.upTo(del.Revision())
	if !ok || len(list) != 1 || list[0].ID != "wh_b" {
		t.Fatalf("after a delete: %v %v", list, ok)
	}
	k.reset()
	if _, ok := k.upTo(del.Revision()); ok {
		t.Fatal("a reset copy answered")
	}
}
