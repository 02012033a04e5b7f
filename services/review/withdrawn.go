package review

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/natsx"
)

// onWithdrawn closes the review of a revision its author took back. A
// withdrawal of another revision, or of an earlier submission of this one,
// changes nothing.
func (s *Service) onWithdrawn(ctx context.Context, msg jetstream.Msg) error {
	var ev draftingv1.ArticleWithdrawn
	if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
		return natsx.Permanent(fmt.Errorf("%w: %v", ErrBadEvent, err))
	}
	a := ev.GetArticle()
	if a.GetId() == "" || a.GetRevision() <= 0 {
		return natsx.Permanent(fmt.Errorf("%w: withdrawn event without article id or revision", ErrBadEvent))
	}
	_, err := s.reviews.Update(ctx, a.GetId(), func(cur *reviewv1.Review, exists bool) (*reviewv1.Review, []natsx.Event, error) {
		if !exists || cur.GetRevision() != a.GetRevision() ||
			a.GetStateSeq() <= cur.GetSubmissionSeq() ||
			cur.GetState() == reviewv1.ReviewState_REVIEW_STATE_WITHDRAWN {
			return nil, nil, natsx.ErrNoChange
		}
		cur.State = reviewv1.ReviewState_REVIEW_STATE_WITHDRAWN
		cur.Decisions = append(cur.Decisions, &reviewv1.Decision{
			Action: actWithdraw, Actor: ev.GetMeta().GetActor(), Time: ev.GetMeta().GetTime(), Revision: cur.GetRevision(),
		})
		return cur, nil, nil
	})
	return err
}
