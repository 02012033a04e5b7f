// Package events is the catalogue of every event Newsroom publishes: its
// subject, the stream that holds it, the protobuf type it carries, who
// publishes it and who consumes it. docs/architecture.md renders the same
// table; TestCatalogueMatchesDocs keeps the two in step.
package events

import (
	"fmt"
	"strings"
)

// Streams, one per owning service. A service may publish only on its own.
const (
	StreamDrafting   = "DRAFTING"
	StreamReview     = "REVIEW"
	StreamPublishing = "PUBLISHING"
	StreamLinking    = "LINKING"
)

// Subjects.
const (
	ArticleCreated       = "newsroom.drafting.article.created"
	ArticleUpdated       = "newsroom.drafting.article.updated"
	ArticleSubmitted     = "newsroom.drafting.article.submitted"
	ArticleWithdrawn     = "newsroom.drafting.article.withdrawn"
	ArticleStatusChanged = "newsroom.drafting.article.status"

	ArticleFlagged   = "newsroom.review.article.flagged"
	FlagDecided      = "newsroom.review.flag.decided"
	ArticleCleared   = "newsroom.review.article.cleared"
	ChangesRequested = "newsroom.review.article.changes_requested"

	ArticleScheduled   = "newsroom.publishing.article.scheduled"
	ArticleUnscheduled = "newsroom.publishing.article.unscheduled"
	ArticlePublished   = "newsroom.publishing.article.published"
	ArticleUnpublished = "newsroom.publishing.article.unpublished"

	RelatedUpdated = "newsroom.linking.related.updated"
)

// Entry describes one event.
type Entry struct {
	Subject   string
	Type      string // fully qualified protobuf message name
	Publisher string
	Consumers []string
	Meaning   string
}

// Catalogue lists every event, in the order an article meets them.
var Catalogue = []Entry{
	{ArticleCreated, "newsroom.drafting.v1.ArticleCreated", "drafting", []string{"drafting"}, "a new article exists at revision 1"},
	{ArticleUpdated, "newsroom.drafting.v1.ArticleUpdated", "drafting", []string{"drafting", "publishing"}, "a new revision was written"},
	{ArticleSubmitted, "newsroom.drafting.v1.ArticleSubmitted", "drafting", []string{"review", "publishing"}, "a revision was sent to review; carries the whole article"},
	{ArticleWithdrawn, "newsroom.drafting.v1.ArticleWithdrawn", "drafting", []string{"review", "publishing"}, "the author took a submitted revision back"},
	{ArticleStatusChanged, "newsroom.drafting.v1.ArticleStatusChanged", "drafting", nil, "drafting moved an article's status after another service's event"},
	{ArticleFlagged, "newsroom.review.v1.ArticleFlagged", "review", nil, "a revision was scanned and has flags awaiting decisions"},
	{FlagDecided, "newsroom.review.v1.FlagDecided", "review", nil, "a reviewer approved or dismissed a flag"},
	{ArticleCleared, "newsroom.review.v1.ArticleCleared", "review", []string{"drafting", "publishing"}, "no WARNING or BLOCKER flag is open; carries the article with its sensitivity note"},
	{ChangesRequested, "newsroom.review.v1.ChangesRequested", "review", []string{"drafting", "publishing"}, "a reviewer sent the article back to its author"},
	{ArticleScheduled, "newsroom.publishing.v1.ArticleScheduled", "publishing", []string{"drafting"}, "a READY article will be published at a set time (a later one moves the time)"},
	{ArticleUnscheduled, "newsroom.publishing.v1.ArticleUnscheduled", "publishing", []string{"drafting"}, "a scheduled publication was called off; the article is READY again"},
	{ArticlePublished, "newsroom.publishing.v1.ArticlePublished", "publishing", []string{"drafting", "linking"}, "an article went live; carries the live article"},
	{ArticleUnpublished, "newsroom.publishing.v1.ArticleUnpublished", "publishing", []string{"drafting", "linking"}, "an article was taken down"},
	{RelatedUpdated, "newsroom.linking.v1.RelatedUpdated", "linking", []string{"publishing"}, "an article's related stories changed"},
}

// StreamSubjects returns the subjects of the stream owned by service.
func StreamSubjects(service string) []string {
	return []string{"newsroom." + service + ".>"}
}

// ID builds a deterministic event id: "<article>/<revision>/<kind>", with
// extra parts (a publish count, a flag id) appended where one revision can
// cause the same kind of event more than once.
func ID(articleID string, revision int64, kind string, extra ...string) string {
	id := fmt.Sprintf("%s/%d/%s", articleID, revision, kind)
	if len(extra) > 0 {
		id += "/" + strings.Join(extra, "/")
	}
	return id
}
