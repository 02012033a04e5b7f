package linking

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	"newsroom.dev/platform/grpcx"
)

// readCuration returns the editors' choices for article id (an empty
// Curation if none).
func (s *Service) readCuration(ctx context.Context, id string) (*linkingv1.Curation, error) {
	c, _, err := s.getCuration(ctx, id)
	return c, err
}

func (s *Service) getCuration(ctx context.Context, id string) (*linkingv1.Curation, uint64, error) {
	e, err := s.curation.GetLatest(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return &linkingv1.Curation{ArticleId: id}, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("linking: get curation %s: %w", id, err)
	}
	c := &linkingv1.Curation{}
	if err := protojson.Unmarshal(e.Value(), c); err != nil {
		return nil, 0, fmt.Errorf("linking: decode curation %s: %w", id, err)
	}
	return c, e.Revision(), nil
}

// curationOp changes a Curation; it reports whether anything changed.
type curationOp func(c *linkingv1.Curation, other string) bool

func pin(c *linkingv1.Curation, other string) bool {
	c.Excluded = remove(c.Excluded, other)
	if slices.Contains(c.Pinned, other) {
		return false
	}
	c.Pinned = append(c.Pinned, other)
	return true
}

func unpin(c *linkingv1.Curation, other string) bool {
	n := len(c.Pinned)
	c.Pinned = remove(c.Pinned, other)
	return len(c.Pinned) != n
}

func exclude(c *linkingv1.Curation, other string) bool {
	c.Pinned = remove(c.Pinned, other)
	if slices.Contains(c.Excluded, other) {
		return false
	}
	c.Excluded = append(c.Excluded, other)
	return true
}

func unexclude(c *linkingv1.Curation, other string) bool {
	n := len(c.Excluded)
	c.Excluded = remove(c.Excluded, other)
	return len(c.Excluded) != n
}

func remove(list []string, id string) []string {
	return slices.DeleteFunc(list, func(s string) bool { return s == id })
}

// curate applies op to article's curation, recomputes its box and returns
// both. adding says the op puts other in a list, so other must be a
// published story (removing a story that was since unpublished is fine).
func (s *Service) curate(ctx context.Context, article, other string, op curationOp, adding bool) (*linkingv1.Curation, []*articlev1.RelatedStory, error) {
	if err := validatePair(article, other); err != nil {
		return nil, nil, err
	}
	if !s.index().Has(article) {
		return nil, nil, status.Errorf(codes.NotFound, "article %q is not a published story known to linking", article)
	}
	if adding && !s.index().Has(other) {
		return nil, nil, status.Errorf(codes.NotFound, "story %q is not a published story known to linking", other)
	}
	var c *linkingv1.Curation
	for attempt := 0; ; attempt++ {
		cur, rev, err := s.getCuration(ctx, article)
		if err != nil {
			return nil, nil, grpcx.Internal(ctx, s.log, "reading curation", err)
		}
		c = cur
		if !op(c, other) {
			break
		}
		raw, err := protojson.Marshal(c)
		if err != nil {
			return nil, nil, grpcx.Internal(ctx, s.log, "encoding curation", err)
		}
		if rev == 0 {
			_, err = s.curation.Create(ctx, article, raw)
		} else {
			_, err = s.curation.Update(ctx, article, raw, rev)
		}
		if conflict(err) && attempt < 50 {
			continue
		}
		if err != nil {
			return nil, nil, grpcx.Internal(ctx, s.log, "storing curation", err)
		}
		break
	}
	if err := s.refresh(ctx, article, true); err != nil {
		return nil, nil, grpcx.Internal(ctx, s.log, "recomputing related stories", err)
	}
	v, _, err := s.related.GetLatest(ctx, article)
	if err != nil {
		return nil, nil, grpcx.Internal(ctx, s.log, "reading related stories", err)
	}
	return c, v.GetRelated(), nil
}

// PinRelated always shows other_id first in article_id's box.
func (s *Service) PinRelated(ctx context.Context, req *linkingv1.PinRelatedRequest) (*linkingv1.PinRelatedResponse, error) {
	c, list, err := s.curate(ctx, req.GetArticleId(), req.GetOtherId(), pin, true)
	if err != nil {
		return nil, err
	}
	return &linkingv1.PinRelatedResponse{Curation: c, Related: list}, nil
}

// UnpinRelated lets the ranking place other_id again.
func (s *Service) UnpinRelated(ctx context.Context, req *linkingv1.UnpinRelatedRequest) (*linkingv1.UnpinRelatedResponse, error) {
	c, list, err := s.curate(ctx, req.GetArticleId(), req.GetOtherId(), unpin, false)
	if err != nil {
		return nil, err
	}
	return &linkingv1.UnpinRelatedResponse{Curation: c, Related: list}, nil
}

// ExcludeRelated never shows other_id in article_id's box.
func (s *Service) ExcludeRelated(ctx context.Context, req *linkingv1.ExcludeRelatedRequest) (*linkingv1.ExcludeRelatedResponse, error) {
	c, list, err := s.curate(ctx, req.GetArticleId(), req.GetOtherId(), exclude, true)
	if err != nil {
		return nil, err
	}
	return &linkingv1.ExcludeRelatedResponse{Curation: c, Related: list}, nil
}

// UnexcludeRelated lets the ranking show other_id again.
func (s *Service) UnexcludeRelated(ctx context.Context, req *linkingv1.UnexcludeRelatedRequest) (*linkingv1.UnexcludeRelatedResponse, error) {
	c, list, err := s.curate(ctx, req.GetArticleId(), req.GetOtherId(), unexclude, false)
	if err != nil {
		return nil, err
	}
	return &linkingv1.UnexcludeRelatedResponse{Curation: c, Related: list}, nil
}
