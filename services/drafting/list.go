package drafting

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
)

// Page sizes for ListArticles.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
	// maxPageBytes ends a page early when its articles add up to this many
	// bytes, so a page of long stories stays well inside gRPC's message limit.
	maxPageBytes = 8 << 20
)

// ListArticles lists articles newest first (ids sort by creation time),
// optionally only those of one status and desk. The page token is the id
// of the last article returned; the next page starts after it.
func (s *Service) ListArticles(ctx context.Context, req *draftingv1.ListArticlesRequest) (*draftingv1.ListArticlesResponse, error) {
	size := int(req.GetPageSize())
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize)
	after := req.GetPageToken()
	if after != "" && !validID(after) {
		var v violations
		v.add("page_token", "is not a token from a previous response")
		return nil, v.err()
	}
	desk := strings.ToLower(strings.TrimSpace(req.GetDesk()))
	want := req.GetStatus()

	// Keep only the newest size+1 matches (one more tells whether there is
	// a next page), trimming as we go so memory stays bounded.
	var got []*articlev1.Article
	newestFirst := func(a, b *articlev1.Article) int { return strings.Compare(b.Id, a.Id) }
	trim := func() {
		slices.SortFunc(got, newestFirst)
		got = got[:min(len(got), size+1)]
	}
	err := s.articles.All(ctx, func(key string, a *articlev1.Article) error {
		if after != "" && key >= after {
			return nil
		}
		if want != articlev1.Status_STATUS_UNSPECIFIED && a.Status != want {
			return nil
		}
		if desk != "" && a.Desk != desk {
			return nil
		}
		got = append(got, a)
		if len(got) > 2*(size+1) {
			trim()
		}
		return nil
	})
	if err != nil {
		return nil, s.rpcError(ctx, "list articles", err)
	}
	trim()
	resp := &draftingv1.ListArticlesResponse{}
	bytes := 0
	for i, a := range got {
		if i == size {
			resp.NextPageToken = resp.Articles[i-1].Id
			break
		}
		bytes += proto.Size(a)
		if i > 0 && bytes > maxPageBytes {
			resp.NextPageToken = resp.Articles[i-1].Id
			break
		}
		resp.Articles = append(resp.Articles, a)
	}
	return resp, nil
}
