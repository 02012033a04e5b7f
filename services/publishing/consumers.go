package publishing

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
)

// handleReview applies review's verdicts: a clear makes a revision
// publishable, a request for changes on a later revision ends that.
func (s *Service) handleReview(ctx context.Context, m jetstream.Msg) error {
	switch m.Subject() {
	case events.ArticleCleared:
		ev := &reviewv1.ArticleCleared{}
		if err := decode(m, ev); err != nil {
			return err
		}
		a := ev.GetArticle()
		id := ev.GetMeta().GetArticleId()
		if id == "" {
			id = a.GetId()
		}
		if a == nil || !validID(id) || a.GetRevision() <= 0 {
			return natsx.Permanent(fmt.Errorf("publishing: %s without a valid article", m.Subject()))
		}
		if (a.GetId() != "" && a.GetId() != id) || (ev.GetMeta().GetRevision() != 0 && ev.GetMeta().GetRevision() != a.GetRevision()) {
			return natsx.Permanent(fmt.Errorf("publishing: %s: meta names %s/%d, article is %s/%d",
				m.Subject(), id, ev.GetMeta().GetRevision(), a.GetId(), a.GetRevision()))
		}
		if a.GetId() == "" {
			a.Id = id
		}
		return s.cleared(ctx, id, a)
	case events.ChangesRequested:
		ev := &reviewv1.ChangesRequested{}
		if err := decode(m, ev); err != nil {
			return err
		}
		id, rev := ev.GetMeta().GetArticleId(), ev.GetMeta().GetRevision()
		if !validID(id) || rev <= 0 {
			return natsx.Permanent(fmt.Errorf("publishing: %s without a valid article id and revision", m.Subject()))
		}
		return s.superseded(ctx, id, superseding{revision: rev})
	}
	return nil
}

// articleEvent is what the drafting events publishing reads have in common.
type articleEvent interface {
	proto.Message
	GetMeta() *articlev1.EventMeta
	GetArticle() *articlev1.Article
}

// handleDrafting learns of the author's later work: a new revision, a
// (re)submission or a withdrawal may make the cleared revision stale.
func (s *Service) handleDrafting(ctx context.Context, m jetstream.Msg) error {
	var ev articleEvent
	switch m.Subject() {
	case events.ArticleUpdated:
		ev = &draftingv1.ArticleUpdated{}
	case events.ArticleSubmitted:
		ev = &draftingv1.ArticleSubmitted{}
	case events.ArticleWithdrawn:
		ev = &draftingv1.ArticleWithdrawn{}
	default:
		return nil
	}
	if err := decode(m, ev); err != nil {
		return err
	}
	id, rev := ev.GetMeta().GetArticleId(), ev.GetMeta().GetRevision()
	if id == "" {
		id = ev.GetArticle().GetId()
	}
	if rev == 0 {
		rev = ev.GetArticle().GetRevision()
	}
	if !validID(id) || rev <= 0 {
		return natsx.Permanent(fmt.Errorf("publishing: %s without a valid article id and revision", m.Subject()))
	}
	return s.superseded(ctx, id, superseding{
		revision:  rev,
		stateSeq:  ev.GetArticle().GetStateSeq(),
		withdrawn: m.Subject() == events.ArticleWithdrawn,
	})
}

// handleLinking stores an article's Related News list, so its page shows
// it (see boxKey). A list for an article publishing has not heard
// of is kept too: it shows once the article goes live.
func (s *Service) handleLinking(ctx context.Context, m jetstream.Msg) error {
	if m.Subject() != events.RelatedUpdated {
		return nil
	}
	ev := &linkingv1.RelatedUpdated{}
	if err := decode(m, ev); err != nil {
		return err
	}
	id := ev.GetMeta().GetArticleId()
	if !validID(id) {
		return natsx.Permanent(fmt.Errorf("publishing: %s without a valid article id", m.Subject()))
	}
	return s.storeBox(ctx, id, ev.GetRelated(), ev.GetFirst())
}

// cleared records that review cleared revision a of article id.
func (s *Service) cleared(ctx context.Context, id string, a *articlev1.Article) error {
	dropped := false
	_, err := s.pubs.Update(ctx, id, func(cur *publishingv1.Publication, exists bool) (*publishingv1.Publication, []natsx.Event, error) {
		cur.ArticleId = id
		upgrade(cur)
		changed, unscheduled := applyCleared(cur, a)
		if !changed {
			return nil, nil, natsx.ErrNoChange
		}
		dropped = unscheduled
		return cur, nil, nil
	})
	if err == nil && dropped {
		s.dropScheduleKey(ctx, id)
	}
	return err
}

// superseded records a drafting or review event that may end the cleared
// revision's readiness. The record is created if need be, so a clear that
// arrives later for an older revision is recognised as stale.
//
// The submission of an article's first revision almost always finds no
// record: it is offered as new without reading the bucket
// (natsx.Store.Create), a write the bucket refuses if the record exists
// after all (a resubmission, a redelivery, an event handled by another
// replica), which is then decided again on the record as read. It saves a
// read an article.
func (s *Service) superseded(ctx context.Context, id string, ev superseding) error {
	dropped := false
	update := s.pubs.Update
	if ev.revision <= 1 && !ev.withdrawn {
		update = s.pubs.Create
	}
	_, err := update(ctx, id, func(cur *publishingv1.Publication, exists bool) (*publishingv1.Publication, []natsx.Event, error) {
		cur.ArticleId = id
		upgrade(cur)
		changed, unscheduled := applySuperseded(cur, ev)
		if !changed {
			return nil, nil, natsx.ErrNoChange
		}
		dropped = unscheduled
		return cur, nil, nil
	})
	if err == nil && dropped {
		s.dropScheduleKey(ctx, id)
	}
	return err
}

// decode unmarshals an event; one that cannot be decoded never will be.
func decode(m jetstream.Msg, v proto.Message) error {
	if err := proto.Unmarshal(m.Data(), v); err != nil {
		return natsx.Permanent(fmt.Errorf("publishing: decode %s: %w", m.Subject(), err))
	}
	return nil
}
