package review

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
)

// Event kinds, the third part of an event id.
const (
	kindFlagged          = "flagged"
	kindFlagDecided      = "flag_decided"
	kindCleared          = "cleared"
	kindChangesRequested = "changes_requested"
)

// Decision actions recorded in a review's history.
const (
	actSubmit         = "submit"
	actApprove        = "approve"
	actDismiss        = "dismiss"
	actRequestChanges = "request_changes"
	actSetNote        = "set_note"
	actCleared        = "cleared"
	actWithdraw       = "withdraw"
)

// meta fills an event's metadata. Ids end with the submission's state_seq
// (Review.submission_seq): a revision withdrawn and submitted again is a
// new submission whose events must not be deduplicated against the first
// one's.
func meta(ctx context.Context, r *reviewv1.Review, kind string, now time.Time, extra ...string) *articlev1.EventMeta {
	parts := append([]string{strconv.FormatInt(r.GetSubmissionSeq(), 10)}, extra...)
	return &articlev1.EventMeta{
		Id:          events.ID(r.GetArticleId(), r.GetRevision(), kind, parts...),
		ArticleId:   r.GetArticleId(),
		Revision:    r.GetRevision(),
		Actor:       auth.Actor(ctx),
		Time:        timestamppb.New(now),
		Traceparent: natsx.TraceparentFrom(ctx),
	}
}

// submitDecision records a submission in the history.
func submitDecision(a *articlev1.Article, actor string, at *timestamppb.Timestamp) *reviewv1.Decision {
	return &reviewv1.Decision{Action: actSubmit, Actor: actor, Time: at, Revision: a.GetRevision()}
}

func flaggedEvent(ctx context.Context, r *reviewv1.Review, now time.Time) natsx.Event {
	m := meta(ctx, r, kindFlagged, now)
	return natsx.Event{Subject: events.ArticleFlagged, ID: m.Id, Msg: &reviewv1.ArticleFlagged{Meta: m, Flags: cloneFlags(r.GetFlags())}}
}

func decidedEvent(ctx context.Context, r *reviewv1.Review, f *reviewv1.Flag, now time.Time) natsx.Event {
	m := meta(ctx, r, kindFlagDecided, now, f.GetId())
	return natsx.Event{Subject: events.FlagDecided, ID: m.Id, Msg: &reviewv1.FlagDecided{Meta: m, Flag: proto.Clone(f).(*reviewv1.Flag)}}
}

// clearedEvent carries the submitted article with the review's note, which
// is all publishing needs.
func clearedEvent(ctx context.Context, r *reviewv1.Review, a *articlev1.Article, now time.Time) natsx.Event {
	m := meta(ctx, r, kindCleared, now)
	out := proto.Clone(a).(*articlev1.Article)
	out.SensitivityNote = nil
	if r.GetNote() != nil {
		out.SensitivityNote = proto.Clone(r.GetNote()).(*articlev1.SensitivityNote)
	}
	return natsx.Event{Subject: events.ArticleCleared, ID: m.Id, Msg: &reviewv1.ArticleCleared{Meta: m, Article: out}}
}

func changesEvent(ctx context.Context, r *reviewv1.Review, now time.Time) natsx.Event {
	m := meta(ctx, r, kindChangesRequested, now)
	return natsx.Event{Subject: events.ChangesRequested, ID: m.Id, Msg: &reviewv1.ChangesRequested{Meta: m, Note: r.GetChangesNote()}}
}

// articleKey is where the submitted revision is kept, so the review can
// send it on when the last flag is decided.
func articleKey(id string, rev int64) string { return fmt.Sprintf("%s.%d", id, rev) }
