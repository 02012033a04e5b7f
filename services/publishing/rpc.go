package publishing

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/grpcx"
	"newsroom.dev/platform/metrics"
	"newsroom.dev/platform/natsx"
)

// Bounds on editorial text: notes, not files.
const (
	maxReason     = 2000 // an unpublish reason
	maxCorrection = 1000 // a correction
)

// PublishArticle publishes the cleared revision now, or schedules it (at
// publish_at, or at the embargo), or moves its schedule. See planPublish.
func (s *Service) PublishArticle(ctx context.Context, req *publishingv1.PublishArticleRequest) (*publishingv1.PublishArticleResponse, error) {
	id := req.GetArticleId()
	if err := checkID(id); err != nil {
		return nil, err
	}
	at, err := optTime(req.GetPublishAt(), "publish_at")
	if err != nil {
		return nil, err
	}
	embargo, err := optTime(req.GetEmbargoUntil(), "embargo_until")
	if err != nil {
		return nil, err
	}
	touched := false // the schedule key may need to follow the record
	began, went := time.Now(), false
	box, err := s.box(ctx, id) // the Related News box goes live with the story
	if err != nil {
		return nil, s.rpcError(ctx, "publish article", id, err)
	}
	pub, err := s.pubs.Update(ctx, id, func(cur *publishingv1.Publication, exists bool) (*publishingv1.Publication, []natsx.Event, error) {
		went = false
		if !exists {
			return nil, nil, natsx.ErrNotFound
		}
		upgrade(cur)
		now := s.d.Clock.Now()
		plan, err := planPublish(cur, at, embargo, now)
		if err != nil {
			return nil, nil, err
		}
		if plan.done {
			return nil, nil, natsx.ErrNoChange
		}
		touched = touched || cur.GetScheduledAt() != nil
		if !plan.at.IsZero() {
			// The due time goes into the schedule bucket before the record
			// changes, so a crash in between leaves a schedule that finds
			// nothing to do rather than a SCHEDULED publication nobody
			// will fire. reconcileSchedule below puts right whatever a
			// retry of this function decided differently.
			touched = true
			if err := s.putSchedule(ctx, id, plan.at); err != nil {
				return nil, nil, err
			}
			if !schedule(cur, plan.at, embargo) {
				return nil, nil, natsx.ErrNoChange
			}
			return cur, []natsx.Event{s.scheduledEvent(ctx, cur)}, nil
		}
		if embargo != nil {
			cur.EmbargoUntil = timestamppb.New(*embargo)
		}
		went = true
		return cur, s.publish(ctx, cur, toPublish(cur), now, box), nil
	})
	if err == nil && went {
		metrics.PublishSeconds.Observe(time.Since(began).Seconds())
	}
	if touched {
		if err != nil {
			pub = nil // read the record afresh
		}
		s.reconcileSchedule(ctx, id, pub)
	}
	if err != nil {
		return nil, s.rpcError(ctx, "publish article", id, err)
	}
	showBox(pub, box)
	return &publishingv1.PublishArticleResponse{Publication: pub}, nil
}

// optTime reads an optional timestamp field.
func optTime(ts *timestamppb.Timestamp, field string) (*time.Time, error) {
	if ts == nil {
		return nil, nil
	}
	if err := ts.CheckValid(); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%s is not a valid time", field)
	}
	t := ts.AsTime()
	return &t, nil
}

// publish runs publishNow on cur with src and returns the ArticlePublished
// event. The live article shows box, the article's stored Related News
// box, if it has one (nil: the record's own list, from before
// boxes were kept apart, see boxKey); the record keeps a copy, as of this
// publication.
func (s *Service) publish(ctx context.Context, cur *publishingv1.Publication, src *articlev1.Article, now time.Time, box *linkingv1.RelatedUpdated) []natsx.Event {
	id := cur.GetArticleId()
	live := publishNow(cur, src, now, s.publicURL(id, src.GetSlug()))
	if box != nil {
		live.Related = box.GetRelated()
	}
	n := strconv.Itoa(int(cur.GetPublishCount()))
	return []natsx.Event{{
		Subject: events.ArticlePublished,
		ID:      events.ID(id, live.GetRevision(), "published", n),
		Msg: &publishingv1.ArticlePublished{
			Meta:        s.meta(ctx, id, live.GetRevision(), "published", n),
			Article:     live,
			Imported:    cur.GetImported(),
			Publication: cur.GetPublishCount(),
		},
	}}
}

// scheduledEvent announces cur's schedule. The schedule sequence makes
// each change of the schedule a distinct event, so scheduling again at a
// time used before is not dropped as a duplicate.
func (s *Service) scheduledEvent(ctx context.Context, cur *publishingv1.Publication) natsx.Event {
	id, rev := cur.GetArticleId(), cur.GetCleared().GetRevision()
	n := strconv.Itoa(int(cur.GetScheduleSeq()))
	ev := &publishingv1.ArticleScheduled{
		Meta:      s.meta(ctx, id, rev, "scheduled", n),
		PublishAt: cur.GetScheduledAt(),
	}
	if e := cur.GetEmbargoUntil(); e != nil && e.AsTime().After(s.d.Clock.Now()) {
		ev.EmbargoUntil = e
	}
	return natsx.Event{Subject: events.ArticleScheduled, ID: ev.Meta.Id, Msg: ev}
}

// unscheduledEvent announces that the schedule of revision rev, due at at,
// was called off.
func (s *Service) unscheduledEvent(ctx context.Context, cur *publishingv1.Publication, rev int64, at *timestamppb.Timestamp) natsx.Event {
	id := cur.GetArticleId()
	n := strconv.Itoa(int(cur.GetScheduleSeq()))
	ev := &publishingv1.ArticleUnscheduled{Meta: s.meta(ctx, id, rev, "unscheduled", n), PublishAt: at}
	return natsx.Event{Subject: events.ArticleUnscheduled, ID: ev.Meta.Id, Msg: ev}
}

// UnscheduleArticle calls off a scheduled publication.
func (s *Service) UnscheduleArticle(ctx context.Context, req *publishingv1.UnscheduleArticleRequest) (*publishingv1.UnscheduleArticleResponse, error) {
	id := req.GetArticleId()
	if err := checkID(id); err != nil {
		return nil, err
	}
	pub, err := s.pubs.Update(ctx, id, func(cur *publishingv1.Publication, exists bool) (*publishingv1.Publication, []natsx.Event, error) {
		if !exists {
			return nil, nil, natsx.ErrNotFound
		}
		upgrade(cur)
		at, err := callOff(cur)
		if err != nil {
			return nil, nil, err
		}
		return cur, []natsx.Event{s.unscheduledEvent(ctx, cur, cur.GetCleared().GetRevision(), at)}, nil
	})
	if err != nil {
		return nil, s.rpcError(ctx, "unschedule article", id, err)
	}
	s.reconcileSchedule(ctx, id, pub)
	if pub, err = s.withBox(ctx, pub); err != nil {
		return nil, s.rpcError(ctx, "unschedule article", id, err)
	}
	return &publishingv1.UnscheduleArticleResponse{Publication: pub}, nil
}

// UnpublishArticle takes the live copy of an article down, and calls off a
// newer revision's schedule if there is one.
func (s *Service) UnpublishArticle(ctx context.Context, req *publishingv1.UnpublishArticleRequest) (*publishingv1.UnpublishArticleResponse, error) {
	id := req.GetArticleId()
	if err := checkID(id); err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(req.GetReason())
	if reason == "" {
		return nil, status.Error(codes.InvalidArgument, "reason is required")
	}
	if len(reason) > maxReason || !utf8.ValidString(reason) {
		return nil, status.Errorf(codes.InvalidArgument, "reason must be valid UTF-8 of at most %d bytes", maxReason)
	}
	dropped := false
	pub, err := s.pubs.Update(ctx, id, func(cur *publishingv1.Publication, exists bool) (*publishingv1.Publication, []natsx.Event, error) {
		if !exists {
			return nil, nil, natsx.ErrNotFound
		}
		upgrade(cur)
		rev := cur.GetLiveRevision()
		at, err := unpublish(cur, reason, s.d.Clock.Now())
		if err != nil {
			return nil, nil, err
		}
		var out []natsx.Event
		if dropped = at != nil; dropped {
			out = append(out, s.unscheduledEvent(ctx, cur, cur.GetCleared().GetRevision(), at))
		}
		n := strconv.Itoa(int(cur.GetPublishCount()))
		out = append(out, natsx.Event{
			Subject: events.ArticleUnpublished,
			ID:      events.ID(id, rev, "unpublished", n),
			Msg: &publishingv1.ArticleUnpublished{
				Meta:        s.meta(ctx, id, rev, "unpublished", n),
				Reason:      reason,
				Publication: cur.GetPublishCount(),
			},
		})
		return cur, out, nil
	})
	if err != nil {
		return nil, s.rpcError(ctx, "unpublish article", id, err)
	}
	if dropped {
		s.reconcileSchedule(ctx, id, pub)
	}
	if pub, err = s.withBox(ctx, pub); err != nil {
		return nil, s.rpcError(ctx, "unpublish article", id, err)
	}
	return &publishingv1.UnpublishArticleResponse{Publication: pub}, nil
}

// CorrectArticle records a correction of a published article. It does not
// publish anything: the correction goes out with the next publication,
// which only a publisher can make (see docs/publishing.md).
func (s *Service) CorrectArticle(ctx context.Context, req *publishingv1.CorrectArticleRequest) (*publishingv1.CorrectArticleResponse, error) {
	id := req.GetArticleId()
	if err := checkID(id); err != nil {
		return nil, err
	}
	if !utf8.ValidString(req.GetText()) {
		return nil, status.Error(codes.InvalidArgument, "text must be valid UTF-8")
	}
	// A correction is one short paragraph: runs of white space (new lines
	// included) become one space.
	text := strings.Join(strings.Fields(req.GetText()), " ")
	if text == "" {
		return nil, status.Error(codes.InvalidArgument, "text is required")
	}
	if len(text) > maxCorrection {
		return nil, status.Errorf(codes.InvalidArgument, "text must be at most %d bytes", maxCorrection)
	}
	var corr *articlev1.Correction
	pub, err := s.pubs.Update(ctx, id, func(cur *publishingv1.Publication, exists bool) (*publishingv1.Publication, []natsx.Event, error) {
		if !exists {
			return nil, nil, natsx.ErrNotFound
		}
		upgrade(cur)
		c, changed, err := correct(cur, text, s.d.Clock.Now())
		if err != nil {
			return nil, nil, err
		}
		corr = c
		if !changed {
			return nil, nil, natsx.ErrNoChange
		}
		return cur, nil, nil
	})
	if err == nil {
		pub, err = s.withBox(ctx, pub)
	}
	if err != nil {
		return nil, s.rpcError(ctx, "correct article", id, err)
	}
	return &publishingv1.CorrectArticleResponse{Publication: pub, Correction: corr}, nil
}

// GetPublication returns what publishing knows of an article.
func (s *Service) GetPublication(ctx context.Context, req *publishingv1.GetPublicationRequest) (*publishingv1.GetPublicationResponse, error) {
	id := req.GetArticleId()
	if err := checkID(id); err != nil {
		return nil, err
	}
	pub, _, err := s.pubs.GetLatest(ctx, id)
	if err == nil {
		upgrade(pub)
		pub, err = s.withBox(ctx, pub)
	}
	if err != nil {
		return nil, s.rpcError(ctx, "get publication", id, err)
	}
	return &publishingv1.GetPublicationResponse{Publication: pub}, nil
}

func checkID(id string) error {
	if id == "" {
		return status.Error(codes.InvalidArgument, "article_id is required")
	}
	if !validID(id) {
		return status.Error(codes.InvalidArgument, "article_id may contain only letters, digits, '-', '_' and '='")
	}
	return nil
}

// rpcError maps the errors of the calls above to clear statuses.
func (s *Service) rpcError(ctx context.Context, what, id string, err error) error {
	var emb beforeEmbargo
	switch {
	case errors.Is(err, natsx.ErrNotFound):
		return status.Errorf(codes.NotFound, "publishing has no article %s", id)
	case errors.Is(err, errNotPublishable):
		return status.Errorf(codes.FailedPrecondition, "article %s has no cleared revision to publish; review must clear it first", id)
	case errors.Is(err, errNotPublished):
		return status.Errorf(codes.FailedPrecondition, "article %s is not published", id)
	case errors.Is(err, errNotScheduled):
		return status.Errorf(codes.FailedPrecondition, "article %s is not scheduled", id)
	case errors.Is(err, errEmbargoLive):
		return status.Errorf(codes.FailedPrecondition, "article %s is live already; an embargo can only hold back a story that is not public", id)
	case errors.As(err, &emb):
		return status.Errorf(codes.FailedPrecondition, "article %s is embargoed until %s; publish_at must not be earlier (leave it out to publish when the embargo lifts)",
			id, emb.embargo.UTC().Format(time.RFC3339))
	case errors.Is(err, errNeverPublished):
		return status.Errorf(codes.FailedPrecondition, "article %s was never published; there is nothing to correct (edit it instead)", id)
	case errors.Is(err, errCorrectionsNow):
		return status.Errorf(codes.FailedPrecondition, "article %s has only corrections waiting; they go out with a publication now, and only a cleared revision can be scheduled", id)
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, what+" timed out")
	}
	return grpcx.Internal(ctx, s.log, what, err)
}
