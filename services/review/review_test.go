package review_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/review"
)

const (
	sensitive = "Putin ordered the invasion of Ukraine, officials said. " +
		"The minister reportedly resigned. The committee chairman declined to comment."
	clean = "Delegations met for a third day in Geneva and will meet again on Monday."
)

var ctx = context.Background()

func TestFlagDecisionsClearTheArticle(t *testing.T) {
	e := newEnv(t)
	a := article("a1", 1, 3, sensitive)
	a.Takeaways = []*articlev1.Takeaway{{Quote: "He allegedly fled.", Context: "Court papers"}}
	e.submit(a)
	r := e.waitReview("a1", 1, reviewv1.ReviewState_REVIEW_STATE_OPEN)

	if r.Author != "wendy" || r.LastEditor != "eddie" || r.Headline != a.Headline || r.Desk != "world" {
		t.Errorf("review header = %+v", r)
	}
	pol := flagOf(t, r, "political_sensitivity.leader_conflict", "body")
	hedge := flagOf(t, r, "unverified_claim.hedge", "body")
	chair := flagOf(t, r, "inclusive_language.chairman", "body")
	if len(r.Flags) != 3 {
		t.Errorf("flags = %d, want 3: %v", len(r.Flags), r.Flags)
	}
	// Repeats of a rule anywhere in the article are spans of one flag, each
	// naming its field, so the reviewer decides once.
	if len(hedge.Spans) != 2 || hedge.Spans[0].Field != "body" || hedge.Spans[1].Field != "takeaways[0].quote" ||
		hedge.Spans[1].Text != "allegedly" || hedge.Spans[1].Start != 3 || hedge.Spans[1].Key == "" {
		t.Errorf("hedge spans = %v", hedge.Spans)
	}
	if r.SubmissionSeq != 3 || r.Decisions[0].Action != "submit" || r.Decisions[0].Text != "" {
		t.Errorf("submission seq %d, decision %v", r.SubmissionSeq, r.Decisions[0])
	}
	for _, f := range r.Flags {
		if f.Status != reviewv1.FlagStatus_FLAG_STATUS_OPEN || f.Id == "" || len(f.Spans) == 0 || f.Message == "" || f.GuidelineUrl == "" {
			t.Errorf("flag = %+v", f)
		}
	}
	if pol.Severity != reviewv1.Severity_SEVERITY_WARNING || pol.Category != "political_sensitivity" ||
		pol.Spans[0].Text != "Putin" || pol.Spans[1].Text != "invasion" {
		t.Errorf("political flag = %+v", pol)
	}
	if sp := hedge.Spans[0]; a.Body[sp.Start:sp.End] != "reportedly" || sp.ContextBefore == "" {
		t.Errorf("hedge span = %+v", sp)
	}
	if chair.Severity != reviewv1.Severity_SEVERITY_INFO || !strings.Contains(chair.Suggestion, "chair") {
		t.Errorf("chairman flag = %+v", chair)
	}
	if n := r.ProposedNote; n.GetTitle() != "Political sensitivity around Ukraine" || !strings.Contains(n.GetText(), "Vladimir Putin") || !strings.Contains(n.GetText(), "invasion") {
		t.Errorf("proposed note = %+v", n)
	}
	if r.Note != nil {
		t.Errorf("note set before anyone set it: %+v", r.Note)
	}
	flagged := published(t, e.nats, events.ArticleFlagged, func() *reviewv1.ArticleFlagged { return &reviewv1.ArticleFlagged{} })
	if len(flagged) != 1 || len(flagged[0].Flags) != 3 || flagged[0].Meta.Id != "a1/1/flagged/3" || flagged[0].Meta.Actor != "system" {
		t.Fatalf("flagged events = %v", flagged)
	}

	// Bad calls change nothing.
	_, err := e.client.DismissFlag(ctx, &reviewv1.DismissFlagRequest{ArticleId: "a1", FlagId: hedge.Id, Reason: "  "}, testutil.As(e.reviewer))
	wantCode(t, err, codes.InvalidArgument)
	for _, tok := range []string{e.author, e.editor} {
		_, err = e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "a1", FlagId: pol.Id}, testutil.As(tok))
		wantCode(t, err, codes.PermissionDenied)
		if !strings.Contains(err.Error(), "authors may not decide flags on their own article") {
			t.Errorf("err = %v", err)
		}
	}
	_, err = e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "a1", FlagId: pol.Id}, testutil.As(e.writer))
	wantCode(t, err, codes.PermissionDenied) // the role matrix: writers do not review
	_, err = e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "a1", FlagId: "nope"}, testutil.As(e.reviewer))
	wantCode(t, err, codes.NotFound)
	_, err = e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "zz", FlagId: pol.Id}, testutil.As(e.reviewer))
	wantCode(t, err, codes.NotFound)
	_, err = e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "a1", FlagId: pol.Id, ExpectedRevision: 2}, testutil.As(e.reviewer))
	wantCode(t, err, codes.Aborted)
	_, err = e.client.SetSensitivityNote(ctx, &reviewv1.SetSensitivityNoteRequest{ArticleId: "a1", AcceptProposed: true, Note: &articlev1.SensitivityNote{Text: "x"}}, testutil.As(e.reviewer))
	wantCode(t, err, codes.InvalidArgument)
	if got, _ := e.get("a1"); len(got.Decisions) != 1 || got.State != reviewv1.ReviewState_REVIEW_STATE_OPEN {
		t.Fatalf("a refused call changed the review: %v", actions(got))
	}

	// The reviewer accepts the proposed note and decides the flags.
	nr, err := e.client.SetSensitivityNote(ctx, &reviewv1.SetSensitivityNoteRequest{ArticleId: "a1", AcceptProposed: true}, testutil.As(e.reviewer))
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(nr.Review.Note, r.ProposedNote) {
		t.Fatalf("note = %v, want the proposed %v", nr.Review.Note, r.ProposedNote)
	}
	ar, err := e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "a1", FlagId: pol.Id, Note: "attributed", ExpectedRevision: 1}, testutil.As(e.reviewer))
	if err != nil {
		t.Fatal(err)
	}
	if f := flagOf(t, ar.Review, pol.RuleId, "body"); f.Status != reviewv1.FlagStatus_FLAG_STATUS_APPROVED || f.DecidedBy != "rita" || f.DecidedAt == nil || f.Reason != "attributed" {
		t.Errorf("approved flag = %+v", f)
	}
	_, err = e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "a1", FlagId: pol.Id}, testutil.As(e.reviewer))
	wantCode(t, err, codes.FailedPrecondition) // already decided
	if got, _ := e.get("a1"); got.State != reviewv1.ReviewState_REVIEW_STATE_OPEN || len(clearedFor(t, e.nats, "a1")) != 0 {
		t.Fatal("cleared with a WARNING flag still open")
	}
	dr, err := e.client.DismissFlag(ctx, &reviewv1.DismissFlagRequest{ArticleId: "a1", FlagId: hedge.Id, Reason: "named in para 2"}, testutil.As(e.reviewer))
	if err != nil {
		t.Fatal(err)
	}
	final := dr.Review
	if final.State != reviewv1.ReviewState_REVIEW_STATE_CLEARED {
		t.Fatalf("state = %v after the last WARNING was decided", final.State)
	}
	if f := flagOf(t, final, chair.RuleId, "body"); f.Status != reviewv1.FlagStatus_FLAG_STATUS_OPEN {
		t.Errorf("INFO flag = %v; it needs no decision", f.Status)
	}
	if got := actions(final); !slices.Equal(got, []string{"submit", "set_note", "approve", "dismiss", "cleared"}) {
		t.Errorf("history = %v", got)
	}

	var c []*reviewv1.ArticleCleared
	testutil.Eventually(t, wait, "ArticleCleared", func() bool { c = clearedFor(t, e.nats, "a1"); return len(c) > 0 })
	if len(c) != 1 || c[0].Meta.Id != "a1/1/cleared/3" || c[0].Meta.Actor != "rita" || c[0].Meta.Revision != 1 {
		t.Fatalf("cleared = %v", c)
	}
	if got := c[0].Article; got.Body != a.Body || got.Revision != 1 || len(got.Takeaways) != 1 || !proto.Equal(got.SensitivityNote, r.ProposedNote) {
		t.Errorf("cleared article = %v", got)
	}
	decided := published(t, e.nats, events.FlagDecided, func() *reviewv1.FlagDecided { return &reviewv1.FlagDecided{} })
	if len(decided) != 2 || decided[0].Meta.Id != "a1/1/flag_decided/3/"+pol.Id || decided[0].Flag.Status != reviewv1.FlagStatus_FLAG_STATUS_APPROVED {
		t.Errorf("decided events = %v", decided)
	}

	// A cleared review is final.
	_, err = e.client.SetSensitivityNote(ctx, &reviewv1.SetSensitivityNoteRequest{ArticleId: "a1"}, testutil.As(e.reviewer))
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "a1", FlagId: chair.Id}, testutil.As(e.reviewer))
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.client.RequestChanges(ctx, &reviewv1.RequestChangesRequest{ArticleId: "a1", Note: "late"}, testutil.As(e.reviewer))
	wantCode(t, err, codes.FailedPrecondition)
}

func TestCleanArticleIsClearedAtOnce(t *testing.T) {
	e := newEnv(t)
	e.submit(article("clean", 2, 5, clean))
	r := e.waitReview("clean", 2, reviewv1.ReviewState_REVIEW_STATE_CLEARED)
	if len(r.Flags) != 0 || r.ProposedNote != nil || r.Note != nil {
		t.Errorf("review = %v", r)
	}
	// INFO flags do not hold an article back.
	e.submit(article("info", 1, 2, "It was a giant leap for mankind."))
	r = e.waitReview("info", 1, reviewv1.ReviewState_REVIEW_STATE_CLEARED)
	if len(r.Flags) != 1 || r.Flags[0].Severity != reviewv1.Severity_SEVERITY_INFO || r.Flags[0].Status != reviewv1.FlagStatus_FLAG_STATUS_OPEN {
		t.Errorf("flags = %v", r.Flags)
	}
	var c []*reviewv1.ArticleCleared
	testutil.Eventually(t, wait, "two ArticleCleared", func() bool { c = cleared(t, e.nats); return len(c) == 2 })
	if c[0].Meta.Id != "clean/2/cleared/5" || c[0].Meta.Actor != "system" || c[0].Article.SensitivityNote != nil || c[0].Article.Body != clean {
		t.Errorf("cleared = %v", c[0])
	}
	flagged := published(t, e.nats, events.ArticleFlagged, func() *reviewv1.ArticleFlagged { return &reviewv1.ArticleFlagged{} })
	if len(flagged) != 1 || flagged[0].Meta.ArticleId != "info" {
		t.Errorf("flagged = %v; a clean article has nothing to flag", flagged)
	}
}

// A revision the scan clears at once goes out with its cleared event and
// is never read back, so review keeps no copy of it; a revision the desk
// must decide on is kept, and sent on when its last flag is decided.
func TestOnlyRevisionsAwaitingTheDeskAreKept(t *testing.T) {
	e := newEnv(t)
	e.submit(article("kc", 1, 2, clean))
	e.submit(article("ki", 1, 2, "It was a giant leap for mankind.")) // an INFO flag only
	e.submit(article("ks", 1, 2, sensitive))
	e.waitReview("kc", 1, reviewv1.ReviewState_REVIEW_STATE_CLEARED)
	e.waitReview("ki", 1, reviewv1.ReviewState_REVIEW_STATE_CLEARED)
	r := e.waitReview("ks", 1, reviewv1.ReviewState_REVIEW_STATE_OPEN)
	kv, err := e.nats.JS.KeyValue(ctx, review.BucketArticles)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{"kc.1": false, "ki.1": false, "ks.1": true} {
		_, err := kv.Get(ctx, key)
		if got := err == nil; got != want {
			t.Errorf("%s kept = %v, want %v (err %v)", key, got, want, err)
		}
	}
	for _, f := range r.Flags {
		if f.Severity < reviewv1.Severity_SEVERITY_WARNING {
			continue
		}
		if _, err := e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "ks", FlagId: f.Id}, testutil.As(e.reviewer)); err != nil {
			t.Fatal(err)
		}
	}
	e.waitReview("ks", 1, reviewv1.ReviewState_REVIEW_STATE_CLEARED)
	if c := clearedFor(t, e.nats, "ks"); len(c) != 1 || c[0].Article.Body != sensitive {
		t.Errorf("cleared = %v, want the kept article sent on", c)
	}
}

func TestRequestChanges(t *testing.T) {
	e := newEnv(t)
	a := article("rc", 1, 3, sensitive)
	e.submit(a)
	e.waitReview("rc", 1, reviewv1.ReviewState_REVIEW_STATE_OPEN)
	_, err := e.client.RequestChanges(ctx, &reviewv1.RequestChangesRequest{ArticleId: "rc"}, testutil.As(e.reviewer))
	wantCode(t, err, codes.InvalidArgument)
	_, err = e.client.RequestChanges(ctx, &reviewv1.RequestChangesRequest{ArticleId: "rc", Note: "fine by me"}, testutil.As(e.author))
	wantCode(t, err, codes.PermissionDenied)
	resp, err := e.client.RequestChanges(ctx, &reviewv1.RequestChangesRequest{ArticleId: "rc", Note: "Attribute the resignation."}, testutil.As(e.reviewer))
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Review; r.State != reviewv1.ReviewState_REVIEW_STATE_CHANGES_REQUESTED || r.ChangesNote != "Attribute the resignation." {
		t.Errorf("review = %v", r)
	}
	var ch []*reviewv1.ChangesRequested
	testutil.Eventually(t, wait, "ChangesRequested", func() bool {
		ch = published(t, e.nats, events.ChangesRequested, func() *reviewv1.ChangesRequested { return &reviewv1.ChangesRequested{} })
		return len(ch) > 0
	})
	if len(ch) != 1 || ch[0].Note != "Attribute the resignation." || ch[0].Meta.Id != "rc/1/changes_requested/3" || ch[0].Meta.Actor != "rita" {
		t.Errorf("changes requested = %v", ch)
	}
	_, err = e.client.DismissFlag(ctx, &reviewv1.DismissFlagRequest{ArticleId: "rc", FlagId: resp.Review.Flags[0].Id, Reason: "x"}, testutil.As(e.reviewer))
	wantCode(t, err, codes.FailedPrecondition)

	// The author submits the same revision again: a new submission, a new review.
	a.StateSeq = 5
	e.submit(a)
	r := e.waitReview("rc", 1, reviewv1.ReviewState_REVIEW_STATE_OPEN)
	if got := actions(r); !slices.Equal(got, []string{"submit", "request_changes", "submit"}) {
		t.Errorf("history = %v", got)
	}
	if r.ChangesNote != "" {
		t.Errorf("changes note carried into the new submission: %q", r.ChangesNote)
	}
}

func TestResubmissionCarriesDecisions(t *testing.T) {
	e := newEnv(t)
	e.submit(article("rs", 1, 3, sensitive))
	r1 := e.waitReview("rs", 1, reviewv1.ReviewState_REVIEW_STATE_OPEN)
	pol := flagOf(t, r1, "political_sensitivity.leader_conflict", "body")
	hedge := flagOf(t, r1, "unverified_claim.hedge", "body")
	if _, err := e.client.SetSensitivityNote(ctx, &reviewv1.SetSensitivityNoteRequest{ArticleId: "rs", Note: &articlev1.SensitivityNote{Title: "Note", Text: "Our note."}}, testutil.As(e.reviewer)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "rs", FlagId: pol.Id}, testutil.As(e.reviewer)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DismissFlag(ctx, &reviewv1.DismissFlagRequest{ArticleId: "rs", FlagId: hedge.Id, Reason: "sourced"}, testutil.As(e.reviewer)); err != nil {
		t.Fatal(err)
	}
	e.waitReview("rs", 1, reviewv1.ReviewState_REVIEW_STATE_CLEARED)

	// Revision 2 keeps the flagged sentences and adds a new claim to the dek.
	a2 := article("rs", 2, 7, "A new first paragraph. "+sensitive)
	a2.Dek = "Sources say talks will fail."
	e.submit(a2)
	r2 := e.waitReview("rs", 2, reviewv1.ReviewState_REVIEW_STATE_OPEN)
	for _, f := range []*reviewv1.Flag{flagOf(t, r2, pol.RuleId, "body"), flagOf(t, r2, hedge.RuleId, "body")} {
		if f.Status == reviewv1.FlagStatus_FLAG_STATUS_OPEN || f.CarriedFrom != 1 || f.DecidedBy != "rita" {
			t.Errorf("decision not carried: %+v", f)
		}
	}
	if f := flagOf(t, r2, hedge.RuleId, "body"); f.Id != hedge.Id || f.Reason != "sourced" || f.Spans[0].Start == hedge.Spans[0].Start {
		t.Errorf("carried flag = %+v (same id, new offsets)", f)
	}
	if f := flagOf(t, r2, "unverified_claim.anonymous_source", "dek"); f.Status != reviewv1.FlagStatus_FLAG_STATUS_OPEN || f.CarriedFrom != 0 {
		t.Errorf("new flag = %+v", f)
	}
	if got := actions(r2); !slices.Equal(got, []string{"submit", "set_note", "approve", "dismiss", "cleared", "submit"}) {
		t.Errorf("history = %v", got)
	}
	if r2.Note.GetText() != "Our note." {
		t.Errorf("note = %v", r2.Note)
	}

	// Revision 3 drops the new claim: every blocking flag is carried, so it
	// clears at once, with the note.
	e.submit(article("rs", 3, 9, sensitive))
	r3 := e.waitReview("rs", 3, reviewv1.ReviewState_REVIEW_STATE_CLEARED)
	if f := flagOf(t, r3, pol.RuleId, "body"); f.CarriedFrom != 1 {
		t.Errorf("carried_from = %d, want the revision decided in", f.CarriedFrom)
	}
	var c []*reviewv1.ArticleCleared
	testutil.Eventually(t, wait, "cleared revision 3", func() bool { c = clearedFor(t, e.nats, "rs"); return len(c) == 2 })
	if c[1].Meta.Id != "rs/3/cleared/9" || c[1].Article.SensitivityNote.GetText() != "Our note." {
		t.Errorf("cleared = %v", c[1])
	}

	// A late event for an older revision is ignored.
	e.submit(article("rs", 2, 7, clean), "late-redelivery")
	e.drained("review-submitted")
	if r, _ := e.get("rs"); r.Revision != 3 || r.State != reviewv1.ReviewState_REVIEW_STATE_CLEARED {
		t.Errorf("an old revision replaced the review: %v", r)
	}
}

func TestDuplicateSubmissionIsAppliedOnce(t *testing.T) {
	e := newEnv(t)
	a := article("dup", 1, 4, clean)
	e.submit(a)
	e.submit(a, "dup/1/submitted/4/redelivered") // same submission, not deduplicated by JetStream
	e.drained("review-submitted")
	r := e.waitReview("dup", 1, reviewv1.ReviewState_REVIEW_STATE_CLEARED)
	if got := actions(r); !slices.Equal(got, []string{"submit", "cleared"}) {
		t.Errorf("history = %v", got)
	}
	st, err := e.nats.JS.Stream(ctx, events.StreamDrafting)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := st.Info(ctx); info.State.Msgs != 2 {
		t.Fatalf("DRAFTING holds %d messages; the test needs both deliveries", info.State.Msgs)
	}
	if c := cleared(t, e.nats); len(c) != 1 {
		t.Errorf("cleared events = %d, want 1", len(c))
	}

	// The same for a flagged article that a reviewer has started on.
	b := article("dup2", 1, 4, sensitive)
	e.submit(b)
	r = e.waitReview("dup2", 1, reviewv1.ReviewState_REVIEW_STATE_OPEN)
	if _, err := e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "dup2", FlagId: r.Flags[0].Id}, testutil.As(e.reviewer)); err != nil {
		t.Fatal(err)
	}
	e.submit(b, "dup2-again")
	e.drained("review-submitted")
	r, _ = e.get("dup2")
	if got := actions(r); !slices.Equal(got, []string{"submit", "approve"}) || r.Flags[0].Status != reviewv1.FlagStatus_FLAG_STATUS_APPROVED {
		t.Errorf("redelivery changed the review: %v", got)
	}
}

func TestWithdrawal(t *testing.T) {
	e := newEnv(t)
	a := article("wd", 2, 3, sensitive)
	e.submit(a)
	e.waitReview("wd", 2, reviewv1.ReviewState_REVIEW_STATE_OPEN)

	// Withdrawals of another revision, or from before this submission, are ignored.
	e.withdraw(&articlev1.Article{Id: "wd", Revision: 1, StateSeq: 9})
	e.withdraw(&articlev1.Article{Id: "wd", Revision: 2, StateSeq: 2})
	e.drained("review-withdrawn")
	if r, _ := e.get("wd"); r.State != reviewv1.ReviewState_REVIEW_STATE_OPEN {
		t.Fatalf("state = %v", r.State)
	}
	e.withdraw(&articlev1.Article{Id: "wd", Revision: 2, StateSeq: 4})
	r := e.waitReview("wd", 2, reviewv1.ReviewState_REVIEW_STATE_WITHDRAWN)
	if got := actions(r); !slices.Equal(got, []string{"submit", "withdraw"}) {
		t.Errorf("history = %v", got)
	}
	_, err := e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "wd", FlagId: r.Flags[0].Id}, testutil.As(e.reviewer))
	wantCode(t, err, codes.FailedPrecondition)
}

func TestCheckTextStoresNothing(t *testing.T) {
	e := newEnv(t)
	a := article("ct", 1, 1, sensitive)
	a.Highlights = []string{"Trump threatened new sanctions on Iran."}
	resp, err := e.client.CheckText(ctx, &reviewv1.CheckTextRequest{Article: a}, testutil.As(e.writer))
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, f := range resp.Flags {
		fields = append(fields, f.Field+":"+f.RuleId)
	}
	if !slices.Equal(fields, []string{"body:inclusive_language.chairman", "body:political_sensitivity.leader_conflict", "body:unverified_claim.hedge"}) {
		t.Errorf("flags = %v", fields)
	}
	pol := resp.Flags[1]
	if last := pol.Spans[len(pol.Spans)-1]; last.Field != "highlights[0]" || last.Text != "sanctions" {
		t.Errorf("the highlight is not a span of the political flag: %v", pol.Spans)
	}
	if !strings.Contains(resp.ProposedNote.GetText(), "Donald Trump") {
		t.Errorf("note = %v", resp.ProposedNote)
	}
	_, err = e.get("ct")
	wantCode(t, err, codes.NotFound)
	_, err = e.client.CheckText(ctx, &reviewv1.CheckTextRequest{}, testutil.As(e.writer))
	wantCode(t, err, codes.InvalidArgument)
}

func TestMalformedEventIsDeadLettered(t *testing.T) {
	e := newEnv(t)
	e.publish(natsx.Event{Subject: events.ArticleSubmitted, ID: "bad-1", Msg: &articlev1.Article{}}) // no id
	testutil.Eventually(t, wait, "dead letter", func() bool {
		st, err := e.nats.JS.Stream(ctx, natsx.DLQStream)
		if err != nil {
			return false
		}
		info, err := st.Info(ctx)
		return err == nil && info.State.Msgs == 1
	})
	// The consumer carries on.
	e.submit(article("after", 1, 1, clean))
	e.waitReview("after", 1, reviewv1.ReviewState_REVIEW_STATE_CLEARED)
}
