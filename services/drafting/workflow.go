package drafting

import (
	"context"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	"newsroom.dev/platform/natsx"
)

// SubmitArticle sends the latest revision to review. Submitting an article
// already in review at that revision succeeds without doing anything, so a
// client may retry a submit whose answer it lost.
func (s *Service) SubmitArticle(ctx context.Context, req *draftingv1.SubmitArticleRequest) (*draftingv1.SubmitArticleResponse, error) {
	id := req.GetId()
	if err := checkID(id); err != nil {
		return nil, err
	}
	if req.GetExpectedRevision() < 0 {
		var v violations
		v.add("expected_revision", "must be positive")
		return nil, v.err()
	}
	if !validID(id) {
		return nil, notFound(id)
	}
	stored, err := s.articles.Update(ctx, id, func(cur *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
		if !exists {
			return nil, nil, notFound(id)
		}
		if exp := req.GetExpectedRevision(); exp != 0 && exp != cur.Revision {
			return nil, nil, stale(exp, cur.Revision)
		}
		switch cur.Status {
		case articlev1.Status_STATUS_IN_REVIEW:
			return nil, nil, natsx.ErrNoChange
		case articlev1.Status_STATUS_DRAFT, articlev1.Status_STATUS_CHANGES_REQUESTED:
		default:
			return nil, nil, wrongState(cur, "only a draft can be submitted; edit it to start a new revision")
		}
		next := clone(cur)
		next.Status = articlev1.Status_STATUS_IN_REVIEW
		next.StateSeq++
		return next, []natsx.Event{s.submittedEvent(ctx, next)}, nil
	})
	if err != nil {
		return nil, s.rpcError(ctx, "submit article", err)
	}
	return &draftingv1.SubmitArticleResponse{Article: stored}, nil
}

// WithdrawArticle takes an article in review, or cleared but not yet
// scheduled or published, back to DRAFT.
func (s *Service) WithdrawArticle(ctx context.Context, req *draftingv1.WithdrawArticleRequest) (*draftingv1.WithdrawArticleResponse, error) {
	id := req.GetId()
	if err := checkID(id); err != nil {
		return nil, err
	}
	if !validID(id) {
		return nil, notFound(id)
	}
	stored, err := s.articles.Update(ctx, id, func(cur *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
		if !exists {
			return nil, nil, notFound(id)
		}
		switch cur.Status {
		case articlev1.Status_STATUS_IN_REVIEW, articlev1.Status_STATUS_READY:
		case articlev1.Status_STATUS_SCHEDULED:
			return nil, nil, wrongState(cur, "unschedule it first")
		default:
			return nil, nil, wrongState(cur, "only an article in review or ready can be withdrawn")
		}
		next := clone(cur)
		next.Status = articlev1.Status_STATUS_DRAFT
		next.StateSeq++
		return next, []natsx.Event{s.withdrawnEvent(ctx, next)}, nil
	})
	if err != nil {
		return nil, s.rpcError(ctx, "withdraw article", err)
	}
	return &draftingv1.WithdrawArticleResponse{Article: stored}, nil
}
