package drafting

import (
	"context"
	"errors"
	"strconv"

	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/tracing"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// CreateArticle starts a new article at revision 1 in DRAFT.
func (s *Service) CreateArticle(ctx context.Context, req *draftingv1.CreateArticleRequest) (*draftingv1.CreateArticleResponse, error) {
	var v violations
	if req.GetArticle() == nil {
		v.add("article", "is required")
		return nil, v.err()
	}
	in := editable(req.GetArticle())
	validateArticle(in, "article", &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	actor := auth.Actor(ctx)
	for attempt := 0; ; attempt++ {
		a := clone(in)
		a.Id = s.ids.next(now)
		if a.Slug == "" {
			a.Slug = Slugify(a.Headline)
		}
		if a.Slug == "" {
			a.Slug = a.Id
		}
		a.Status = articlev1.Status_STATUS_DRAFT
		a.Revision = 1
		a.StateSeq = 1
		a.CreatedAt = timestamppb.New(now)
		a.UpdatedAt = a.CreatedAt
		a.CreatedBy = actor
		a.UpdatedBy = actor
		// The article's id exists only now: start its trace here (see
		// platform/tracing), so the events below carry it.
		actx, span := tracing.Article(ctx, a.Id, a.Revision, "drafting.CreateArticle")
		stored, err := s.articles.Create(actx, a.Id, func(_ *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
			if exists {
				return nil, nil, errIDTaken
			}
			return a, []natsx.Event{s.createdEvent(actx, a)}, nil
		})
		span.End()
		if errors.Is(err, errIDTaken) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, s.rpcError(ctx, "create article", err)
		}
		s.snapshotNow(ctx, stored)
		return &draftingv1.CreateArticleResponse{Article: stored}, nil
	}
}

// GetArticle returns the latest revision of an article.
func (s *Service) GetArticle(ctx context.Context, req *draftingv1.GetArticleRequest) (*draftingv1.GetArticleResponse, error) {
	a, err := s.get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &draftingv1.GetArticleResponse{Article: a}, nil
}

// get loads an article, with InvalidArgument for a missing id and NotFound
// for an unknown one.
func (s *Service) get(ctx context.Context, id string) (*articlev1.Article, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if !validID(id) {
		return nil, notFound(id)
	}
	a, _, err := s.articles.GetLatest(ctx, id)
	if errors.Is(err, natsx.ErrNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, s.rpcError(ctx, "get article", err)
	}
	return a, nil
}

func checkID(id string) error {
	if id == "" {
		var v violations
		v.add("id", "is required")
		return v.err()
	}
	return nil
}

// UpdateArticle writes a new revision, if expected_revision is still the
// latest. Editing an article sends it back to DRAFT (a requested change
// stays CHANGES_REQUESTED until it is resubmitted); a published article
// stays live at its published revision meanwhile.
func (s *Service) UpdateArticle(ctx context.Context, req *draftingv1.UpdateArticleRequest) (*draftingv1.UpdateArticleResponse, error) {
	var v violations
	if req.GetId() == "" {
		v.add("id", "is required")
	}
	switch {
	case req.GetExpectedRevision() == 0:
		v.add("expected_revision", "is required: the revision the edit was based on")
	case req.GetExpectedRevision() < 0:
		v.add("expected_revision", "must be positive")
	}
	var in *articlev1.Article
	if req.GetArticle() == nil {
		v.add("article", "is required")
	} else {
		in = editable(req.GetArticle())
		validateArticle(in, "article", &v)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	id := req.GetId()
	if !validID(id) {
		return nil, notFound(id)
	}
	now := s.clock.Now()
	actor := auth.Actor(ctx)
	stored, err := s.articles.Update(ctx, id, func(cur *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
		if !exists {
			return nil, nil, notFound(id)
		}
		if req.GetExpectedRevision() != cur.Revision {
			return nil, nil, stale(req.GetExpectedRevision(), cur.Revision)
		}
		switch cur.Status {
		case articlev1.Status_STATUS_IN_REVIEW:
			return nil, nil, wrongState(cur, "withdraw it first")
		case articlev1.Status_STATUS_SCHEDULED:
			return nil, nil, wrongState(cur, "unschedule it first")
		}
		next := clone(cur)
		next.Desk, next.Byline, next.Tags = in.Desk, in.Byline, in.Tags
		next.Headline, next.Dek, next.Summary, next.Body = in.Headline, in.Dek, in.Summary, in.Body
		next.Takeaways, next.Highlights, next.Kicker = in.Takeaways, in.Highlights, in.Kicker
		if in.Slug != "" {
			next.Slug = in.Slug
		}
		if cur.Status != articlev1.Status_STATUS_CHANGES_REQUESTED {
			next.Status = articlev1.Status_STATUS_DRAFT
		}
		next.Revision++
		next.StateSeq++
		next.UpdatedAt = timestamppb.New(now)
		next.UpdatedBy = actor
		return next, []natsx.Event{s.updatedEvent(ctx, next)}, nil
	})
	if err != nil {
		return nil, s.rpcError(ctx, "update article", err)
	}
	s.snapshotNow(ctx, stored)
	return &draftingv1.UpdateArticleResponse{Article: stored}, nil
}
