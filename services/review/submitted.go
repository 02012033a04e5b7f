package review

import (
	"context"
	"errors"
	"fmt"
	"newsroom.dev/platform/metrics"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/natsx"
)

// ErrBadEvent is a drafting event review cannot use; it is dead-lettered.
var ErrBadEvent = errors.New("review: malformed event")

// onSubmitted scans a submitted revision and opens its review, replacing
// the review of an older revision or submission. When the desk must decide
// flags before the revision can be cleared, it first keeps the article
// (review-articles, <id>.<revision>) so that the review, once stored, can
// always send it on when cleared. A revision the scan clears at once goes
// out with the cleared event of this very write and is never read back,
// so it is not kept: most submissions save that write (see keep).
func (s *Service) onSubmitted(ctx context.Context, msg jetstream.Msg) error {
	var ev draftingv1.ArticleSubmitted
	if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
		return natsx.Permanent(fmt.Errorf("%w: %v", ErrBadEvent, err))
	}
	a := ev.GetArticle()
	if a.GetId() == "" || a.GetRevision() <= 0 {
		return natsx.Permanent(fmt.Errorf("%w: submitted event without article id or revision", ErrBadEvent))
	}
	set := s.ruleSet()
	findings := set.Scan(articleFields(a))
	later, err := s.keep(ctx, a, !anyBlocking(findings))
	if err != nil {
		return err
	}
	if later {
		return nil // a later submission of this revision is already in
	}
	proposed := toNote(set.Note(findings))
	now := s.clock.Now()
	submittedAt := ev.GetMeta().GetTime()
	if submittedAt == nil {
		submittedAt = timestamppb.New(now)
	}
	submitter := ev.GetMeta().GetActor()
	if submitter == "" {
		submitter = a.GetUpdatedBy()
	}
	var raised []*reviewv1.Flag
	_, err = s.reviews.Create(ctx, a.GetId(), func(cur *reviewv1.Review, exists bool) (*reviewv1.Review, []natsx.Event, error) {
		raised = nil
		if exists && (cur.GetRevision() > a.GetRevision() ||
			cur.GetRevision() == a.GetRevision() && cur.GetSubmissionSeq() >= a.GetStateSeq()) {
			return nil, nil, natsx.ErrNoChange
		}
		r := &reviewv1.Review{
			ArticleId:     a.GetId(),
			Revision:      a.GetRevision(),
			State:         reviewv1.ReviewState_REVIEW_STATE_OPEN,
			Headline:      a.GetHeadline(),
			Desk:          a.GetDesk(),
			Author:        a.GetCreatedBy(),
			LastEditor:    a.GetUpdatedBy(),
			SubmittedAt:   submittedAt,
			Flags:         toFlags(findings),
			ProposedNote:  proposed,
			SubmissionSeq: a.GetStateSeq(),
		}
		if exists {
			// History, decided passages and the reader note outlive a
			// revision: a typo fix to a story that ran with a note keeps
			// the note, and every passage decided before keeps its decision.
			r.Decisions = cur.GetDecisions()
			r.Decided = cur.GetDecided()
			r.Note = cur.GetNote()
			carryOver(r.Flags, r.Decided)
		}
		r.Decisions = append(r.Decisions, submitDecision(a, submitter, submittedAt))
		var evs []natsx.Event
		if len(r.Flags) > 0 {
			raised = r.Flags
			evs = append(evs, flaggedEvent(ctx, r, now))
		}
		if clearable(r) {
			evs = append(evs, clearReview(ctx, r, a, now))
		}
		return r, evs, nil
	})
	if err == nil {
		for _, f := range raised {
			if f.GetStatus() == reviewv1.FlagStatus_FLAG_STATUS_OPEN {
				metrics.Flags.WithLabelValues(f.GetCategory(), f.GetSeverity().String()).Inc()
			}
		}
	}
	return err
}

// clearReview moves r to CLEARED, records it, and returns the ArticleCleared event.
func clearReview(ctx context.Context, r *reviewv1.Review, a *articlev1.Article, now time.Time) natsx.Event {
	r.State = reviewv1.ReviewState_REVIEW_STATE_CLEARED
	r.Decisions = append(r.Decisions, &reviewv1.Decision{
		Action: actCleared, Actor: auth.Actor(ctx), Time: timestamppb.New(now), Revision: r.GetRevision(),
	})
	return clearedEvent(ctx, r, a, now)
}

// keep stores the submitted article a for the desk's decisions to send on
// with the cleared event, unless clearsAtOnce: the scan found no WARNING
// or BLOCKER flag, so the review clears at submission (decisions carried
// over from earlier revisions only ever close flags) and nothing will
// read it. It reports whether a later submission of the same revision is
// already kept, which makes a a stale one; with clearsAtOnce that check
// is a read, not a write.
func (s *Service) keep(ctx context.Context, a *articlev1.Article, clearsAtOnce bool) (later bool, err error) {
	key := articleKey(a.GetId(), a.GetRevision())
	if clearsAtOnce {
		cur, _, err := s.articles.GetLatest(ctx, key)
		if errors.Is(err, natsx.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return cur.GetStateSeq() > a.GetStateSeq(), nil
	}
	stored, err := s.articles.Create(ctx, key, func(cur *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
		if exists && cur.GetStateSeq() >= a.GetStateSeq() {
			return nil, nil, natsx.ErrNoChange
		}
		return a, nil, nil
	})
	if err != nil {
		return false, err
	}
	return stored.GetStateSeq() > a.GetStateSeq(), nil
}
