package linking

import (
	"context"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protojson"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
)

// curations is this replica's copy of linking-curation (a small bucket:
// only the articles editors curated), kept current by watching it. A
// refresh decides with it whether a box changes; it reads the bucket
// itself only when it is about to store a box (see refresh), so a box is
// never stored from a copy that may be stale, and a box left as it is
// costs no read.
type curations struct {
	mu   sync.Mutex
	seen map[string]uint64
	byID map[string]*linkingv1.Curation // never changed once stored
}

func newCurations() *curations {
	return &curations{seen: map[string]uint64{}, byID: map[string]*linkingv1.Curation{}}
}

// get returns article's curation as last seen (an empty one if none).
func (c *curations) get(article string) *linkingv1.Curation {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.byID[article]; ok {
		return v
	}
	return &linkingv1.Curation{ArticleId: article}
}

// applyCurations brings the copy up to date with linking-curation entries;
// their revisions keep it from going back.
func (s *Service) applyCurations(_ context.Context, es []jetstream.KeyValueEntry) {
	c := s.curations
	for _, e := range es {
		var v *linkingv1.Curation
		if e.Operation() == jetstream.KeyValuePut {
			v = &linkingv1.Curation{}
			if err := protojson.Unmarshal(e.Value(), v); err != nil {
				// refresh reads the bucket before storing a box, and
				// reports the error there.
				s.log.Warn("undecodable curation", "article", e.Key(), "err", err)
				v = nil
			}
		}
		c.mu.Lock()
		if e.Revision() > c.seen[e.Key()] {
			c.seen[e.Key()] = e.Revision()
			if v != nil {
				c.byID[e.Key()] = v
			} else {
				delete(c.byID, e.Key())
			}
		}
		c.mu.Unlock()
	}
}
