package review_test

import (
	"os"
	"path/filepath"
	"testing"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/review"
)

func TestRulesDirReplacesTheEmbeddedPacks(t *testing.T) {
	n := testutil.StartNATS(t, "")
	deps := testutil.Deps(n, testutil.Keys(t), nil)
	dir := t.TempDir()
	pack := `
category: house_style
rules:
  - id: house_style.utilize
    severity: BLOCKER
    kind: substitution
    message: Plain words.
    replace: {utilize: use}
    examples: {match: [We utilize it.], no_match: [We use it.]}
`
	if err := os.WriteFile(filepath.Join(dir, "house_style.yaml"), []byte(pack), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NEWSROOM_RULES_DIR", dir)
	cfg := review.ConfigFromEnv()
	if cfg.RulesDir != dir {
		t.Fatalf("RulesDir = %q", cfg.RulesDir)
	}
	svc, err := review.New(ctx, deps, cfg)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := svc.CheckText(ctx, &reviewv1.CheckTextRequest{Article: &articlev1.Article{
		Headline: "In Zürich 🎉 we utilize words", Body: "Putin ordered the invasion.",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Flags) != 1 || resp.Flags[0].RuleId != "house_style.utilize" || resp.Flags[0].Severity != reviewv1.Severity_SEVERITY_BLOCKER {
		t.Fatalf("flags = %v", resp.Flags)
	}
	sp := resp.Flags[0].Spans[0]
	if sp.Start != 19 || sp.End != 26 || sp.RuneStart != 15 || sp.RuneEnd != 22 || sp.Text != "utilize" {
		t.Errorf("span = %+v", sp)
	}
	if resp.ProposedNote != nil {
		t.Errorf("note = %v", resp.ProposedNote)
	}

	if _, err := review.New(ctx, deps, review.Config{RulesDir: t.TempDir()}); err == nil {
		t.Error("an empty rules dir was accepted")
	}
}
