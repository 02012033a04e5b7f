package auth

// Policy maps each RPC's full method name to the roles that may call it.
// A method missing from the policy is refused for everyone: new RPCs stay
// closed until someone decides who may call them. Open lists the methods
// anyone may call without a token.
var Policy = map[string][]Role{
	// Drafting: writers and editors write; everyone in the newsroom reads.
	"/newsroom.drafting.v1.DraftingService/CreateArticle":   {Writer, Editor},
	"/newsroom.drafting.v1.DraftingService/UpdateArticle":   {Writer, Editor},
	"/newsroom.drafting.v1.DraftingService/SubmitArticle":   {Writer, Editor},
	"/newsroom.drafting.v1.DraftingService/WithdrawArticle": {Writer, Editor},
	"/newsroom.drafting.v1.DraftingService/GetArticle":      {Writer, Editor, Reviewer, Publisher, Admin},
	"/newsroom.drafting.v1.DraftingService/ListArticles":    {Writer, Editor, Reviewer, Publisher, Admin},
	"/newsroom.drafting.v1.DraftingService/ListRevisions":   {Writer, Editor, Reviewer, Publisher, Admin},

	// Review: reviewers decide; authors may read their flags and check text.
	"/newsroom.review.v1.ReviewService/GetReview":          {Writer, Editor, Reviewer, Publisher, Admin},
	"/newsroom.review.v1.ReviewService/ApproveFlag":        {Reviewer},
	"/newsroom.review.v1.ReviewService/DismissFlag":        {Reviewer},
	"/newsroom.review.v1.ReviewService/RequestChanges":     {Reviewer},
	"/newsroom.review.v1.ReviewService/SetSensitivityNote": {Reviewer},
	"/newsroom.review.v1.ReviewService/CheckText":          {Writer, Editor, Reviewer},

	// Publishing: only publishers put stories on the site or take them down.
	"/newsroom.publishing.v1.PublishingService/PublishArticle":   {Publisher},
	"/newsroom.publishing.v1.PublishingService/UnpublishArticle": {Publisher},
	"/newsroom.publishing.v1.PublishingService/GetPublication":   {Writer, Editor, Reviewer, Publisher, Admin},

	// Linking.
	"/newsroom.linking.v1.LinkingService/GetRelated": {Writer, Editor, Reviewer, Publisher, Admin},
}

// Open methods need no token: health checks and reflection (which lists
// method names only, none of the newsroom's content).
var Open = map[string]bool{
	"/grpc.health.v1.Health/Check":                                   true,
	"/grpc.health.v1.Health/Watch":                                   true,
	"/grpc.health.v1.Health/List":                                    true,
	"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      true,
	"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": true,
}

// Allowed reports whether id may call method.
func Allowed(method string, id Identity) bool {
	for _, r := range Policy[method] {
		if id.Has(r) {
			return true
		}
	}
	return false
}
