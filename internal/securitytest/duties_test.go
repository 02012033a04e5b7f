package securitytest

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	auditv1 "newsroom.dev/gen/newsroom/audit/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/testutil"
)

// hedged is an article review flags: "reportedly" is a WARNING.
func hedged() *articlev1.Article {
	return &articlev1.Article{
		Headline: "Minister reportedly resigns over budget row",
		Desk:     "politics",
		Byline:   "Wendy Writer",
		Dek:      "The finance minister reportedly handed in her resignation.",
		Body:     "The finance minister reportedly resigned on Friday after a row over the budget.",
	}
}

// Nobody decides flags on an article they wrote or last edited, even with
// the reviewer role; another reviewer can. Only a publisher publishes, not
// an admin. Every one of these calls, allowed or refused by the service,
// is in the audit trail with who made it, from where and how it ended.
func TestSeparationOfDutiesAndAuditTrail(t *testing.T) {
	s := startSystem(t)
	ctx := context.Background()
	dr := draftingv1.NewDraftingServiceClient(s.conn)
	rv := reviewv1.NewReviewServiceClient(s.conn)
	pb := publishingv1.NewPublishingServiceClient(s.conn)
	au := auditv1.NewAuditServiceClient(s.conn)

	wendy := s.as(t, "wendy", auth.Writer, auth.Reviewer) // the author
	eddie := s.as(t, "eddie", auth.Editor, auth.Reviewer) // the last editor
	rita := s.as(t, "rita", auth.Reviewer)
	pat := s.as(t, "pat", auth.Publisher)
	ada := s.as(t, "ada", auth.Admin)
	boss := s.as(t, "boss", auth.Writer, auth.Editor, auth.Reviewer, auth.Admin) // everything but publisher

	created, err := dr.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: hedged()}, wendy)
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetArticle().GetId()
	edit := hedged()
	edit.Summary = "An edit by eddie."
	if _, err := dr.UpdateArticle(ctx, &draftingv1.UpdateArticleRequest{Id: id, Article: edit, ExpectedRevision: 1}, eddie); err != nil {
		t.Fatal(err)
	}
	if _, err := dr.SubmitArticle(ctx, &draftingv1.SubmitArticleRequest{Id: id}, eddie); err != nil {
		t.Fatal(err)
	}

	var review *reviewv1.Review
	testutil.Eventually(t, wait, "the review with its flags", func() bool {
		r, err := rv.GetReview(ctx, &reviewv1.GetReviewRequest{ArticleId: id}, rita)
		review = r.GetReview()
		return err == nil && review.GetRevision() == 2 && len(review.GetFlags()) > 0
	})
	if review.GetAuthor() != "wendy" || review.GetLastEditor() != "eddie" {
		t.Fatalf("review author %q, last editor %q", review.GetAuthor(), review.GetLastEditor())
	}
	flag := review.GetFlags()[0].GetId()

	refused := []struct {
		who  string
		as   grpc.CallOption
		call func(grpc.CallOption) error
	}{
		{"the author approving", wendy, func(as grpc.CallOption) error {
			_, err := rv.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: id, FlagId: flag, Note: "fine"}, as)
			return err
		}},
		{"the author dismissing", wendy, func(as grpc.CallOption) error {
			_, err := rv.DismissFlag(ctx, &reviewv1.DismissFlagRequest{ArticleId: id, FlagId: flag, Reason: "fine"}, as)
			return err
		}},
		{"the last editor approving", eddie, func(as grpc.CallOption) error {
			_, err := rv.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: id, FlagId: flag}, as)
			return err
		}},
		{"the last editor dismissing", eddie, func(as grpc.CallOption) error {
			_, err := rv.DismissFlag(ctx, &reviewv1.DismissFlagRequest{ArticleId: id, FlagId: flag, Reason: "fine"}, as)
			return err
		}},
		{"the author setting the note", wendy, func(as grpc.CallOption) error {
			_, err := rv.SetSensitivityNote(ctx, &reviewv1.SetSensitivityNoteRequest{ArticleId: id, AcceptProposed: true}, as)
			return err
		}},
	}
	for _, tc := range refused {
		if err := tc.call(tc.as); status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s: %v, want PermissionDenied", tc.who, err)
		}
	}

	// Another reviewer clears it.
	for _, f := range review.GetFlags() {
		if f.GetSeverity() < reviewv1.Severity_SEVERITY_WARNING {
			continue
		}
		if _, err := rv.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: id, FlagId: f.GetId(), Note: "attributed"}, rita); err != nil {
			t.Fatalf("rita approving %s: %v", f.GetId(), err)
		}
	}
	testutil.Eventually(t, wait, "publishing to see the article READY", func() bool {
		p, err := pb.GetPublication(ctx, &publishingv1.GetPublicationRequest{ArticleId: id}, pat)
		return err == nil && p.GetPublication().GetStatus() == articlev1.Status_STATUS_READY
	})

	// Only a publisher publishes: not an admin, not someone with every
	// other role.
	for name, as := range map[string]grpc.CallOption{"admin": ada, "every role but publisher": boss, "author": wendy} {
		if _, err := pb.PublishArticle(ctx, &publishingv1.PublishArticleRequest{ArticleId: id}, as); status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s publishing: %v, want PermissionDenied", name, err)
		}
	}
	if _, err := pb.PublishArticle(ctx, &publishingv1.PublishArticleRequest{ArticleId: id}, pat); err != nil {
		t.Fatalf("the publisher publishing: %v", err)
	}
	testutil.Eventually(t, wait, "the article to be PUBLISHED", func() bool {
		a, err := dr.GetArticle(ctx, &draftingv1.GetArticleRequest{Id: id}, wendy)
		return err == nil && a.GetArticle().GetStatus() == articlev1.Status_STATUS_PUBLISHED
	})

	// The audit trail of the article: every state-changing call that
	// reached a service, allowed or not, in order.
	if _, err := au.ListAuditRecords(ctx, &auditv1.ListAuditRecordsRequest{ArticleId: id}, boss); err != nil {
		t.Fatalf("an admin (with other roles) listing: %v", err)
	}
	for _, as := range []grpc.CallOption{wendy, rita, pat} {
		if _, err := au.ListAuditRecords(ctx, &auditv1.ListAuditRecordsRequest{ArticleId: id}, as); status.Code(err) != codes.PermissionDenied {
			t.Errorf("a non-admin listed the audit trail: %v", err)
		}
	}
	resp, err := au.ListAuditRecords(ctx, &auditv1.ListAuditRecordsRequest{ArticleId: id}, ada)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ subject, method, code string }
	var got []entry
	for _, r := range resp.GetRecords() {
		got = append(got, entry{r.GetSubject(), r.GetMethod()[len("/newsroom."):], r.GetCode()})
		if r.GetPeer() == "" || r.GetTime() == nil || r.GetArticleId() != id {
			t.Errorf("incomplete record %v", r)
		}
	}
	want := []entry{
		{"wendy", "drafting.v1.DraftingService/CreateArticle", "OK"},
		{"eddie", "drafting.v1.DraftingService/UpdateArticle", "OK"},
		{"eddie", "drafting.v1.DraftingService/SubmitArticle", "OK"},
		{"wendy", "review.v1.ReviewService/ApproveFlag", "PermissionDenied"},
		{"wendy", "review.v1.ReviewService/DismissFlag", "PermissionDenied"},
		{"eddie", "review.v1.ReviewService/ApproveFlag", "PermissionDenied"},
		{"eddie", "review.v1.ReviewService/DismissFlag", "PermissionDenied"},
		{"wendy", "review.v1.ReviewService/SetSensitivityNote", "PermissionDenied"},
	}
	if len(got) < len(want)+2 {
		t.Fatalf("audit trail of %s:\n%v\nwant it to start with\n%v\nthen rita's approvals and pat's publication", id, got, want)
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("record %d = %v, want %v", i, got[i], w)
		}
	}
	last := got[len(got)-1]
	if last != (entry{"pat", "publishing.v1.PublishingService/PublishArticle", "OK"}) {
		t.Errorf("last record %v, want pat's publication", last)
	}
	for _, g := range got[len(want) : len(got)-1] {
		if g != (entry{"rita", "review.v1.ReviewService/ApproveFlag", "OK"}) {
			t.Errorf("record %v, want rita's approvals", g)
		}
	}
	// The filter by subject finds the refused attempts of the author.
	mine, err := au.ListAuditRecords(ctx, &auditv1.ListAuditRecordsRequest{Subject: "wendy"}, ada)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mine.GetRecords()); n != 4 {
		t.Errorf("wendy has %d records, want 4 (create, approve, dismiss, note)", n)
	}
}
