package linking

import (
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	"newsroom.dev/platform/grpcx"
	"newsroom.dev/platform/natsx"
)

// Request validation, kept apart from the handlers as pure functions so
// the fuzzers (validate_fuzz_test.go) can run them without a stack. Every
// refusal is InvalidArgument with a BadRequest detail naming the field.

// boxLimit is how many stories a call asks for: defaultLimit for 0, at
// most maxLimit; a negative limit is refused.
func boxLimit(limit int32) (int, error) {
	switch {
	case limit < 0:
		return 0, grpcx.Invalid("limit must not be negative", "limit")
	case limit == 0:
		return defaultLimit, nil
	case limit > maxLimit:
		return maxLimit, nil
	}
	return int(limit), nil
}

// validateGetRelated checks GetRelated and returns its limit. An id that
// is not a valid key is refused when the store says so (the handler),
// as before.
func validateGetRelated(req *linkingv1.GetRelatedRequest) (int, error) {
	if req.GetArticleId() == "" {
		return 0, grpcx.Invalid("article_id is required", "article_id")
	}
	return boxLimit(req.GetLimit())
}

// validateSuggest checks SuggestRelated and returns its limit: the draft
// must have some text to relate.
func validateSuggest(req *linkingv1.SuggestRelatedRequest) (int, error) {
	a := req.GetArticle()
	if a == nil {
		return 0, grpcx.Invalid("article is required", "article")
	}
	if a.GetHeadline() == "" && a.GetDek() == "" && a.GetSummary() == "" && a.GetBody() == "" {
		return 0, grpcx.Invalid("the article has no text to relate", "article.headline", "article.dek", "article.summary", "article.body")
	}
	return boxLimit(req.GetLimit())
}

// validatePair checks the two stories of a curation call (pin, unpin,
// exclude, unexclude): both given, different, and both usable as keys.
func validatePair(article, other string) error {
	switch {
	case article == "" || other == "":
		return grpcx.Invalid("article_id and other_id are required", missing(article, other)...)
	case article == other:
		return grpcx.Invalid("a story cannot be related to itself", "other_id")
	case !natsx.ValidKey(article) || !natsx.ValidKey(other):
		return grpcx.Invalid("article_id and other_id must be article ids", badKeys(article, other)...)
	}
	return nil
}

func missing(article, other string) []string {
	var f []string
	if article == "" {
		f = append(f, "article_id")
	}
	if other == "" {
		f = append(f, "other_id")
	}
	return f
}

func badKeys(article, other string) []string {
	var f []string
	if !natsx.ValidKey(article) {
		f = append(f, "article_id")
	}
	if !natsx.ValidKey(other) {
		f = append(f, "other_id")
	}
	return f
}
