package review_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/review"
)

// A decision carries over only while the rule, the matched text and its
// sentence are unchanged; a flag with a new span stays open, showing which
// spans were decided before; decisions are remembered per passage, across
// any number of revisions.
func TestCarryOverNeedsTheSamePassage(t *testing.T) {
	e := newEnv(t)
	const (
		friday = "The minister reportedly resigned on Friday."
		deputy = "Her deputy reportedly stays."
	)
	decideAll := func(id string, r *reviewv1.Review) *reviewv1.Review {
		t.Helper()
		for _, f := range r.Flags {
			if f.Status != reviewv1.FlagStatus_FLAG_STATUS_OPEN || f.Severity < reviewv1.Severity_SEVERITY_WARNING {
				continue
			}
			resp, err := e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: id, FlagId: f.Id, Note: "fine"}, testutil.As(e.reviewer))
			if err != nil {
				t.Fatal(err)
			}
			r = resp.Review
		}
		return r
	}
	e.submit(article("co", 1, 2, friday))
	r1 := decideAll("co", e.waitReview("co", 1, reviewv1.ReviewState_REVIEW_STATE_OPEN))
	if r1.State != reviewv1.ReviewState_REVIEW_STATE_CLEARED || len(r1.Decided) != 1 || r1.Decided[0].Revision != 1 || r1.Decided[0].DecidedBy != "rita" {
		t.Fatalf("review 1 = %v / %v", r1.State, r1.Decided)
	}

	// Another word in the sentence: a new passage, a new decision.
	e.submit(article("co", 2, 4, "The minister reportedly resigned on Thursday."))
	r2 := e.waitReview("co", 2, reviewv1.ReviewState_REVIEW_STATE_OPEN)
	h := flagOf(t, r2, "unverified_claim.hedge", "body")
	if h.CarriedFrom != 0 || h.Spans[0].DecidedBefore {
		t.Fatalf("changed sentence carried: %v", h)
	}
	decideAll("co", r2)

	// The Friday sentence again, with a new one: the flag stays open and
	// only the new span is new.
	e.submit(article("co", 3, 6, friday+" "+deputy))
	r3 := e.waitReview("co", 3, reviewv1.ReviewState_REVIEW_STATE_OPEN)
	h = flagOf(t, r3, "unverified_claim.hedge", "body")
	if h.Status != reviewv1.FlagStatus_FLAG_STATUS_OPEN || len(h.Spans) != 2 || !h.Spans[0].DecidedBefore || h.Spans[1].DecidedBefore {
		t.Fatalf("flag with a new span = %v", h)
	}
	decideAll("co", r3)

	// Both passages now decided, in revisions 1 and 3: carried whole, from
	// the latest decision; punctuation and spacing do not matter.
	e.submit(article("co", 4, 8, deputy+"  The minister reportedly resigned on Friday!"))
	r4 := e.waitReview("co", 4, reviewv1.ReviewState_REVIEW_STATE_CLEARED)
	h = flagOf(t, r4, "unverified_claim.hedge", "body")
	if h.Status != reviewv1.FlagStatus_FLAG_STATUS_APPROVED || h.CarriedFrom != 3 || h.Reason != "fine" || !h.Spans[0].DecidedBefore || !h.Spans[1].DecidedBefore {
		t.Errorf("carried flag = %v", h)
	}
	if len(r4.Decided) != 3 {
		t.Errorf("decided passages = %v", r4.Decided)
	}
	if got := actions(r4); !slices.Equal(got, []string{"submit", "approve", "cleared", "submit", "approve", "cleared", "submit", "approve", "cleared", "submit", "cleared"}) {
		t.Errorf("history = %v", got)
	}
}

// The author and the last editor never decide their article's flags,
// whatever roles their tokens hold.
func TestAuthorNeverDecidesOwnFlags(t *testing.T) {
	e := newEnv(t)
	keys := e.keys
	all := []auth.Role{auth.Writer, auth.Editor, auth.Reviewer, auth.Publisher, auth.Admin}
	e.submit(article("own", 1, 2, sensitive))
	r := e.waitReview("own", 1, reviewv1.ReviewState_REVIEW_STATE_OPEN)
	for _, who := range []string{"wendy", "eddie"} {
		tok := testutil.Token(t, keys, who, all...)
		_, err := e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "own", FlagId: r.Flags[1].Id}, testutil.As(tok))
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.client.DismissFlag(ctx, &reviewv1.DismissFlagRequest{ArticleId: "own", FlagId: r.Flags[1].Id, Reason: "mine"}, testutil.As(tok))
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.client.SetSensitivityNote(ctx, &reviewv1.SetSensitivityNoteRequest{ArticleId: "own", AcceptProposed: true}, testutil.As(tok))
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.client.RequestChanges(ctx, &reviewv1.RequestChangesRequest{ArticleId: "own", Note: "x"}, testutil.As(tok))
		wantCode(t, err, codes.PermissionDenied)
	}
	if got, _ := e.get("own"); len(got.Decisions) != 1 {
		t.Errorf("history = %v", actions(got))
	}
}

// replica is one review service of a pair sharing a rules folder and NATS.
type replica struct {
	svc    *review.Service
	client reviewv1.ReviewServiceClient
}

func replicas(t *testing.T, n int, dir string) (*testutil.NATS, *auth.Keyring, []replica) {
	t.Helper()
	nt := testutil.StartNATS(t, "")
	keys := testutil.Keys(t)
	var out []replica
	for i := 0; i < n; i++ {
		svc, err := review.New(context.Background(), testutil.Deps(nt, keys, nil), review.Config{RulesDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		conn := testutil.Serve(t, keys, svc)
		out = append(out, replica{svc, reviewv1.NewReviewServiceClient(conn)})
	}
	return nt, keys, out
}

const housePack = `category: house_style
guideline: {name: House style, url: https://standards.newsroom.dev/house}
rules:
  - id: house_style.utilize
    severity: WARNING
    kind: substitution
    message: Plain words.
    rationale: Plain words.
    replace: {utilize: use}
    examples: {match: [We utilize it.], no_match: [We use it.]}
`

const leveragePack = `
  - id: house_style.leverage
    severity: INFO
    kind: existence
    message: Jargon.
    rationale: Jargon.
    terms: [leverage]
    examples: {match: [We leverage it.]}
`

func writePack(t *testing.T, dir, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "house_style.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func ruleIDs(t *testing.T, c reviewv1.ReviewServiceClient, tok, text string) []string {
	t.Helper()
	resp, err := c.CheckText(ctx, &reviewv1.CheckTextRequest{Article: &articlev1.Article{Body: text}}, testutil.As(tok))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range resp.Flags {
		ids = append(ids, f.RuleId)
	}
	return ids
}

func TestReloadReachesEveryReplica(t *testing.T) {
	dir := t.TempDir()
	writePack(t, dir, housePack)
	_, keys, rs := replicas(t, 2, dir)
	admin := testutil.Token(t, keys, "ada", auth.Admin)
	writer := testutil.Token(t, keys, "walt", auth.Writer)
	reviewer := testutil.Token(t, keys, "rita", auth.Reviewer)
	const text = "We utilize and leverage synergies."
	for _, r := range rs {
		if got := ruleIDs(t, r.client, writer, text); !slices.Equal(got, []string{"house_style.utilize"}) {
			t.Fatalf("before reload: %v", got)
		}
	}

	// Only an admin reloads.
	_, err := rs[0].client.Reload(ctx, &reviewv1.ReloadRequest{}, testutil.As(reviewer))
	wantCode(t, err, codes.PermissionDenied)

	// A dry run checks the folder and changes nothing.
	writePack(t, dir, housePack+leveragePack)
	dry, err := rs[0].client.Reload(ctx, &reviewv1.ReloadRequest{ValidateOnly: true}, testutil.As(admin))
	if err != nil {
		t.Fatal(err)
	}
	if dry.Rules != 2 || dry.Packs != 1 || len(dry.Digest) != 64 || !slices.Equal(dry.Categories, []string{"house_style"}) {
		t.Errorf("dry run = %v", dry)
	}
	if got := ruleIDs(t, rs[0].client, writer, text); len(got) != 1 {
		t.Fatalf("a dry run swapped the rules: %v", got)
	}

	// The reload, taken by one replica, reaches the other.
	resp, err := rs[0].client.Reload(ctx, &reviewv1.ReloadRequest{}, testutil.As(admin))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Digest != dry.Digest || resp.Rules != 2 {
		t.Errorf("reload = %v", resp)
	}
	want := []string{"house_style.utilize", "house_style.leverage"}
	if got := ruleIDs(t, rs[0].client, writer, text); !slices.Equal(got, want) {
		t.Errorf("replica 0 after reload: %v", got)
	}
	testutil.Eventually(t, wait, "the other replica to reload", func() bool {
		return slices.Equal(ruleIDs(t, rs[1].client, writer, text), want)
	})

	// An invalid pack is refused with file, line and reason; the rules in
	// force stay on every replica.
	writePack(t, dir, housePack+strings.Replace(leveragePack, "severity: INFO", "severity: LOUD", 1))
	_, err = rs[1].client.Reload(ctx, &reviewv1.ReloadRequest{}, testutil.As(admin))
	wantCode(t, err, codes.InvalidArgument)
	st, _ := status.FromError(err)
	if !strings.Contains(st.Message(), "house_style.yaml:13: rule house_style.leverage: unknown severity") || !strings.Contains(st.Message(), "rules in force stay") {
		t.Errorf("message = %q", st.Message())
	}
	var fv []*errdetails.BadRequest_FieldViolation
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			fv = br.FieldViolations
		}
	}
	if len(fv) != 1 || fv[0].Field != "house_style.yaml:13" || !strings.Contains(fv[0].Description, "LOUD") {
		t.Errorf("violations = %v", fv)
	}
	for i, r := range rs {
		if got := ruleIDs(t, r.client, writer, text); !slices.Equal(got, want) {
			t.Errorf("replica %d after a refused reload: %v", i, got)
		}
	}
}

func TestReloadNeedsARulesFolder(t *testing.T) {
	e := newEnv(t)
	_, err := e.client.Reload(ctx, &reviewv1.ReloadRequest{}, testutil.As(testutil.Token(t, e.keys, "ada", auth.Admin)))
	wantCode(t, err, codes.FailedPrecondition)
}

func statOf(t *testing.T, resp *reviewv1.RuleStatsResponse, id string) *reviewv1.RuleStat {
	t.Helper()
	for _, s := range resp.Rules {
		if s.RuleId == id {
			return s
		}
	}
	t.Fatalf("no stats for %s", id)
	return nil
}

func TestRuleStats(t *testing.T) {
	e := newEnv(t)
	editor := testutil.Token(t, e.keys, "ed", auth.Editor)
	admin := testutil.Token(t, e.keys, "ada", auth.Admin)
	_, err := e.client.RuleStats(ctx, &reviewv1.RuleStatsRequest{}, testutil.As(e.writer))
	wantCode(t, err, codes.PermissionDenied)

	e.submit(article("st", 1, 2, sensitive))
	r := e.waitReview("st", 1, reviewv1.ReviewState_REVIEW_STATE_OPEN)
	pol := flagOf(t, r, "political_sensitivity.leader_conflict", "body")
	hedge := flagOf(t, r, "unverified_claim.hedge", "body")
	if _, err := e.client.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "st", FlagId: pol.Id}, testutil.As(e.reviewer)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DismissFlag(ctx, &reviewv1.DismissFlagRequest{ArticleId: "st", FlagId: hedge.Id, Reason: "false alarm"}, testutil.As(e.reviewer)); err != nil {
		t.Fatal(err)
	}
	// A new revision with the same copy: decided flags are carried, the
	// INFO flag fires again.
	e.submit(article("st", 2, 4, sensitive))
	e.waitReview("st", 2, reviewv1.ReviewState_REVIEW_STATE_CLEARED)

	var resp *reviewv1.RuleStatsResponse
	testutil.Eventually(t, wait, "rule stats", func() bool {
		resp, err = e.client.RuleStats(ctx, &reviewv1.RuleStatsRequest{}, testutil.As(editor))
		return err == nil && statOf(t, resp, "inclusive_language.chairman").Fired == 2
	})
	type counts struct{ fired, carried, approved, dismissed int64 }
	for id, want := range map[string]counts{
		"political_sensitivity.leader_conflict": {1, 1, 1, 0},
		"unverified_claim.hedge":                {1, 1, 0, 1},
		"inclusive_language.chairman":           {2, 0, 0, 0},
		"profanity.slur":                        {0, 0, 0, 0},
	} {
		s := statOf(t, resp, id)
		if got := (counts{s.Fired, s.Carried, s.Approved, s.Dismissed}); got != want || !s.Loaded || s.Category == "" || s.Severity == reviewv1.Severity_SEVERITY_UNSPECIFIED {
			t.Errorf("%s: %+v, want %+v", id, s, want)
		}
	}
	if resp.ThroughSeq == 0 {
		t.Error("through_seq not set")
	}
	only, err := e.client.RuleStats(ctx, &reviewv1.RuleStatsRequest{Category: "profanity"}, testutil.As(admin))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range only.Rules {
		if s.Category != "profanity" {
			t.Errorf("category filter let %s through", s.RuleId)
		}
	}
	if len(only.Rules) != 4 {
		t.Errorf("profanity rules = %d", len(only.Rules))
	}
}

// Replicas folding the same events at once count each event once: the
// counts and the stream sequence they reach are one compare-and-set record.
func TestRuleStatsAreExactlyOnceAcrossReplicas(t *testing.T) {
	e := newEnv(t)
	for i := int64(1); i <= 5; i++ {
		e.submit(article("x"+string(rune('0'+i)), 1, i, sensitive))
	}
	testutil.Eventually(t, wait, "five flagged events", func() bool {
		return len(published(t, e.nats, "newsroom.review.article.flagged", func() *reviewv1.ArticleFlagged { return &reviewv1.ArticleFlagged{} })) == 5
	})
	others := make([]*review.Service, 3)
	for i := range others {
		svc, err := review.New(ctx, testutil.Deps(e.nats, e.keys, nil), review.Config{})
		if err != nil {
			t.Fatal(err)
		}
		others[i] = svc
	}
	var wg sync.WaitGroup
	results := make([]*reviewv1.RuleStatsResponse, len(others))
	for i, svc := range others {
		wg.Go(func() {
			resp, err := svc.RuleStats(ctx, &reviewv1.RuleStatsRequest{})
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = resp
		})
	}
	wg.Wait()
	final, err := e.client.RuleStats(ctx, &reviewv1.RuleStatsRequest{}, testutil.As(e.reviewer))
	if err != nil {
		t.Fatal(err)
	}
	if got := statOf(t, final, "political_sensitivity.leader_conflict").Fired; got != 5 {
		t.Errorf("fired = %d, want 5", got)
	}
	for _, r := range results {
		if r != nil && statOf(t, r, "political_sensitivity.leader_conflict").Fired != 5 {
			t.Errorf("a replica saw %d", statOf(t, r, "political_sensitivity.leader_conflict").Fired)
		}
	}
}
