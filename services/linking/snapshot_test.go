package linking

import (
	"testing"

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
