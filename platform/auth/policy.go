package auth

import "strings"

// Policy maps each RPC's full method name to the roles that may call it.
// A method missing from the policy is refused for everyone: new RPCs stay
// closed until someone decides who may call them. Open lists the methods
// anyone may call without a token.
//
// Separation of duties is part of the matrix and of the services:
//   - Roles do not imply one another (an admin is not a publisher).
//   - Only a publisher may publish or unpublish.
//   - Only a reviewer may decide flags, and the review service refuses a
//     reviewer who wrote or last edited the article (a check on data, so it
//     lives there, not here).
//   - Administrative RPCs are admin only: reading the audit trail,
//     importing an archive (ImportArticles), reloading the review rules
//     (Reload) and managing webhooks. Admin-only RPCs added later get
//     {Admin} alone.
//
// docs/security.md carries this matrix as a table; a test in
// internal/securitytest fails when the two differ (regenerate with
// `go test ./internal/securitytest -run TestRoleMatrixDoc -update`).
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
	// Rules: reloading the packs is administration; the desk reads the stats.
	"/newsroom.review.v1.ReviewService/Reload":    {Admin},
	"/newsroom.review.v1.ReviewService/RuleStats": {Reviewer, Editor, Admin},

	// Publishing: only publishers put stories on the site or take them down.
	"/newsroom.publishing.v1.PublishingService/PublishArticle":    {Publisher},
	"/newsroom.publishing.v1.PublishingService/UnpublishArticle":  {Publisher},
	"/newsroom.publishing.v1.PublishingService/UnscheduleArticle": {Publisher},
	// Corrections are an editor's call; they go out with the next publication.
	"/newsroom.publishing.v1.PublishingService/CorrectArticle": {Editor},
	// The archive import is administrative.
	"/newsroom.publishing.v1.PublishingService/ImportArticles": {Admin},
	"/newsroom.publishing.v1.PublishingService/GetPublication": {Writer, Editor, Reviewer, Publisher, Admin},
	// Webhooks: choosing which outside endpoints receive events, and
	// reading their delivery log, is administrative.
	"/newsroom.publishing.v1.WebhookService/AddWebhook":     {Admin},
	"/newsroom.publishing.v1.WebhookService/ListWebhooks":   {Admin},
	"/newsroom.publishing.v1.WebhookService/RemoveWebhook":  {Admin},
	"/newsroom.publishing.v1.WebhookService/ListDeliveries": {Admin},

	// Linking.
	"/newsroom.linking.v1.LinkingService/GetRelated": {Writer, Editor, Reviewer, Publisher, Admin},
	// Editors curate the Related News box; the newsroom asks for
	// suggestions while writing.
	"/newsroom.linking.v1.LinkingService/PinRelated":       {Editor},
	"/newsroom.linking.v1.LinkingService/UnpinRelated":     {Editor},
	"/newsroom.linking.v1.LinkingService/ExcludeRelated":   {Editor},
	"/newsroom.linking.v1.LinkingService/UnexcludeRelated": {Editor},
	"/newsroom.linking.v1.LinkingService/SuggestRelated":   {Writer, Editor, Reviewer},
	// Audit: the trail of who did what is for admins only.
	"/newsroom.audit.v1.AuditService/ListAuditRecords": {Admin},
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

// ReadOnlyPrefixes are the method-name prefixes of RPCs that change
// nothing, and ReadOnlyMethods the reads named otherwise. Every other RPC
// changes state: it is rate limited per caller and recorded in the audit
// trail.
var (
	ReadOnlyPrefixes = []string{"Get", "List", "Check"}
	ReadOnlyMethods  = map[string]bool{
		"/newsroom.review.v1.ReviewService/RuleStats":        true,
		"/newsroom.linking.v1.LinkingService/SuggestRelated": true,
	}
)

// StateChanging reports whether the full method name (/pkg.Service/Method)
// names an RPC that may change state: any method not named like a read and
// not one of the Open infrastructure methods.
func StateChanging(fullMethod string) bool {
	if Open[fullMethod] || ReadOnlyMethods[fullMethod] {
		return false
	}
	name := fullMethod[strings.LastIndexByte(fullMethod, '/')+1:]
	for _, p := range ReadOnlyPrefixes {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return true
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
