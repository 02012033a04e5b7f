package publishing

import (
	"errors"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
)

// The state machine of a publication, as pure functions over the record,
// so every rule can be tested without NATS. Callers run them inside
// Store.Update, which makes each one a compare-and-set. docs/publishing.md
// describes the rules in prose.

var (
	// errNotPublishable: no cleared revision may be published now.
	errNotPublishable = errors.New("publishing: the article has no cleared revision to publish")
	// errNotPublished: only a live article can be unpublished.
	errNotPublished = errors.New("publishing: the article is not published")
	// errNotScheduled: only a scheduled article can be unscheduled.
	errNotScheduled = errors.New("publishing: the article is not scheduled")
	// errEmbargoLive: a live story is public already; no embargo can hold
	// it back.
	errEmbargoLive = errors.New("publishing: the article is live; an embargo can only hold back a story that is not public")
	// errNeverPublished: a correction needs a published story.
	errNeverPublished = errors.New("publishing: the article was never published")
	// errCorrectionsNow: only a cleared revision can be scheduled; pending
	// corrections of the live revision go out with a publication now.
	errCorrectionsNow = errors.New("publishing: nothing new to schedule")
)

// beforeEmbargo refuses a publication time earlier than the embargo.
type beforeEmbargo struct{ embargo time.Time }

func (e beforeEmbargo) Error() string {
	return "publishing: the article is embargoed until " + e.embargo.UTC().Format(time.RFC3339)
}

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
func deriveStatus(p *publishingv1.Publication) articlev1.Status {
	c := p.GetCleared()
	switch {
	case c != nil && p.GetScheduledAt() != nil:
		return scheduled
	case p.GetLiveRevision() > 0:
		if c != nil && c.GetRevision() != p.GetLiveRevision() {
			return ready // a newer revision waits; the live copy stays up
		}
		return published
	case p.GetPublishCount() > 0:
		if c != nil && c.GetRevision() != p.GetArticle().GetRevision() {
			return ready
		}
		return unpublished
	case c != nil:
		return ready
	}
	return unspecified
}

// applyCleared records that review cleared article a. It reports whether
// anything changed and whether a pending schedule was dropped (a newer
// revision replaces the scheduled one).
func applyCleared(p *publishingv1.Publication, a *articlev1.Article) (changed, unscheduled bool) {
	rev, seq := a.GetRevision(), a.GetStateSeq()
	c := proto.Clone(a).(*articlev1.Article)
	c.Related = nil // related stories belong to the article id, not a revision
	cur := p.GetCleared()
	switch {
	case rev < p.GetSeenRevision(), rev < p.GetReadyRevision():
		return false, false // the author has moved on to a later revision
	case rev == p.GetWithdrawnRevision() && seq > 0 && p.GetWithdrawnSeq() > seq:
		return false, false // withdrawn after the submission review cleared
	case cur != nil && rev == cur.GetRevision() && (seq < cur.GetStateSeq() || proto.Equal(c, cur)):
		return false, false // a redelivery, or older than what we hold
	}
	if cur != nil && cur.GetRevision() != rev && p.GetScheduledAt() != nil {
		p.ScheduledAt = nil
		p.ScheduleSeq++
		unscheduled = true
	}
	p.Cleared = c
	p.SeenRevision = max(p.GetSeenRevision(), rev)
	p.ReadyRevision = rev
	if p.GetPublishCount() == 0 {
		// Never live: the record shows the cleared article.
		pre := proto.Clone(c).(*articlev1.Article)
		pre.Related = p.GetArticle().GetRelated()
		p.Article = pre
	}
	p.Status = deriveStatus(p)
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
func applySuperseded(p *publishingv1.Publication, ev superseding) (changed, unscheduled bool) {
	if ev.revision > p.GetSeenRevision() {
		p.SeenRevision = ev.revision
		changed = true
	}
	if ev.withdrawn && (ev.revision > p.GetWithdrawnRevision() || ev.revision == p.GetWithdrawnRevision() && ev.stateSeq > p.GetWithdrawnSeq()) {
		p.WithdrawnRevision, p.WithdrawnSeq = ev.revision, ev.stateSeq
		changed = true
	}
	if c := p.GetCleared(); c != nil {
		later := ev.revision > c.GetRevision()
		takenBack := ev.withdrawn && ev.revision == c.GetRevision() && c.GetStateSeq() > 0 && ev.stateSeq > c.GetStateSeq()
		if later || takenBack {
			p.Cleared = nil
			changed = true
			if p.GetScheduledAt() != nil {
				p.ScheduledAt = nil
				p.ScheduleSeq++
				unscheduled = true
			}
		}
	}
	if changed {
		p.Status = deriveStatus(p)
	}
	return changed, unscheduled
}

// toPublish returns the article a publication now would put live: the
// cleared revision when it is not the one live, else, when corrections
// wait, the live revision again (cleared or not: it was reviewed when it
// went live). nil means there is nothing to publish.
func toPublish(p *publishingv1.Publication) *articlev1.Article {
	c := p.GetCleared()
	switch {
	case c != nil && c.GetRevision() != p.GetLiveRevision():
		return c
	case p.GetLiveRevision() > 0 && len(p.GetPendingCorrections()) > 0:
		if c != nil {
			return c
		}
		return p.GetArticle()
	}
	return nil
}

// publishPlan is what PublishArticle will do.
type publishPlan struct {
	done bool      // nothing to do: the article is live and nothing waits
	at   time.Time // zero: publish now; else schedule at this time
}

// planPublish decides what PublishArticle does with p at now, given the
// request's publish_at and embargo_until (nil when absent). An embargo in
// force (the request's, else the recorded one) holds the publication back
// to the embargo time: an explicit earlier time is refused, "now" becomes
// a schedule at the embargo.
func planPublish(p *publishingv1.Publication, at, embargo *time.Time, now time.Time) (publishPlan, error) {
	if embargo != nil && p.GetLiveRevision() > 0 {
		return publishPlan{}, errEmbargoLive
	}
	var emb time.Time
	if p.GetEmbargoUntil() != nil {
		emb = p.GetEmbargoUntil().AsTime()
	}
	if embargo != nil {
		emb = *embargo
	}
	when := now
	if at != nil && at.After(now) {
		when = *at
	}
	if emb.After(now) {
		if at != nil && at.Before(emb) {
			return publishPlan{}, beforeEmbargo{emb}
		}
		if when.Before(emb) {
			when = emb
		}
	}
	if when.After(now) {
		if c := p.GetCleared(); c == nil || c.GetRevision() == p.GetLiveRevision() {
			switch {
			case p.GetLiveRevision() > 0 && len(p.GetPendingCorrections()) > 0:
				return publishPlan{}, errCorrectionsNow
			case p.GetLiveRevision() > 0:
				return publishPlan{done: true}, nil
			}
			return publishPlan{}, errNotPublishable
		}
		return publishPlan{at: when}, nil
	}
	if toPublish(p) == nil {
		if p.GetLiveRevision() > 0 {
			return publishPlan{done: true}, nil
		}
		return publishPlan{}, errNotPublishable
	}
	return publishPlan{}, nil
}

// publishNow puts src (what toPublish chose) live at now and returns the
// live article. Corrections waiting go out with it, numbered after the
// ones the story already shows, and timed now.
func publishNow(p *publishingv1.Publication, src *articlev1.Article, now time.Time, url string) *articlev1.Article {
	live := proto.Clone(src).(*articlev1.Article)
	live.Related = p.GetArticle().GetRelated()
	ts := timestamppb.New(now)
	if p.GetPublishedAt() == nil {
		p.PublishedAt = ts
	}
	var corrections []*articlev1.Correction
	if p.GetPublishCount() > 0 {
		corrections = p.GetArticle().GetCorrections()
	}
	for _, c := range p.GetPendingCorrections() {
		c = proto.Clone(c).(*articlev1.Correction)
		c.Time = ts
		corrections = append(corrections, c)
	}
	live.Corrections = corrections
	live.Status = published
	live.PublishedAt = p.GetPublishedAt()
	live.UpdatedAt = ts
	live.PublicUrl = url
	live.PublishedRevision = live.GetRevision()
	live.ScheduledAt = nil
	p.Article = live
	p.PendingCorrections = nil
	p.LiveRevision = live.GetRevision()
	p.PublishCount++
	if p.GetScheduledAt() != nil {
		p.ScheduledAt = nil
		p.ScheduleSeq++
	}
	p.UnpublishReason = ""
	p.PublicUrl = url
	p.ModifiedAt = ts
	p.Status = deriveStatus(p)
	return live
}

// schedule sets the publication to go live at at, recording embargo if
// not nil. It reports false when nothing changes.
func schedule(p *publishingv1.Publication, at time.Time, embargo *time.Time) bool {
	changed := false
	if embargo != nil && (p.GetEmbargoUntil() == nil || !p.GetEmbargoUntil().AsTime().Equal(*embargo)) {
		p.EmbargoUntil = timestamppb.New(*embargo)
		changed = true
	}
	if p.GetScheduledAt() == nil || !p.GetScheduledAt().AsTime().Equal(at) {
		p.ScheduledAt = timestamppb.New(at)
		changed = true
	}
	if changed {
		p.ScheduleSeq++
	}
	p.Status = deriveStatus(p)
	return changed
}

// callOff calls off a scheduled publication and returns the time it was
// set for. The embargo stays.
func callOff(p *publishingv1.Publication) (*timestamppb.Timestamp, error) {
	at := p.GetScheduledAt()
	if at == nil || p.GetStatus() != scheduled {
		return nil, errNotScheduled
	}
	p.ScheduledAt = nil
	p.ScheduleSeq++
	p.Status = deriveStatus(p)
	return at, nil
}

// unpublish takes the live copy down. A newer revision may be waiting
// (READY) or scheduled: a scheduled one is called off too, so a timer set
// before a take-down cannot put the story back up; its time is returned.
func unpublish(p *publishingv1.Publication, reason string, now time.Time) (dropped *timestamppb.Timestamp, err error) {
	if p.GetLiveRevision() == 0 || p.GetArticle() == nil {
		return nil, errNotPublished
	}
	if at := p.GetScheduledAt(); at != nil {
		dropped = at
		p.ScheduledAt = nil
		p.ScheduleSeq++
	}
	p.LiveRevision = 0
	p.UnpublishReason = reason
	p.Article.Status = unpublished
	p.ModifiedAt = timestamppb.New(now)
	p.Status = deriveStatus(p)
	return dropped, nil
}

// correct records a correction to go out with the next publication. The
// same text as the last correction still waiting is taken as a retry and
// changes nothing (changed false).
func correct(p *publishingv1.Publication, text string, now time.Time) (c *articlev1.Correction, changed bool, err error) {
	if p.GetPublishCount() == 0 {
		return nil, false, errNeverPublished
	}
	pending := p.GetPendingCorrections()
	if n := len(pending); n > 0 && strings.TrimSpace(pending[n-1].GetText()) == text {
		return pending[n-1], false, nil
	}
	c = &articlev1.Correction{
		Sequence: int32(len(p.GetArticle().GetCorrections()) + len(pending) + 1),
		Text:     text,
		Time:     timestamppb.New(now),
	}
	p.PendingCorrections = append(p.PendingCorrections, c)
	return c, true, nil
}
