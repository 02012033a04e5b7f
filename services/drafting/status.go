package drafting

import (
	"context"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
)

// A statusEvent is another service's event about an article, decoded: its
// meta and how it changes the article. apply edits a (a copy of the stored
// article) and reports whether it changed anything; it must decide only
// from a and the event, so a redelivered event finds nothing to do. A nil
// apply marks an event about no article of drafting's (an archive import),
// which is acked and ignored.
type statusEvent struct {
	meta  *articlev1.EventMeta
	apply func(a *articlev1.Article) bool
}

const (
	inReview         = articlev1.Status_STATUS_IN_REVIEW
	changesRequested = articlev1.Status_STATUS_CHANGES_REQUESTED
	ready            = articlev1.Status_STATUS_READY
	scheduled        = articlev1.Status_STATUS_SCHEDULED
	published        = articlev1.Status_STATUS_PUBLISHED
	unpublished      = articlev1.Status_STATUS_UNPUBLISHED
)

// move sets a's status to `to` if a is at the event's revision and in one
// of the from states: the state machine of docs/architecture.md. Events
// for another revision are late (the article has been edited since) and
// must not move it.
func move(a *articlev1.Article, rev int64, to articlev1.Status, from ...articlev1.Status) bool {
	if a.Revision != rev {
		return false
	}
	for _, f := range from {
		if a.Status == f {
			a.Status = to
			return true
		}
	}
	return false
}

func decodeStatusEvent(subject string, data []byte) (*statusEvent, error) {
	switch subject {
	case events.ArticleCleared:
		var e reviewv1.ArticleCleared
		if err := proto.Unmarshal(data, &e); err != nil {
			return nil, err
		}
		rev := e.GetMeta().GetRevision()
		note := e.GetArticle().GetSensitivityNote()
		return &statusEvent{e.GetMeta(), func(a *articlev1.Article) bool {
			if !move(a, rev, ready, inReview) {
				return false
			}
			a.SensitivityNote = note
			return true
		}}, nil

	case events.ChangesRequested:
		var e reviewv1.ChangesRequested
		if err := proto.Unmarshal(data, &e); err != nil {
			return nil, err
		}
		rev := e.GetMeta().GetRevision()
		return &statusEvent{e.GetMeta(), func(a *articlev1.Article) bool {
			return move(a, rev, changesRequested, inReview)
		}}, nil

	case events.ArticleScheduled:
		var e publishingv1.ArticleScheduled
		if err := proto.Unmarshal(data, &e); err != nil {
			return nil, err
		}
		rev := e.GetMeta().GetRevision()
		at := e.GetPublishAt()
		return &statusEvent{e.GetMeta(), func(a *articlev1.Article) bool {
			// A later schedule of a SCHEDULED article moves its time.
			if a.Revision == rev && a.Status == scheduled {
				if proto.Equal(a.ScheduledAt, at) {
					return false
				}
				a.ScheduledAt = at
				return true
			}
			if !move(a, rev, scheduled, ready) {
				return false
			}
			a.ScheduledAt = at
			return true
		}}, nil

	case events.ArticleUnscheduled:
		var e publishingv1.ArticleUnscheduled
		if err := proto.Unmarshal(data, &e); err != nil {
			return nil, err
		}
		rev := e.GetMeta().GetRevision()
		return &statusEvent{e.GetMeta(), func(a *articlev1.Article) bool {
			if !move(a, rev, ready, scheduled) {
				return false
			}
			a.ScheduledAt = nil
			return true
		}}, nil

	case events.ArticlePublished:
		var e publishingv1.ArticlePublished
		if err := proto.Unmarshal(data, &e); err != nil {
			return nil, err
		}
		meta, live, n := e.GetMeta(), e.GetArticle(), e.GetPublication()
		if e.GetImported() {
			return &statusEvent{meta: meta}, nil
		}
		return &statusEvent{meta, func(a *articlev1.Article) bool {
			if late(a, n) {
				return false
			}
			changed := applyPublished(a, meta, live)
			if n > a.Publication {
				a.Publication = n
				changed = true
			}
			return changed
		}}, nil

	case events.ArticleUnpublished:
		var e publishingv1.ArticleUnpublished
		if err := proto.Unmarshal(data, &e); err != nil {
			return nil, err
		}
		rev, n := e.GetMeta().GetRevision(), e.GetPublication()
		return &statusEvent{e.GetMeta(), func(a *articlev1.Article) bool {
			// An older publication's take-down must not touch a newer one,
			// even of the same revision (taken down and put up again):
			// publishing numbers its publications, and events from before
			// that numbering (0) fall back to the revision. The live copy
			// may come down while a newer revision is READY (or was
			// SCHEDULED: publishing calls that off first, with an
			// unscheduled event): that status stays, only the live
			// revision goes.
			if rev < a.PublishedRevision || late(a, n) {
				return false
			}
			changed := a.PublishedRevision != 0 || a.Publication != n
			a.Publication = n
			a.PublishedRevision = 0
			if a.Status == published {
				a.Status = unpublished
				changed = true
			}
			return changed
		}}, nil
	}
	return nil, fmt.Errorf("unexpected subject %s", subject)
}

// late reports whether publishing's event about publication n (or its
// take-down) comes before what a already reflects. One article's
// publishing events run publication 1, its take-down, publication 2, …;
// a redelivered or late event can arrive after a later one, and must not
// put a taken-down story back up or take a republished one down. Events
// from before publications were numbered carry 0 and are ordered by
// revision alone.
func late(a *articlev1.Article, n int32) bool {
	if n == 0 {
		return false
	}
	if n != a.Publication {
		return n < a.Publication
	}
	// The same publication: its take-down is late only if already applied
	// (nothing live); its going up is late once it has been taken down.
	return a.PublishedRevision == 0 && a.Publication > 0
}

// applyPublished records what is live even if the article has been edited
// since (the public page shows the published revision while the newsroom
// works on the next); the status moves to PUBLISHED only if the published
// revision is still the current one.
func applyPublished(a *articlev1.Article, meta *articlev1.EventMeta, live *articlev1.Article) bool {
	rev := meta.GetRevision()
	if rev < a.PublishedRevision {
		return false // a late event for an older publication
	}
	changed := false
	if a.PublishedRevision != rev {
		a.PublishedRevision = rev
		changed = true
	}
	if url := live.GetPublicUrl(); url != "" && url != a.PublicUrl {
		a.PublicUrl = url
		changed = true
	}
	// Corrections go out with publications; the newsroom sees them here.
	if !equalCorrections(a.Corrections, live.GetCorrections()) {
		a.Corrections = live.GetCorrections()
		changed = true
	}
	if a.PublishedAt == nil {
		// The first publication; a republication keeps it.
		a.PublishedAt = live.GetPublishedAt()
		if a.PublishedAt == nil {
			a.PublishedAt = meta.GetTime()
		}
		if a.PublishedAt == nil {
			a.PublishedAt = timestamppb.Now()
		}
		changed = true
	}
	if move(a, rev, published, ready, scheduled, unpublished) {
		a.ScheduledAt = nil
		changed = true
	}
	return changed
}

func equalCorrections(x, y []*articlev1.Correction) bool {
	return slices.EqualFunc(x, y, func(a, b *articlev1.Correction) bool { return proto.Equal(a, b) })
}

// handleStatus applies a review or publishing event to the article's
// status, once: the change is a compare-and-set on the article, and a
// redelivered event finds it already applied and changes nothing.
func (s *Service) handleStatus(ctx context.Context, msg jetstream.Msg) error {
	ev, err := decodeStatusEvent(msg.Subject(), msg.Data())
	if err != nil {
		return natsx.Permanent(fmt.Errorf("drafting: decode %s: %w", msg.Subject(), err))
	}
	if ev.apply == nil {
		return nil
	}
	id := ev.meta.GetArticleId()
	if !validID(id) || ev.meta.GetRevision() <= 0 {
		return natsx.Permanent(fmt.Errorf("drafting: %s without a valid article id and revision", msg.Subject()))
	}
	_, err = s.articles.Update(ctx, id, func(cur *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
		if !exists {
			// Nothing drafting never wrote can be reviewed or published.
			s.log.WarnContext(ctx, "event for an unknown article ignored", "subject", msg.Subject(), "id", id)
			return nil, nil, natsx.ErrNoChange
		}
		next := clone(cur)
		if !ev.apply(next) {
			return nil, nil, natsx.ErrNoChange
		}
		next.StateSeq++
		var out []natsx.Event
		if next.Status != cur.Status {
			out = append(out, s.statusEvent(ctx, next, cur.Status))
		}
		return next, out, nil
	})
	return err
}
