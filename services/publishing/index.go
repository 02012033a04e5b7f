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
)

// listSize is how many stories the front page and the feed show.
const listSize = 50

// story is what the front page, the feed and the sitemaps need of a live
// article.
type story struct {
	id, slug  string
	headline  string
	dek       string
	byline    string
	url       string
	published time.Time // first publication
	updated   time.Time // this revision's publication
}

// index is the in-memory list of live stories behind "/", the feed and the
// sitemaps. It is a cache: rebuilt from the publications bucket at start
// and kept current by watching it, so every replica serves the same site.
type index struct {
	mu     sync.Mutex
	byID   map[string]story
	all    []story // newest first
	dirty  bool    // all needs recomputing
	newest time.Time
	// changed is the latest modified_at of any publication seen, live or
	// not (a take-down changes the lists too): the lists' Last-Modified.
	changed time.Time
}

func newIndex() *index { return &index{byID: map[string]story{}} }

// set records pub: a live story is added or refreshed, anything else
// removed.
func (ix *index) set(id string, pub *publishingv1.Publication) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if m := pub.GetModifiedAt(); m != nil && m.AsTime().After(ix.changed) {
		ix.changed = m.AsTime()
	}
	a := pub.GetArticle()
	if pub == nil || pub.GetLiveRevision() == 0 || a == nil {
		if _, ok := ix.byID[id]; !ok {
			return // most changes are to articles that are not live
		}
		delete(ix.byID, id)
	} else {
		st := story{
			id: id, slug: a.GetSlug(), headline: a.GetHeadline(), dek: a.GetDek(), byline: a.GetByline(),
			url: pub.GetPublicUrl(), published: a.GetPublishedAt().AsTime(), updated: a.GetUpdatedAt().AsTime(),
		}
		if st.updated.Before(st.published) {
			st.updated = st.published
		}
		if old, ok := ix.byID[id]; ok && old == st {
			return
		}
		ix.byID[id] = st
	}
	ix.dirty = true
}

// rank sorts the live stories, lazily, so loading thousands of records at
// start sorts once. mu must be held.
func (ix *index) rank() {
	if !ix.dirty {
		return
	}
	ix.dirty = false
	all := make([]story, 0, len(ix.byID))
	ix.newest = time.Time{}
	for _, s := range ix.byID {
		all = append(all, s)
		if s.updated.After(ix.newest) {
			ix.newest = s.updated
		}
	}
	slices.SortFunc(all, func(a, b story) int {
		if c := b.published.Compare(a.published); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	ix.all = all
}

// list returns the newest live stories, at most listSize.
func (ix *index) list() []story {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.rank()
	return ix.all[:min(len(ix.all), listSize)]
}

// snapshot returns every live story, newest first (the slice is shared:
// do not modify it), the latest update among them, and when the set of
// publications last changed.
func (ix *index) snapshot() (all []story, newest, changed time.Time) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.rank()
	return ix.all, ix.newest, ix.changed
}

// runIndex loads every publication, then follows changes, with one
// watcher: it hands over the latest write of every key, then each write as
// it is made. It watches keys of one token, the publications: the Related
// News boxes beside them (boxKey) are no concern of the lists.
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
	w, err := s.pubs.KV.Watch(ctx, "*")
	if err != nil {
		return err
	}
	defer func() { _ = w.Stop() }()
	for e := range w.Updates() {
		if e == nil {
			continue // the initial values are all in
		}
		if e.Operation() != jetstream.KeyValuePut {
			s.live.set(e.Key(), nil)
			continue
		}
		// The watcher hands over the record as written: decode it rather
		// than read the key back, a round trip per write.
		pub, err := s.pubs.Decode(e.Value())
		if err != nil {
			s.log.Warn("site index: undecodable publication skipped", "article", e.Key(), "err", err)
			continue
		}
		s.live.set(e.Key(), pub)
	}
	return errors.New("publishing: watcher closed")
}
