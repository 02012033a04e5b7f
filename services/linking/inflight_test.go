package linking

import (
	"encoding/json"
	"testing"
	"time"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/testutil"
)

// The watch of linking-docs indexes a story a handler is storing with the
// handler's prepared copy rather than preparing its own: it often sees
// the stored story before the handler's put, and preparing is the
// costliest part of indexing. Only a copy prepared from the very bytes
// stored is used. (The copies here are marked by their headlines, which
// the stored bytes do not have, to tell which one was indexed.)
func TestWatchIndexesTheHandlersPreparedStory(t *testing.T) {
	e := start(t, "", 1)
	s := e.svcs[0]
	x := s.index()
	for _, c := range []struct {
		a        *articlev1.Article
		same     bool
		headline string
	}{
		{fire1, true, "Prepared by the handler"},
		{fire2, false, fire2.GetHeadline()},
	} {
		a, id := c.a, c.a.GetId()
		raw, err := json.Marshal(recordOf(a, nil))
		if err != nil {
			t.Fatal(err)
		}
		marked := recordOf(a, nil).doc()
		marked.Headline = "Prepared by the handler"
		offered := raw
		if !c.same {
			offered = append([]byte(nil), raw...)
			offered[len(offered)-1] = ' ' // other bytes, the same story
		}
		s.inflight.Store(id, &inflightDoc{x: x, raw: offered, p: x.Prepare(marked)})
		if _, err := s.docs.Create(e.ctx, id, raw); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 10*time.Second, id+" indexed by the watch", func() bool { return x.Has(id) })
		if d, _ := x.Get(id); d.Headline != c.headline {
			t.Fatalf("%s indexed with headline %q, want %q", id, d.Headline, c.headline)
		}
	}
}
