package grpcx_test

import (
	"testing"

	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/grpcx"
)

func TestArticleID(t *testing.T) {
	for _, c := range []struct {
		req  any
		want string
	}{
		{&reviewv1.GetReviewRequest{ArticleId: "a1"}, "a1"},
		{&draftingv1.SubmitArticleRequest{Id: "a2"}, "a2"},
		{&draftingv1.CreateArticleRequest{}, ""},
		{"not a message", ""},
	} {
		if got := grpcx.ArticleID(c.req); got != c.want {
			t.Errorf("ArticleID(%T) = %q, want %q", c.req, got, c.want)
		}
	}
}
