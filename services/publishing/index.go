package publishing

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/natsx"
)

// listSize is how many stories the front page and the feed show.
const listSize = 50

// story is what the front page and the feed need of a live article.
type story struct {
	id, slug  string
	headline  string
	dek       string
	byline    string
	url       string
	published time.Time
	updated   time.Time
}

// index is the in-memory list of live stories behind "/" and the feed. It
// is a cache: rebuilt from the publications bucket at start and kept
// current by watching it, so every replica serves the same site.
type index struct {
	mu     sync.Mutex
	byID   map[string]story
	latest []story // newest first, at most listSize
	dirty  bool    // latest needs recomputing
}

func newIndex() *index { return &index{byID: map[string]story{}} }

// set records pub: a live story is added or refreshed, anything else
// removed.
func (ix *index) set(id string, pub *publishingv1.Publication) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	a := pub.GetArticle()
	if pub == nil || pub.GetLiveRevision() == 0 || a == nil {
		if _, ok := ix.byID[id]; !ok {
			return // most changes are to articles that are not live
		}
		delete(ix.byID, id)
	} else {
		ix.byID[id] = story{
			id: id, slug: a.GetSlug(), headline: a.GetHeadline(), dek: a.GetDek(), byline: a.GetByline(),
			url: pub.GetPublicUrl(), published: a.GetPublishedAt().AsTime(), updated: a.GetUpdatedAt().AsTime(),
		}
	}
	ix.dirty = true
}

// rank recomputes the newest stories, lazily, so loading thousands of
// records at start sorts once; called with mu held.
func (ix *index) rank() {
	if !ix.dirty {
		return
	}
	ix.dirty = false
	all := make([]story, 0, len(ix.byID))
	for _, s := range ix.byID {
		all = append(all, s)
	}
	slices.SortFunc(all, func(a, b story) int {
		if c := b.published.Compare(a.published); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	ix.latest = all[:min(len(all), listSize)]
}

// list returns the newest live stories.
func (ix *index) list() []story {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.rank()
	return ix.latest
}

// runIndex loads every publication, then follows changes. The watcher for
// changes starts before the load, so nothing written in between is missed;
// replaying a change is harmless because set reads the current record.
func (s *Service) runIndex(ctx context.Context) error {
	for attempt := 0; ctx.Err() == nil; attempt++ {
		err := s.followIndex(ctx)
		if ctx.Err() != nil {
			break
		}
		s.log.Warn("site index watch ended; restarting", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(min(time.Duration(attempt+1)*500*time.Millisecond, 10*time.Second)):
		}
	}
	return nil
}

func (s *Service) followIndex(ctx context.Context) error {
	w, err := s.pubs.KV.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		return err
	}
	defer func() { _ = w.Stop() }()
	if err := s.pubs.All(ctx, func(key string, pub *publishingv1.Publication) error {
		s.live.set(key, pub)
		return nil
	}); err != nil {
		return err
	}
	for e := range w.Updates() {
		if e == nil {
			continue
		}
		if e.Operation() != jetstream.KeyValuePut {
			s.live.set(e.Key(), nil)
			continue
		}
		pub, _, err := s.pubs.Get(ctx, e.Key())
		if errors.Is(err, natsx.ErrNotFound) {
			s.live.set(e.Key(), nil)
			continue
		}
		if err != nil {
			return err
		}
		s.live.set(e.Key(), pub)
	}
	return errors.New("publishing: watcher closed")
}
