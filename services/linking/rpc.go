package linking

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	"newsroom.dev/platform/grpcx"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/services/linking/index"
)

// Limits of GetRelated.
const (
	defaultLimit = 5
	maxLimit     = 20
)

// GetRelated returns the related stories last computed for a published
// article.
func (s *Service) GetRelated(ctx context.Context, req *linkingv1.GetRelatedRequest) (*linkingv1.GetRelatedResponse, error) {
	id := req.GetArticleId()
	limit, err := validateGetRelated(req)
	if err != nil {
		return nil, err
	}
	v, _, err := s.related.GetLatest(ctx, id)
	switch {
	case errors.Is(err, natsx.ErrNotFound):
		return nil, status.Errorf(codes.NotFound, "article %q is not a published story known to linking", id)
	case errors.Is(err, jetstream.ErrInvalidKey):
		return nil, grpcx.Invalid("article_id is not a valid article id", "article_id")
	case err != nil:
		return nil, grpcx.Internal(ctx, s.log, "reading related stories", err)
	}
	list := v.GetRelated()
	return &linkingv1.GetRelatedResponse{Related: list[:min(limit, len(list))]}, nil
}

// SuggestRelated ranks the published stories related to a draft: every
// published story is a candidate, whenever it was published, except the
// draft's own published version. The draft is not stored. The same
// relevance floor as the box applies: a suggestion is a story the box
// would show.
func (s *Service) SuggestRelated(ctx context.Context, req *linkingv1.SuggestRelatedRequest) (*linkingv1.SuggestRelatedResponse, error) {
	limit, err := validateSuggest(req)
	if err != nil {
		return nil, err
	}
	a := req.GetArticle()
	d := index.Doc{
		ID: a.GetId(), Headline: a.GetHeadline(), Dek: a.GetDek(), Summary: a.GetSummary(), Body: a.GetBody(),
		Tags: a.GetTags(), Desk: a.GetDesk(), PublishedAt: s.d.Clock.Now(),
	}
	hits := s.index().Search(index.Query{ID: a.GetId(), Doc: &d, K: limit})
	return &linkingv1.SuggestRelatedResponse{Related: stories(relevant(hits))}, nil
}
