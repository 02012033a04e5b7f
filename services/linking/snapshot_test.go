package linking

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	"newsroom.dev/platform/testutil"
)

func TestRestartLoadsSnapshotAndCatchesUp(t *testing.T) {
	dir := t.TempDir()
	t.Run("before", func(t *testing.T) {
		e := start(t, dir, 1)
		for _, a := range []*articlev1.Article{fire1, match1, fire2} {
			e.handled(e.publish(a, 0))
		}
		testutil.Eventually(t, wait, "the watch to apply every story", func() bool { return e.svcs[0].docsRev.Load() >= 3 })
		if err := e.svcs[0].Snapshot(e.ctx); err != nil {
			t.Fatal(err)
		}
		// Changes after the snapshot: the restart must catch up on them.
		e.handled(e.publish(fire3, 0))
		e.handled(e.unpublish(match1))
	})
	t.Run("after", func(t *testing.T) {
		e := start(t, dir, 1)
		s := e.svcs[0]
		<-s.Ready()
		if s.loaded.Load() == 0 {
			t.Fatal("the index was rebuilt from the bucket, not loaded from the snapshot")
		}
		idx := s.index()
		if idx.Len() != 3 || !idx.Has("fire3") || idx.Has("match1") {
			t.Fatalf("after restart: %d stories, fire3 %v, match1 %v", idx.Len(), idx.Has("fire3"), idx.Has("match1"))
		}
		e.publish(fire4, 0)
		u := e.latest("fire4", "fire4's box", func(*linkingv1.RelatedUpdated) bool { return true })
		fireFirst(t, ids(u.GetRelated()), "fire1", "fire2", "fire3")
	})
}

// TestRestartLoadsLinksFromSnapshot checks that the reverse links come
// back from the snapshot, not from a replay of linking-related: the
// bucket's history up to the snapshot is purged before the restart, so
// only the snapshot still knows which boxes show fire1 (a replay would
// find none).
func TestRestartLoadsLinksFromSnapshot(t *testing.T) {
	dir := t.TempDir()
	var showing []string
	t.Run("before", func(t *testing.T) {
		e := start(t, dir, 1)
		s := e.svcs[0]
		for _, a := range []*articlev1.Article{fire1, match1, fire2, fire3} {
			e.handled(e.publish(a, 0))
		}
		kv, err := e.nats.JS.Stream(e.ctx, "KV_"+BucketRelated)
		if err != nil {
			t.Fatal(err)
		}
		info, err := kv.Info(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		last := info.State.LastSeq
		testutil.Eventually(t, wait, "the watch to apply every box", func() bool { return s.relRev.Load() >= last })
		showing = s.links.showing("fire1")
		if !slices.Contains(showing, "fire2") || !slices.Contains(showing, "fire3") {
			t.Fatalf("fire1 shown in %v; the test needs fire2 and fire3", showing)
		}
		if err := s.Snapshot(e.ctx); err != nil {
			t.Fatal(err)
		}
		oi, err := s.snaps.GetInfo(e.ctx, linksObject)
		if err != nil {
			t.Fatal(err)
		}
		rev, err := strconv.ParseUint(oi.Metadata[metaRelatedRevision], 10, 64)
		if err != nil || rev < last {
			t.Fatalf("links snapshot at related revision %q, want %d", oi.Metadata[metaRelatedRevision], last)
		}
		if err := kv.Purge(e.ctx, jetstream.WithPurgeSequence(rev+1)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("after", func(t *testing.T) {
		e := start(t, dir, 1)
		s := e.svcs[0]
		select {
		case <-s.Ready():
		case <-time.After(wait):
			t.Fatal("not ready")
		}
		if got := s.links.showing("fire1"); !slices.Equal(got, showing) {
			t.Fatalf("after restart fire1 is shown in %v, want %v", got, showing)
		}
		// Boxes computed after the restart add to the loaded links.
		e.handled(e.publish(fire4, 0))
		u := e.latest("fire4", "fire4's box", func(*linkingv1.RelatedUpdated) bool { return true })
		if len(u.GetRelated()) == 0 {
			t.Fatal("fire4's box is empty")
		}
		for _, st := range ids(u.GetRelated()) {
			testutil.Eventually(t, wait, "links to learn that fire4's box shows "+st, func() bool { return slices.Contains(s.links.showing(st), "fire4") })
		}
		for _, id := range showing {
			if !slices.Contains(s.links.showing("fire1"), id) {
				t.Fatalf("after fire4, fire1 is shown in %v, want %v too", s.links.showing("fire1"), showing)
			}
		}
	})
}

func TestLinksSnapshotRoundTrip(t *testing.T) {
	box := func(scores ...float64) []*articlev1.RelatedStory {
		var out []*articlev1.RelatedStory
		for i, sc := range scores {
			out = append(out, &articlev1.RelatedStory{ArticleId: fmt.Sprintf("s%d", i), Score: sc, Pinned: sc == 0})
		}
		return out
	}
	l := newLinks()
	l.set("a", 3, box(0.9, 0.5, 0.4), 3)  // full: weakest 0.4
	l.set("b", 4, box(0.7), 3)            // not full
	l.set("c", 5, box(), 3)               // known, empty
	l.set("d", 6, box(0.8), 3)            // then deleted: only its revision stays
	l.set("d", 7, nil, 3)                 //
	l.set("e", 8, box(0, 0, 0), 3)        // full of pinned stories: weakest +Inf
	l.set("s1", 9, box(0.3, 0.2, 0.1), 3) // an article that is also shown
	var buf bytes.Buffer
	if err := l.writeTo(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := readLinks(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.seen, l.seen) || !reflect.DeepEqual(got.shows, l.shows) || !reflect.DeepEqual(got.shownIn, l.shownIn) || !reflect.DeepEqual(got.weakest, l.weakest) {
		t.Fatalf("loaded\n%+v %+v %+v %+v\nwant\n%+v %+v %+v %+v", got.seen, got.shows, got.shownIn, got.weakest, l.seen, l.shows, l.shownIn, l.weakest)
	}
	if !math.IsInf(got.weakest["e"], 1) || got.weakest["a"] != 0.4 || got.showing("s0")[0] != "a" {
		t.Fatalf("weakest %v, s0 shown in %v", got.weakest, got.showing("s0"))
	}
	// It goes on from its revisions like the links it was written from.
	got.set("a", 2, nil, 3)
	if len(got.shows["a"]) != 3 {
		t.Fatal("an older revision applied after the load")
	}
	for _, bad := range [][]byte{nil, []byte("not links"), buf.Bytes()[:buf.Len()-1], append(slices.Clone(buf.Bytes()), 0)} {
		if _, err := readLinks(bytes.NewReader(bad)); err == nil {
			t.Fatalf("loaded %d bad bytes", len(bad))
		}
	}
}
