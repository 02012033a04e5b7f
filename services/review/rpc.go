package review

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/grpcx"
	"newsroom.dev/platform/natsx"
)

// GetReview returns the review of an article's latest submitted revision.
func (s *Service) GetReview(ctx context.Context, req *reviewv1.GetReviewRequest) (*reviewv1.GetReviewResponse, error) {
	if err := requireArticleID(req.GetArticleId()); err != nil {
		return nil, err
	}
	r, _, err := s.reviews.GetLatest(ctx, req.GetArticleId())
	if errors.Is(err, natsx.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "no review for article %q", req.GetArticleId())
	}
	if err != nil {
		return nil, grpcx.Internal(ctx, s.log, "get review", err)
	}
	return &reviewv1.GetReviewResponse{Review: r}, nil
}

// ApproveFlag accepts a flagged passage as it stands.
func (s *Service) ApproveFlag(ctx context.Context, req *reviewv1.ApproveFlagRequest) (*reviewv1.ApproveFlagResponse, error) {
	note, err := approveNote(req)
	if err != nil {
		return nil, err
	}
	r, err := s.decide(ctx, req.GetArticleId(), req.GetFlagId(), req.GetExpectedRevision(),
		reviewv1.FlagStatus_FLAG_STATUS_APPROVED, note)
	if err != nil {
		return nil, err
	}
	return &reviewv1.ApproveFlagResponse{Review: r}, nil
}

// DismissFlag marks a flag as a false alarm; the reason is kept for audit.
func (s *Service) DismissFlag(ctx context.Context, req *reviewv1.DismissFlagRequest) (*reviewv1.DismissFlagResponse, error) {
	reason, err := dismissReason(req)
	if err != nil {
		return nil, err
	}
	r, err := s.decide(ctx, req.GetArticleId(), req.GetFlagId(), req.GetExpectedRevision(),
		reviewv1.FlagStatus_FLAG_STATUS_DISMISSED, reason)
	if err != nil {
		return nil, err
	}
	return &reviewv1.DismissFlagResponse{Review: r}, nil
}

// decide records a decision on one flag and clears the review when it was
// the last WARNING or BLOCKER flag open.
func (s *Service) decide(ctx context.Context, articleID, flagID string, expected int64, st reviewv1.FlagStatus, reason string) (*reviewv1.Review, error) {
	if err := validateDecision(articleID, flagID); err != nil {
		return nil, err
	}
	actor := auth.Actor(ctx)
	action := actApprove
	if st == reviewv1.FlagStatus_FLAG_STATUS_DISMISSED {
		action = actDismiss
	}
	return s.update(ctx, articleID, "decide flag", func(r *reviewv1.Review) ([]natsx.Event, error) {
		if expected != 0 && expected != r.GetRevision() {
			return nil, status.Errorf(codes.Aborted, "revision %d is under review, not %d", r.GetRevision(), expected)
		}
		if actor == r.GetAuthor() || actor == r.GetLastEditor() {
			return nil, status.Error(codes.PermissionDenied, "authors may not decide flags on their own article")
		}
		if r.GetState() != reviewv1.ReviewState_REVIEW_STATE_OPEN {
			return nil, status.Errorf(codes.FailedPrecondition, "review is %s, not open", stateName(r.GetState()))
		}
		f := findFlag(r, flagID)
		if f == nil {
			return nil, status.Errorf(codes.NotFound, "no flag %q on revision %d", flagID, r.GetRevision())
		}
		if f.GetStatus() != reviewv1.FlagStatus_FLAG_STATUS_OPEN {
			return nil, status.Errorf(codes.FailedPrecondition, "flag %q is already decided", flagID)
		}
		now := s.clock.Now()
		f.Status, f.DecidedBy, f.DecidedAt, f.Reason, f.CarriedFrom = st, actor, timestamppb.New(now), reason, 0
		remember(r, f, f.DecidedAt)
		r.Decisions = append(r.Decisions, &reviewv1.Decision{
			Action: action, FlagId: flagID, Actor: actor, Time: timestamppb.New(now), Text: reason, Revision: r.GetRevision(),
		})
		evs := []natsx.Event{decidedEvent(ctx, r, f, now)}
		if clearable(r) {
			a, err := s.submitted(ctx, r)
			if err != nil {
				return nil, err
			}
			evs = append(evs, clearReview(ctx, r, a, now))
		}
		return evs, nil
	})
}

// RequestChanges sends the revision back to its author with a note.
func (s *Service) RequestChanges(ctx context.Context, req *reviewv1.RequestChangesRequest) (*reviewv1.RequestChangesResponse, error) {
	note, err := changesNote(req)
	if err != nil {
		return nil, err
	}
	actor := auth.Actor(ctx)
	r, err := s.update(ctx, req.GetArticleId(), "request changes", func(r *reviewv1.Review) ([]natsx.Event, error) {
		if actor == r.GetAuthor() || actor == r.GetLastEditor() {
			return nil, status.Error(codes.PermissionDenied, "authors may not review their own article")
		}
		if r.GetState() != reviewv1.ReviewState_REVIEW_STATE_OPEN {
			return nil, status.Errorf(codes.FailedPrecondition, "review is %s, not open", stateName(r.GetState()))
		}
		now := s.clock.Now()
		r.State = reviewv1.ReviewState_REVIEW_STATE_CHANGES_REQUESTED
		r.ChangesNote = note
		r.Decisions = append(r.Decisions, &reviewv1.Decision{
			Action: actRequestChanges, Actor: actor, Time: timestamppb.New(now), Text: note, Revision: r.GetRevision(),
		})
		return []natsx.Event{changesEvent(ctx, r, now)}, nil
	})
	if err != nil {
		return nil, err
	}
	return &reviewv1.RequestChangesResponse{Review: r}, nil
}

// SetSensitivityNote sets, replaces or (given an empty note) removes the
// note that will be published with the article, or accepts the proposed
// one. Once a review is cleared its note has gone out with the article and
// can no longer change here.
func (s *Service) SetSensitivityNote(ctx context.Context, req *reviewv1.SetSensitivityNoteRequest) (*reviewv1.SetSensitivityNoteResponse, error) {
	title, text, empty, err := sensitivityNote(req)
	if err != nil {
		return nil, err
	}
	actor := auth.Actor(ctx)
	r, err := s.update(ctx, req.GetArticleId(), "set note", func(r *reviewv1.Review) ([]natsx.Event, error) {
		if actor == r.GetAuthor() || actor == r.GetLastEditor() {
			return nil, status.Error(codes.PermissionDenied, "authors may not review their own article")
		}
		switch r.GetState() {
		case reviewv1.ReviewState_REVIEW_STATE_OPEN:
		case reviewv1.ReviewState_REVIEW_STATE_CLEARED:
			return nil, status.Error(codes.FailedPrecondition, "review is already cleared; its note went out with the article")
		default:
			return nil, status.Errorf(codes.FailedPrecondition, "review is %s, not open", stateName(r.GetState()))
		}
		switch {
		case req.GetAcceptProposed():
			if r.GetProposedNote() == nil {
				return nil, status.Error(codes.FailedPrecondition, "there is no proposed note to accept")
			}
			r.Note = proto.Clone(r.GetProposedNote()).(*articlev1.SensitivityNote)
		case empty:
			r.Note = nil
		default:
			r.Note = &articlev1.SensitivityNote{Title: title, Text: text}
		}
		r.Decisions = append(r.Decisions, &reviewv1.Decision{
			Action: actSetNote, Actor: actor, Time: timestamppb.New(s.clock.Now()), Text: r.GetNote().GetText(), Revision: r.GetRevision(),
		})
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	return &reviewv1.SetSensitivityNoteResponse{Review: r}, nil
}

// CheckText runs the rules over an article without storing anything, so
// writers can check copy before they submit it.
func (s *Service) CheckText(ctx context.Context, req *reviewv1.CheckTextRequest) (*reviewv1.CheckTextResponse, error) {
	if err := validateCheckText(req); err != nil {
		return nil, err
	}
	set := s.ruleSet()
	findings := set.Scan(articleFields(req.GetArticle()))
	return &reviewv1.CheckTextResponse{Flags: toFlags(findings), ProposedNote: toNote(set.Note(findings))}, nil
}

// update applies fn to an existing review with compare-and-set. fn returns
// gRPC status errors for the caller; anything else is logged as internal.
func (s *Service) update(ctx context.Context, articleID, what string, fn func(r *reviewv1.Review) ([]natsx.Event, error)) (*reviewv1.Review, error) {
	r, err := s.reviews.Update(ctx, articleID, func(cur *reviewv1.Review, exists bool) (*reviewv1.Review, []natsx.Event, error) {
		if !exists {
			return nil, nil, status.Errorf(codes.NotFound, "no review for article %q", articleID)
		}
		evs, err := fn(cur)
		return cur, evs, err
	})
	if err != nil {
		if _, ok := status.FromError(err); ok {
			return nil, err
		}
		return nil, grpcx.Internal(ctx, s.log, what, err)
	}
	return r, nil
}

// submitted loads the revision under review as it was submitted.
//
// The article was stored before the review that names it, so it exists;
// but a follower of a replicated bucket a few milliseconds behind the
// leader answers "not found" (seen in the compose stack: a desk decision
// moments after the flags were raised failed as Internal), so it is read
// from the leader.
func (s *Service) submitted(ctx context.Context, r *reviewv1.Review) (*articlev1.Article, error) {
	a, _, err := s.articles.GetLatest(ctx, articleKey(r.GetArticleId(), r.GetRevision()))
	if err != nil {
		return nil, fmt.Errorf("review: submitted article %s revision %d: %w", r.GetArticleId(), r.GetRevision(), err)
	}
	return a, nil
}

func stateName(st reviewv1.ReviewState) string {
	return strings.ToLower(strings.TrimPrefix(st.String(), "REVIEW_STATE_"))
}
