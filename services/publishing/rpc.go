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

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/grpcx"
	"newsroom.dev/platform/natsx"
)

// maxReason bounds an unpublish reason; it is an editorial note, not a file.
const maxReason = 2000

// PublishArticle publishes the cleared revision now, or schedules it.
func (s *Service) PublishArticle(ctx context.Context, req *publishingv1.PublishArticleRequest) (*publishingv1.PublishArticleResponse, error) {
	id := req.GetArticleId()
	if err := checkID(id); err != nil {
		return nil, err
	}
	var at time.Time
	later := false
	if req.GetPublishAt() != nil {
		if err := req.GetPublishAt().CheckValid(); err != nil {
			return nil, status.Error(codes.InvalidArgument, "publish_at is not a valid time")
		}
		at = req.GetPublishAt().AsTime()
		later = at.After(s.d.Clock.Now())
	}
	if later {
		return s.scheduleArticle(ctx, id, at)
	}
	wasScheduled := false
	pub, err := s.pubs.Update(ctx, id, func(cur *publishingv1.Publication, exists bool) (*publishingv1.Publication, []natsx.Event, error) {
		if !exists {
			return nil, nil, natsx.ErrNotFound
		}
		x := readExtra(cur)
		if done, err := checkPublishable(cur, x); err != nil {
			return nil, nil, err
		} else if done {
			return nil, nil, natsx.ErrNoChange
		}
		wasScheduled = cur.GetScheduledAt() != nil
		ev, err := s.publish(ctx, cur, &x)
		return cur, ev, err
	})
	if err != nil {
		return nil, s.rpcError(ctx, "publish article", id, err)
	}
	if wasScheduled {
		s.unschedule(ctx, id)
	}
	return &publishingv1.PublishArticleResponse{Publication: public(pub)}, nil
}

// publish runs publishNow on cur and returns the ArticlePublished event.
func (s *Service) publish(ctx context.Context, cur *publishingv1.Publication, x *extra) ([]natsx.Event, error) {
	id := cur.GetArticleId()
	live := publishNow(cur, x, s.d.Clock.Now(), s.publicURL(id, x.cleared.GetSlug()))
	if err := writeExtra(cur, *x); err != nil {
		return nil, err
	}
	n := strconv.Itoa(int(cur.GetPublishCount()))
	return []natsx.Event{{
		Subject: events.ArticlePublished,
		ID:      events.ID(id, live.GetRevision(), "published", n),
		Msg: &publishingv1.ArticlePublished{
			Meta:    s.meta(ctx, id, live.GetRevision(), "published", n),
			Article: live,
		},
	}}, nil
}

// scheduleArticle sets a publishable article to go live at at. The due time
// goes into the schedule bucket before the publication changes, so a crash
// in between leaves a schedule that finds nothing to do rather than a
// SCHEDULED publication nobody will fire.
func (s *Service) scheduleArticle(ctx context.Context, id string, at time.Time) (*publishingv1.PublishArticleResponse, error) {
	cur, _, err := s.pubs.Get(ctx, id)
	if err != nil {
		return nil, s.rpcError(ctx, "publish article", id, err)
	}
	if done, err := checkPublishable(cur, readExtra(cur)); err != nil {
		return nil, s.rpcError(ctx, "publish article", id, err)
	} else if done {
		return &publishingv1.PublishArticleResponse{Publication: public(cur)}, nil
	}
	if err := s.putSchedule(ctx, id, at); err != nil {
		return nil, grpcx.Internal(ctx, s.log, "schedule article", err)
	}
	pub, err := s.pubs.Update(ctx, id, func(cur *publishingv1.Publication, exists bool) (*publishingv1.Publication, []natsx.Event, error) {
		if !exists {
			return nil, nil, natsx.ErrNotFound
		}
		x := readExtra(cur)
		if done, err := checkPublishable(cur, x); err != nil {
			return nil, nil, err
		} else if done || !schedule(cur, &x, at) {
			return nil, nil, natsx.ErrNoChange
		}
		rev := x.cleared.GetRevision()
		extra := []string{strconv.Itoa(int(cur.GetPublishCount())), strconv.FormatInt(at.UnixMilli(), 10)}
		return cur, []natsx.Event{{
			Subject: events.ArticleScheduled,
			ID:      events.ID(id, rev, "scheduled", extra...),
			Msg: &publishingv1.ArticleScheduled{
				Meta:      s.meta(ctx, id, rev, "scheduled", extra...),
				PublishAt: cur.GetScheduledAt(),
			},
		}}, nil
	})
	// Whatever happened, the schedule key must match the record.
	s.reconcileSchedule(ctx, id, pub)
	if err != nil {
		return nil, s.rpcError(ctx, "publish article", id, err)
	}
	return &publishingv1.PublishArticleResponse{Publication: public(pub)}, nil
}

// UnpublishArticle takes a published article down.
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
	pub, err := s.pubs.Update(ctx, id, func(cur *publishingv1.Publication, exists bool) (*publishingv1.Publication, []natsx.Event, error) {
		if !exists {
			return nil, nil, natsx.ErrNotFound
		}
		rev := cur.GetLiveRevision()
		x := readExtra(cur)
		if err := unpublish(cur, &x, reason); err != nil {
			return nil, nil, err
		}
		n := strconv.Itoa(int(cur.GetPublishCount()))
		return cur, []natsx.Event{{
			Subject: events.ArticleUnpublished,
			ID:      events.ID(id, rev, "unpublished", n),
			Msg: &publishingv1.ArticleUnpublished{
				Meta:   s.meta(ctx, id, rev, "unpublished", n),
				Reason: reason,
			},
		}}, nil
	})
	if err != nil {
		return nil, s.rpcError(ctx, "unpublish article", id, err)
	}
	return &publishingv1.UnpublishArticleResponse{Publication: public(pub)}, nil
}

// GetPublication returns what publishing knows of an article.
func (s *Service) GetPublication(ctx context.Context, req *publishingv1.GetPublicationRequest) (*publishingv1.GetPublicationResponse, error) {
	id := req.GetArticleId()
	if err := checkID(id); err != nil {
		return nil, err
	}
	pub, _, err := s.pubs.Get(ctx, id)
	if err != nil {
		return nil, s.rpcError(ctx, "get publication", id, err)
	}
	return &publishingv1.GetPublicationResponse{Publication: public(pub)}, nil
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
	switch {
	case errors.Is(err, natsx.ErrNotFound):
		return status.Errorf(codes.NotFound, "publishing has no article %s", id)
	case errors.Is(err, errNotPublishable):
		return status.Errorf(codes.FailedPrecondition, "article %s has no cleared revision to publish; review must clear it first", id)
	case errors.Is(err, errNotPublished):
		return status.Errorf(codes.FailedPrecondition, "article %s is not published", id)
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, what+" timed out")
	}
	return grpcx.Internal(ctx, s.log, what, err)
}
