package publishing

import (
	"errors"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
)

// The state machine of a publication, as pure functions over the record and
// its extra state, so every rule can be tested without NATS. Callers run
// them inside Store.Update, which makes each one a compare-and-set.

var (
	// errNotPublishable: no cleared revision may be published now.
	errNotPublishable = errors.New("publishing: the article has no cleared revision to publish")
	// errNotPublished: only a published article can be unpublished.
	errNotPublished = errors.New("publishing: the article is not published")
)

// Status names used below.
const (
	unspecified = articlev1.Status_STATUS_UNSPECIFIED
	ready       = articlev1.Status_STATUS_READY
	scheduled   = articlev1.Status_STATUS_SCHEDULED
	published   = articlev1.Status_STATUS_PUBLISHED
	unpublished = articlev1.Status_STATUS_UNPUBLISHED
)

// deriveStatus computes a publication's status from the facts it records,
// so no transition can leave the two out of step.
func deriveStatus(p *publishingv1.Publication, x extra) articlev1.Status {
	switch {
	case x.cleared != nil && p.GetScheduledAt() != nil:
		return scheduled
	case p.GetLiveRevision() > 0:
		if x.cleared != nil && x.cleared.GetRevision() != p.GetLiveRevision() {
			return ready // a newer revision waits; the live copy stays up
		}
		return published
	case p.GetPublishCount() > 0:
		if x.cleared != nil && x.cleared.GetRevision() != p.GetArticle().GetRevision() {
			return ready
		}
		return unpublished
	case x.cleared != nil:
		return ready
	}
	return unspecified
}

// applyCleared records that review cleared article a. It reports whether
// anything changed and whether a pending schedule was dropped (a newer
// revision replaces the scheduled one).
func applyCleared(p *publishingv1.Publication, x *extra, a *articlev1.Article) (changed, unscheduled bool) {
	rev, seq := a.GetRevision(), a.GetStateSeq()
	c := proto.Clone(a).(*articlev1.Article)
	c.Related = nil // related stories belong to the article id, not a revision
	switch {
	case rev < x.seenRevision, rev < p.GetReadyRevision():
		return false, false // the author has moved on to a later revision
	case rev == x.withdrawnRevision && seq > 0 && x.withdrawnSeq > seq:
		return false, false // withdrawn after the submission review cleared
	case x.cleared != nil && rev == x.cleared.GetRevision() && (seq < x.cleared.GetStateSeq() || proto.Equal(c, x.cleared)):
		return false, false // a redelivery, or older than what we hold
	}
	if x.cleared != nil && x.cleared.GetRevision() != rev && p.GetScheduledAt() != nil {
		p.ScheduledAt = nil
		unscheduled = true
	}
	x.cleared = c
	x.seenRevision = max(x.seenRevision, rev)
	p.ReadyRevision = rev
	if p.GetPublishCount() == 0 {
		// Never live: the record shows the cleared article.
		pre := proto.Clone(c).(*articlev1.Article)
		pre.Related = p.GetArticle().GetRelated()
		p.Article = pre
	}
	p.Status = deriveStatus(p, *x)
	return true, unscheduled
}

// superseding is a drafting or review event that may make the cleared
// revision unpublishable.
type superseding struct {
	revision  int64
	stateSeq  int64 // the article's state_seq, 0 if the event has none
	withdrawn bool
}

// applySuperseded records ev. The cleared revision stops being publishable
// when a later revision exists, or when the cleared revision itself was
// withdrawn after its submission.
func applySuperseded(p *publishingv1.Publication, x *extra, ev superseding) (changed, unscheduled bool) {
	if ev.revision > x.seenRevision {
		x.seenRevision = ev.revision
		changed = true
	}
	if ev.withdrawn && (ev.revision > x.withdrawnRevision || ev.revision == x.withdrawnRevision && ev.stateSeq > x.withdrawnSeq) {
		x.withdrawnRevision, x.withdrawnSeq = ev.revision, ev.stateSeq
		changed = true
	}
	if c := x.cleared; c != nil {
		later := ev.revision > c.GetRevision()
		takenBack := ev.withdrawn && ev.revision == c.GetRevision() && c.GetStateSeq() > 0 && ev.stateSeq > c.GetStateSeq()
		if later || takenBack {
			x.cleared = nil
			changed = true
			if p.GetScheduledAt() != nil {
				p.ScheduledAt = nil
				unscheduled = true
			}
		}
	}
	if changed {
		p.Status = deriveStatus(p, *x)
	}
	return changed, unscheduled
}

// applyRelated stores the Related News list on the article the record
// shows. It reports false when the list is already there.
func applyRelated(p *publishingv1.Publication, related []*articlev1.RelatedStory) bool {
	if p.GetArticle() == nil {
		return false
	}
	cur := p.GetArticle().GetRelated()
	if len(cur) == len(related) {
		same := true
		for i := range cur {
			if !proto.Equal(cur[i], related[i]) {
				same = false
				break
			}
		}
		if same {
			return false
		}
	}
	p.Article.Related = make([]*articlev1.RelatedStory, len(related))
	for i, r := range related {
		p.Article.Related[i] = proto.Clone(r).(*articlev1.RelatedStory)
	}
	return true
}

// checkPublishable says whether PublishArticle may act: done is true for an
// article already published with nothing newer to publish (the call is a
// no-op), err is errNotPublishable when there is nothing to publish.
func checkPublishable(p *publishingv1.Publication, x extra) (done bool, err error) {
	switch p.GetStatus() {
	case published:
		return true, nil
	case ready, scheduled, unpublished:
		if x.cleared != nil {
			return false, nil
		}
	}
	return false, errNotPublishable
}

// publishNow puts the cleared revision live and returns the live article.
func publishNow(p *publishingv1.Publication, x *extra, now time.Time, url string) *articlev1.Article {
	live := proto.Clone(x.cleared).(*articlev1.Article)
	live.Related = p.GetArticle().GetRelated()
	ts := timestamppb.New(now)
	if p.GetPublishedAt() == nil {
		p.PublishedAt = ts
	}
	live.Status = published
	live.PublishedAt = p.GetPublishedAt()
	live.UpdatedAt = ts
	live.PublicUrl = url
	live.PublishedRevision = live.GetRevision()
	live.ScheduledAt = nil
	p.Article = live
	p.LiveRevision = live.GetRevision()
	p.PublishCount++
	p.ScheduledAt = nil
	p.UnpublishReason = ""
	p.PublicUrl = url
	p.Status = deriveStatus(p, *x)
	return live
}

// schedule sets the publication to go live at at. It reports false when it
// is already scheduled for that time.
func schedule(p *publishingv1.Publication, x *extra, at time.Time) bool {
	if p.GetStatus() == scheduled && p.GetScheduledAt().AsTime().Equal(at) {
		return false
	}
	p.ScheduledAt = timestamppb.New(at)
	p.Status = deriveStatus(p, *x)
	return true
}

// unpublish takes a published article down.
func unpublish(p *publishingv1.Publication, x *extra, reason string) error {
	if p.GetStatus() != published {
		return errNotPublished
	}
	p.LiveRevision = 0
	p.UnpublishReason = reason
	p.Article.Status = unpublished
	p.Status = deriveStatus(p, *x)
	return nil
}
