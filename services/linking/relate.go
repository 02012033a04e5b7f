package linking

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
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
func (s *Service) refresh(ctx context.Context, id string) error {
	d, rev, ok := s.live.get(id)
	if !ok {
		return nil
	}
	list := stories(s.live.idx.Related(d, s.cfg.Related, d.PublishedAt))
	_, err := s.related.Update(ctx, id, func(cur *linkingv1.RelatedUpdated, exists bool) (*linkingv1.RelatedUpdated, []natsx.Event, error) {
		if exists && same(cur.GetRelated(), list) {
			return nil, nil, natsx.ErrNoChange
		}
		msg := &linkingv1.RelatedUpdated{
			Meta: &articlev1.EventMeta{
				Id:          events.ID(id, rev, "related", listHash(cur.GetMeta().GetId(), list)),
				ArticleId:   id,
				Revision:    rev,
				Actor:       "system",
				Time:        timestamppb.New(s.d.Clock.Now()),
				Traceparent: natsx.TraceparentFrom(ctx),
			},
			Related: list,
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
	return s.syncLinks(ctx, id)
}

// syncLinks reads back the box of article id, so that links knows at once
// which stories it shows, before the watch catches up.
func (s *Service) syncLinks(ctx context.Context, id string) error {
	v, kvRev, err := s.related.Get(ctx, id)
	if errors.Is(err, natsx.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	s.links.set(id, kvRev, storyIDs(v.GetRelated()))
	return nil
}

// applyLinks brings links up to date with one linking-related entry. The
// record is read back through the store (which owns its format); reading
// returns the latest version, and its revision keeps links from going back.
func (s *Service) applyLinks(ctx context.Context, e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		s.links.set(e.Key(), e.Revision(), nil)
		return
	}
	if err := s.syncLinks(ctx, e.Key()); err != nil && ctx.Err() == nil {
		s.log.Warn("reading related list", "article", e.Key(), "err", err)
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
		if a[i].GetArticleId() != b[i].GetArticleId() || a[i].GetHeadline() != b[i].GetHeadline() ||
			a[i].GetUrl() != b[i].GetUrl() || !a[i].GetPublishedAt().AsTime().Equal(b[i].GetPublishedAt().AsTime()) {
			return false
		}
	}
	return true
}

// listHash is the short hash that makes a RelatedUpdated id unique. It
// covers what a page shows of the box (ids, headlines, urls), so a story
// re-headlined in place still produces a fresh id, and the id of the
// previous update, so a box that changes back to an earlier list within
// JetStream's dedupe window is not dropped as a duplicate. It is
// deterministic: replicas handling the same change produce the same id.
func listHash(prev string, list []*articlev1.RelatedStory) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", prev)
	for _, r := range list {
		fmt.Fprintf(h, "%s\x00%s\x00%s\n", r.GetArticleId(), r.GetHeadline(), r.GetUrl())
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func storyIDs(list []*articlev1.RelatedStory) []string {
	out := make([]string, 0, len(list))
	for _, r := range list {
		out = append(out, r.GetArticleId())
	}
	return out
}
