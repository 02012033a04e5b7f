package linking

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/services/linking/index"
)

// refresh recomputes the Related News box of indexed story id and, if it
// changed, stores it and emits RelatedUpdated in the same compare-and-set.
// A story this replica does not have indexed has no box to compute.
//
// The candidates are the stories published before id, the later stories
// its box already shows (forward links, kept until better ones push them
// out), and include (a new story that is a forward link candidate). The
// box is decided with this replica's watched copy of the editors'
// curation, but a box about to be stored is decided again with the
// curation read from the bucket inside the compare-and-set, after the
// box: a curation change forces a write of the box (force), so a replica
// that read the curation before the change, or whose copy lags, cannot
// store a box computed from it. A box left as it is costs no read. Force
// also stores an unchanged box, without an event.
//
// A refresh for a forward link (include) of a stored box ranks only what
// the box shows and include (see compute), and rewrites the box only if
// an included story enters it. Recomputing the box may reorder or swap its
// older stories, as scores drift with the archive, but that drift is no
// reason of its own to rewrite a box: every rewrite costs a write, a
// RelatedUpdated event and publishing's copy of the box, and the next
// refresh made for a reason (the box's own story or one it shows
// republished or taken down, a curation change, a forward link that
// enters) stores the drift with it.
func (s *Service) refresh(ctx context.Context, id string, force bool, include ...string) error {
	return s.refreshBox(ctx, id, force, false, include)
}

// refreshBox is refresh; first says id is a story published for the first
// time, whose box is most likely not stored yet: it is then offered as new
// without reading the bucket (natsx.Store.CreateRev), the write being
// refused, and the box decided again on what is stored, if it is there
// after all (a forward link from a story handled alongside may have
// stored it first).
func (s *Service) refreshBox(ctx context.Context, id string, force, first bool, include []string) error {
	if !s.index().Has(id) {
		return nil
	}
	// One refresh of this box at a time in this replica, which answers
	// the offers made meanwhile too (see boxLocks).
	return s.boxes.run(id, include, !force && !first && len(include) > 0, func(include []string, offer bool) error {
		return s.storeBox(ctx, id, force, first, include, offer)
	})
}

// storeBox is refreshBox's work, done once the box is this call's:
// include are the forward-link candidates, and offer says the box is only
// asked whether they enter it.
func (s *Service) storeBox(ctx context.Context, id string, force, first bool, include []string, offer bool) error {
	// declined is the box an earlier attempt decided to leave as it is.
	// The store first offers the box as this replica last wrote it and,
	// if that is left alone, asks again on the box as read from the
	// bucket: when that is the very same box, so is the decision, and
	// computing it again (a search, the costliest part of a refresh)
	// would change nothing but the instant it was taken at.
	var declined *linkingv1.RelatedUpdated
	update := s.related.UpdateRev
	if first {
		update = s.related.CreateRev
	}
	box, kvRev, err := update(ctx, id, func(cur *linkingv1.RelatedUpdated, exists bool) (*linkingv1.RelatedUpdated, []natsx.Event, error) {
		if declined != nil && exists && proto.Equal(cur, declined) {
			return nil, nil, natsx.ErrNoChange
		}
		// Read at each attempt: events of other stories are handled
		// concurrently, and one may have republished or taken down id
		// meanwhile (a box stored after the take-down would outlive it).
		d, ok := s.index().Get(id)
		if !ok {
			return nil, nil, natsx.ErrNoChange
		}
		rev := d.Revision
		// Decided with the copy, stored only with the bucket's curation
		// (see above); the second pass is needed only if they differ.
		c, fresh := s.curations.get(id), false
		var (
			list    []*articlev1.RelatedStory
			changed bool
		)
		for {
			list = s.compute(d, cur.GetRelated(), c, include, exists && offer)
			changed = !exists || !same(cur.GetRelated(), list)
			if !force && (!changed || exists && offer && !showsAny(list, include)) {
				if exists {
					declined = cur
				}
				return nil, nil, natsx.ErrNoChange
			}
			if fresh {
				break
			}
			stored, err := s.readCuration(ctx, id)
			if err != nil {
				return nil, nil, err
			}
			fresh = true
			if proto.Equal(stored, c) {
				break
			}
			c = stored
		}
		if !changed {
			return cur, nil, nil
		}
		prev := cur.GetMeta().GetId()
		if !exists {
			// A box computed afresh (the story's first, or its first
			// since a take-down) chains from the story's stored version:
			// chained from nothing, a story published again with the box
			// it first had would repeat that box's event id, and
			// JetStream would drop the event as a duplicate.
			prev = "doc@" + strconv.FormatUint(s.index().Seq(id), 10)
		}
		msg := &linkingv1.RelatedUpdated{
			Meta: &articlev1.EventMeta{
				Id:          events.ID(id, rev, "related", listHash(prev, list)),
				ArticleId:   id,
				Revision:    rev,
				Actor:       "system",
				Time:        timestamppb.New(s.d.Clock.Now()),
				Traceparent: natsx.TraceparentFrom(ctx),
			},
			Related: list,
			// Publishing may then create its copy without reading first.
			First: !exists,
		}
		// A first story with nothing before it has no box to show: store
		// the empty list (GetRelated answers it) but tell nobody.
		if !exists && len(list) == 0 {
			return msg, nil, nil
		}
		return msg, []natsx.Event{{Subject: events.RelatedUpdated, ID: msg.Meta.Id, Msg: msg}}, nil
	})
	if err != nil {
		return fmt.Errorf("linking: store related of %s: %w", id, err)
	}
	// links learns at once which stories the box shows, before the watch
	// catches up.
	if kvRev != 0 {
		s.links.set(id, kvRev, box.GetRelated(), s.cfg.Related)
	}
	return nil
}

// compute is the box of story d, which now shows box, under curation c:
// the pinned stories first, then the ranking's best, never an excluded
// one, cfg.Related stories in all (more only if more are pinned).
//
// With offer, the box is only asked whether include enter it: the
// candidates are what it shows and include, ranked afresh, not the
// archive again. The archive was searched when the box was last computed
// for a reason of its own, and a new story can push out only what the
// box shows; searching the whole archive again for each box a story is
// offered to (about four a story) was most of linking's searching. What
// differs from a full search is drift alone (an older story the
// archive's growth has since moved into or out of the box's pool), which
// is no reason to rewrite a box (see refresh), and the order of the
// box's stories, ranked among themselves rather than among the archive's
// best.
func (s *Service) compute(d index.Doc, box []*articlev1.RelatedStory, c *linkingv1.Curation, include []string, offer bool) []*articlev1.RelatedStory {
	var out []*articlev1.RelatedStory
	for _, p := range c.GetPinned() {
		pd, ok := s.index().Get(p)
		if !ok || p == d.ID {
			continue
		}
		out = append(out, &articlev1.RelatedStory{
			ArticleId: pd.ID, Headline: pd.Headline, Url: pd.URL,
			PublishedAt: timestamppb.New(pd.PublishedAt), Pinned: true, Score: s.index().Score(d.ID, pd.ID, nil),
		})
	}
	k := s.cfg.Related - len(out)
	if k <= 0 {
		return out
	}
	allow := append(storyIDs(box), include...)
	exclude := append(slices.Clone(c.GetExcluded()), c.GetPinned()...)
	q := index.Query{ID: d.ID, K: k, Before: d.PublishedAt, Allow: allow, Exclude: exclude}
	if offer {
		q.Only = allow
	}
	hits := s.index().Search(q)
	return append(out, stories(relevant(hits))...)
}

// relativeFloor is the share of the best match's score a story needs to
// make the box: recency and a shared common word give every story some
// score, and a football result has no place beside a budget story just
// because the box has room.
const relativeFloor = 0.2

// relevant drops hits scoring below relativeFloor of the best one, in
// place (hits are the caller's, fresh from Search).
func relevant(hits []index.Hit) []index.Hit {
	if len(hits) == 0 {
		return hits
	}
	best := hits[0].Score
	for _, h := range hits {
		best = max(best, h.Score)
	}
	kept := hits[:0]
	for _, h := range hits {
		if h.Score >= relativeFloor*best {
			kept = append(kept, h)
		}
	}
	return kept
}

// forward gives story id's forward links: the other stories whose boxes it
// should enter, because it scores at least as well there as their weakest
// story (or, in a box not yet full, at least cfg.MinForward). Most are
// older stories; in an archive import they may be newer ones too, for
// which id is simply an earlier story. At most cfg.FanOut boxes change.
//
// A later story's box (one published after id but handled first) is
// recomputed with id as a candidate unless it is full and id scores below
// its weakest story. This is where a box may differ from one computed
// with the stories handled in order: the ranking orders a box by score
// plus likeness to the best matches, so a story scoring below the weakest
// may still rank in, in about 1 of 170 such boxes in the pipeline
// benchmark (TestCatchUpSkipsAFullBoxTheStoryCannotBeat). Every other
// recomputation of the box (a forward link entering it, a story it shows
// republished or taken down, a curation change) has id as a candidate
// and puts it in if it ranks; until then the box shows what it showed.
// Without the bound, those catch-ups were a third of the searches of a
// story in that benchmark, and 1 in 11 of them changed the box.
func (s *Service) forward(ctx context.Context, id string) error {
	d, ok := s.index().Get(id)
	if !ok {
		return nil
	}
	n := 0
	for _, h := range s.index().Backlinks(id, 2*s.cfg.FanOut+10, nil) {
		if n >= s.cfg.FanOut {
			break
		}
		other := h.Doc.ID
		weakest, full, shows := s.links.threshold(other, id, 0)
		// A story published after id but handled first (stories are
		// handled several at a time) computed its box without id: that
		// box must catch up whatever the floor, as if id had been handled
		// in order; compute's ranking and floor decide whether id makes
		// it, unless the box is full and id cannot beat its weakest.
		later := h.Doc.PublishedAt.After(d.PublishedAt)
		switch {
		case shows:
			continue
		case later && full && h.Score < weakest:
			continue
		case !later && (h.Score < s.cfg.MinForward || h.Score < weakest):
			continue
		}
		n++
		if err := s.refresh(ctx, other, false, id); err != nil {
			return err
		}
	}
	return nil
}

// applyLinks brings links up to date with one linking-related entry,
// decoded through the store (which owns its format); its revision keeps
// links from going back.
func (s *Service) applyLinks(_ context.Context, es []jetstream.KeyValueEntry) {
	for _, e := range es {
		if e.Operation() != jetstream.KeyValuePut {
			s.links.set(e.Key(), e.Revision(), nil, s.cfg.Related)
			continue
		}
		if s.links.has(e.Key(), e.Revision()) {
			continue
		}
		v, err := s.related.Decode(e.Value())
		if err != nil {
			s.log.Warn("undecodable related list", "article", e.Key(), "err", err)
			continue
		}
		s.links.set(e.Key(), e.Revision(), v.GetRelated(), s.cfg.Related)
	}
}

// stories turns index hits into Related News entries.
func stories(hits []index.Hit) []*articlev1.RelatedStory {
	out := make([]*articlev1.RelatedStory, 0, len(hits))
	for _, h := range hits {
		out = append(out, &articlev1.RelatedStory{
			ArticleId:   h.Doc.ID,
			Headline:    h.Doc.Headline,
			Url:         h.Doc.URL,
			PublishedAt: timestamppb.New(h.Doc.PublishedAt),
			Score:       h.Score,
		})
	}
	return out
}

// same reports whether two boxes show the same thing. Scores drift as the
// archive grows and are left out: they alone change no page.
func same(a, b []*articlev1.RelatedStory) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].GetArticleId() != b[i].GetArticleId() || a[i].GetHeadline() != b[i].GetHeadline() || a[i].GetPinned() != b[i].GetPinned() ||
			a[i].GetUrl() != b[i].GetUrl() || !a[i].GetPublishedAt().AsTime().Equal(b[i].GetPublishedAt().AsTime()) {
			return false
		}
	}
	return true
}

// listHash is the short hash that makes a RelatedUpdated id unique. It
// covers what a page shows of the box (ids, headlines, urls), so a story
// re-headlined in place still produces a fresh id, and the id of the
// previous update (for a box computed afresh, the story's stored version),
// so a box that changes back to an earlier list within JetStream's dedupe
// window is not dropped as a duplicate. It is
// deterministic: replicas handling the same change produce the same id.
func listHash(prev string, list []*articlev1.RelatedStory) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", prev)
	for _, r := range list {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%t\n", r.GetArticleId(), r.GetHeadline(), r.GetUrl(), r.GetPinned())
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// showsAny reports whether list shows one of ids.
func showsAny(list []*articlev1.RelatedStory, ids []string) bool {
	return slices.ContainsFunc(list, func(r *articlev1.RelatedStory) bool { return slices.Contains(ids, r.GetArticleId()) })
}

func storyIDs(list []*articlev1.RelatedStory) []string {
	out := make([]string, 0, len(list))
	for _, r := range list {
		out = append(out, r.GetArticleId())
	}
	return out
}
