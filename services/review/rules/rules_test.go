package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

func defaultSet(t *testing.T) *Set {
	t.Helper()
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRuleExamples runs every example of every rule in the shipped packs.
func TestRuleExamples(t *testing.T) {
	s := defaultSet(t)
	for _, r := range s.Rules() {
		for _, ex := range r.Examples.Match {
			t.Run(r.ID+"/match/"+ex, func(t *testing.T) {
				if !s.Fires(r.ID, ex) {
					t.Errorf("rule %s does not flag %q", r.ID, ex)
				}
			})
		}
		for _, ex := range r.Examples.NoMatch {
			t.Run(r.ID+"/no_match/"+ex, func(t *testing.T) {
				if s.Fires(r.ID, ex) {
					t.Errorf("rule %s flags %q", r.ID, ex)
				}
			})
		}
	}
}

func TestShippedCategories(t *testing.T) {
	s := defaultSet(t)
	want := map[string]bool{"unverified_claim": false, "political_sensitivity": false, "inclusive_language": false}
	for _, r := range s.Rules() {
		want[r.Category] = true
		if r.Guideline.Name == "" || r.Guideline.URL == "" || r.Rationale == "" {
			t.Errorf("rule %s lacks a guideline or rationale", r.ID)
		}
		if !strings.HasPrefix(r.ID, r.Category+".") {
			t.Errorf("rule %s is not named after its category %s", r.ID, r.Category)
		}
	}
	for c, ok := range want {
		if !ok {
			t.Errorf("no rule in category %s", c)
		}
	}
}

func scanBody(s *Set, text string) []Finding {
	return s.Scan([]Field{{Name: "body", Base: "body", Text: text}})
}

func only(t *testing.T, fs []Finding, ruleID string) Finding {
	t.Helper()
	var got []Finding
	for _, f := range fs {
		if f.Rule.ID == ruleID {
			got = append(got, f)
		}
	}
	if len(got) != 1 {
		t.Fatalf("want one %s finding, got %d (all: %v)", ruleID, len(got), fs)
	}
	return got[0]
}

func TestSpanOffsetsBytesAndRunes(t *testing.T) {
	s := defaultSet(t)
	text := "In Zürich 🎉, officials reportedly met."
	f := only(t, scanBody(s, text), "unverified_claim.hedge")
	if len(f.Spans) != 1 {
		t.Fatalf("spans = %d", len(f.Spans))
	}
	sp := f.Spans[0]
	byteStart := strings.Index(text, "reportedly")
	runeStart := utf8.RuneCountInString(text[:byteStart])
	if sp.Start != byteStart || sp.End != byteStart+len("reportedly") {
		t.Errorf("bytes [%d,%d), want [%d,%d)", sp.Start, sp.End, byteStart, byteStart+10)
	}
	if sp.RuneStart != runeStart || sp.RuneEnd != runeStart+10 {
		t.Errorf("runes [%d,%d), want [%d,%d)", sp.RuneStart, sp.RuneEnd, runeStart, runeStart+10)
	}
	if sp.RuneStart == sp.Start {
		t.Fatal("test text must put multi-byte runes before the match")
	}
	if text[sp.Start:sp.End] != sp.Text || []rune(text)[sp.RuneStart] != 'r' {
		t.Errorf("offsets do not address the match: %q", sp.Text)
	}
}

func TestContextCutAtRuneBoundaries(t *testing.T) {
	s := defaultSet(t)
	// Three-byte runes on both sides, so a 40-byte cut lands mid-rune.
	pad := strings.Repeat("€", 30)
	text := pad + " reportedly " + pad
	sp := only(t, scanBody(s, text), "unverified_claim.hedge").Spans[0]
	for _, c := range []string{sp.Before, sp.After} {
		if !utf8.ValidString(c) {
			t.Errorf("context %q is not valid UTF-8", c)
		}
		if len(c) > ContextBytes || len(c) < ContextBytes-3 {
			t.Errorf("context is %d bytes, want about %d", len(c), ContextBytes)
		}
	}
	if !strings.HasSuffix(sp.Before, "€ ") || !strings.HasPrefix(sp.After, " €") {
		t.Errorf("context = %q / %q", sp.Before, sp.After)
	}
	// Near the start and end of the text the context is what there is.
	sp = only(t, scanBody(s, "Reportedly."), "unverified_claim.hedge").Spans[0]
	if sp.Before != "" || sp.After != "." {
		t.Errorf("context = %q / %q", sp.Before, sp.After)
	}
}

func TestRepeatsAreSpansOfOneFinding(t *testing.T) {
	s := defaultSet(t)
	text := "The minister reportedly resigned. Her deputy reportedly stays. REPORTEDLY, talks go on."
	f := only(t, scanBody(s, text), "unverified_claim.hedge")
	if len(f.Spans) != 3 {
		t.Fatalf("spans = %d, want 3", len(f.Spans))
	}
	for i, sp := range f.Spans {
		if !strings.EqualFold(sp.Text, "reportedly") || (i > 0 && sp.Start <= f.Spans[i-1].Start) {
			t.Errorf("span %d = %+v", i, sp)
		}
	}
	// Other fields get findings of their own.
	fs := s.Scan([]Field{{"headline", "headline", "Talks reportedly off"}, {"body", "body", text}})
	if len(fs) != 2 || fs[0].Field != "headline" || fs[1].Field != "body" || fs[0].ID == fs[1].ID {
		t.Fatalf("findings = %+v", fs)
	}
}

func TestLongestMatchWins(t *testing.T) {
	s := defaultSet(t)
	f := only(t, scanBody(s, "The video could not be independently verified."), "unverified_claim.not_confirmed")
	if len(f.Spans) != 1 || f.Spans[0].Text != "could not be independently verified" {
		t.Fatalf("spans = %+v", f.Spans)
	}
}

func TestFlagIDs(t *testing.T) {
	s := defaultSet(t)
	a := only(t, scanBody(s, "Officials reportedly met."), "unverified_claim.hedge")
	b := only(t, scanBody(s, "Something else first. Then REPORTEDLY they met, reportedly."), "unverified_claim.hedge")
	if a.ID != b.ID {
		t.Errorf("same rule, field and first text should share an id: %s vs %s", a.ID, b.ID)
	}
	if a.ID != FlagID("unverified_claim.hedge", "body", "Reportedly") {
		t.Errorf("id is not FlagID of the rule, field and text")
	}
	if FlagID("unverified_claim.hedge", "dek", "reportedly") == a.ID ||
		FlagID("unverified_claim.anonymous_source", "body", "reportedly") == a.ID ||
		FlagID("unverified_claim.hedge", "body", "allegedly") == a.ID {
		t.Error("ids must differ by rule, field and text")
	}
	if FlagID("r", "body", "hasn’t  confirmed") != FlagID("r", "body", "Hasn't confirmed") {
		t.Error("apostrophes, case and spacing should not change an id")
	}
}

func TestCooccurrenceIsPerSentence(t *testing.T) {
	s := defaultSet(t)
	const id = "political_sensitivity.leader_conflict"
	cases := []struct {
		text string
		want bool
	}{
		{"Putin ordered the invasion.", true},
		{"Putin spoke on Monday. The invasion began on Thursday.", false},
		{"Mr. Putin said on Monday the invasion would go on.", true},
		{"The U.S. sanctions hit firms close to Putin.", true},
		{"Putin spoke on Monday\n\nThe invasion began on Thursday", false},
		{"Putin spoke on Monday:\n- the invasion began on Thursday", false},
		{"Putin's invasion", true},
		{"Putinism and warfare", false},
		{"The war began. Putin's aides met. Sanctions followed, said Mr. Biden.", true},
	}
	for _, c := range cases {
		if got := s.Fires(id, c.text); got != c.want {
			t.Errorf("%q: fires = %v, want %v", c.text, got, c.want)
		}
	}
	f := only(t, scanBody(s, "Zelenskyy and Putin discussed a ceasefire and peace talks. Putin spoke."), id)
	var texts []string
	for _, sp := range f.Spans {
		texts = append(texts, sp.Text)
	}
	if got := strings.Join(texts, ","); got != "Zelenskyy,Putin,ceasefire,peace talks" {
		t.Errorf("spans = %s", got)
	}
	if f.ID != FlagID(id, "body", "Zelenskyy ceasefire") {
		t.Error("a cooccurrence id is keyed by the first sentence's first pair")
	}
	g := only(t, scanBody(s, "Putin spoke. Zelenskyy and Putin discussed sanctions."), id)
	if g.ID == f.ID {
		t.Error("a different sentence about the same leader got the same id")
	}
	if strings.Join(f.A, ",") != "Volodymyr Zelensky,Vladimir Putin" || strings.Join(f.B, ",") != "ceasefire,peace talks" {
		t.Errorf("names = %v / %v", f.A, f.B)
	}
}

func TestInflection(t *testing.T) {
	got := strings.Join(inflections("ban"), ",")
	if got != "ban,bans,banned,banning" && got != "ban,bans,baned,baning,banned,banning" {
		t.Errorf("ban: %s", got)
	}
	for w, want := range map[string][]string{
		"war":     {"wars", "warring"},
		"invade":  {"invades", "invaded", "invading"},
		"rally":   {"rallies", "rallied", "rallying"},
		"embargo": {"embargos"},
		"crash":   {"crashes", "crashed"},
	} {
		forms := inflections(w)
		for _, f := range want {
			if !contains(forms, f) {
				t.Errorf("%s: %v lacks %s", w, forms, f)
			}
		}
	}
	if contains(inflections("war"), "wares") {
		t.Error(`"war" must not inflect to "wares"`)
	}
	set := mustLoad(t, map[string]string{"x.yaml": `
category: x
rules:
  - id: x.claim
    severity: INFO
    kind: existence
    message: m
    inflect: true
    terms: [dispute]
    examples:
      match: [They disputed it., Disputes grew., A disputing party.]
      no_match: [Indisputable facts.]
`})
	if set.Rule("x.claim") == nil {
		t.Fatal("rule missing")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestQuotesAndLinksAreSkipped(t *testing.T) {
	s := defaultSet(t)
	if s.Fires("inclusive_language.illegal_immigrant", `He said: "Illegal immigrants are welcome to apply."`) {
		t.Error("a direct quote was flagged")
	}
	if !s.Fires("inclusive_language.illegal_immigrant", `"We disagree," she said of the plan to deport illegal immigrants.`) {
		t.Error("copy after a closed quote was not flagged")
	}
	if !s.Fires("inclusive_language.illegal_immigrant", "A stray \" mark.\n\nThe illegal immigrants left.") {
		t.Error("an unclosed quote hid the next paragraph")
	}
	// Rules without outside_quotes still see quotes.
	if !s.Fires("unverified_claim.hedge", `"He reportedly left," she said.`) {
		t.Error("quote skipping leaked into another rule")
	}
	if s.Fires("political_sensitivity.leader_conflict", "See https://example.com/putin-war for more.") {
		t.Error("words of a URL were matched")
	}
}

func TestSubstitutionSuggestion(t *testing.T) {
	s := defaultSet(t)
	f := only(t, scanBody(s, "Both chairmen and the chairman of the board met."), "inclusive_language.chairman")
	if len(f.Spans) != 2 {
		t.Fatalf("spans = %+v", f.Spans)
	}
	if !strings.Contains(f.Suggestion, "“chairs” instead of “chairmen”") || !strings.Contains(f.Suggestion, "“chair” instead of “chairman”") {
		t.Errorf("suggestion = %q", f.Suggestion)
	}
	if f.Rule.Severity != Info {
		t.Errorf("chairman severity = %v", f.Rule.Severity)
	}
}

func TestFieldsSelectRules(t *testing.T) {
	set := mustLoad(t, map[string]string{"x.yaml": `
category: x
fields: [headline]
rules:
  - id: x.shout
    severity: WARNING
    kind: existence
    message: m
    terms: [breaking]
    examples: {match: [Breaking news]}
`})
	fs := set.Scan([]Field{{"headline", "headline", "Breaking: talks"}, {"body", "body", "Breaking: talks"}, {"takeaways[0].quote", "takeaways", "breaking"}})
	if len(fs) != 1 || fs[0].Field != "headline" {
		t.Fatalf("findings = %+v", fs)
	}
}

func TestNote(t *testing.T) {
	s := defaultSet(t)
	if n := s.Note(scanBody(s, "The chairman met farmers. Mankind rejoiced.")); n != nil {
		t.Errorf("INFO-only findings proposed a note: %+v", n)
	}
	n := s.Note(scanBody(s, "Putin and Zelensky discussed a ceasefire. The talks reportedly stalled over sanctions on Putin."))
	if n == nil || n.Title != "Political sensitivity" {
		t.Fatalf("note = %+v", n)
	}
	for _, w := range []string{"ceasefire and sanctions", "Vladimir Putin and Volodymyr Zelensky", "could not be independently verified"} {
		if !strings.Contains(n.Text, w) {
			t.Errorf("note text %q lacks %q", n.Text, w)
		}
	}
	if joinNames([]string{"a", "b", "c"}) != "a, b and c" {
		t.Error(joinNames([]string{"a", "b", "c"}))
	}
}

func mustLoad(t *testing.T, files map[string]string) *Set {
	t.Helper()
	s, err := Load(fsOf(files))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fsOf(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return m
}

func TestLoadRefusesBrokenPacks(t *testing.T) {
	rule := func(body string) string {
		return "category: x\nrules:\n  - id: x.r\n    message: m\n" + body
	}
	cases := map[string]map[string]string{
		"no packs":         {"readme.txt": "hi"},
		"bad severity":     {"x.yaml": rule("    severity: LOUD\n    kind: existence\n    terms: [a]\n    examples: {match: [a]}\n")},
		"unknown kind":     {"x.yaml": rule("    severity: INFO\n    kind: regex\n    terms: [a]\n    examples: {match: [a]}\n")},
		"unknown field":    {"x.yaml": rule("    severity: INFO\n    kind: existence\n    fields: [byline]\n    terms: [a]\n    examples: {match: [a]}\n")},
		"typo in key":      {"x.yaml": rule("    severity: INFO\n    kind: existence\n    term: [a]\n    examples: {match: [a]}\n")},
		"no examples":      {"x.yaml": rule("    severity: INFO\n    kind: existence\n    terms: [a]\n")},
		"missing data":     {"x.yaml": rule("    severity: INFO\n    kind: cooccurrence\n    a: ['@nobody']\n    b: [war]\n    examples: {match: [a war]}\n")},
		"failing match":    {"x.yaml": rule("    severity: INFO\n    kind: existence\n    terms: [alpha]\n    examples: {match: [beta]}\n")},
		"failing no_match": {"x.yaml": rule("    severity: INFO\n    kind: existence\n    terms: [alpha]\n    examples: {match: [alpha], no_match: [Alpha male]}\n")},
		"duplicate id": {"x.yaml": rule("    severity: INFO\n    kind: existence\n    terms: [a]\n    examples: {match: [a]}\n"),
			"y.yaml": rule("    severity: INFO\n    kind: existence\n    terms: [a]\n    examples: {match: [a]}\n")},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(fsOf(files))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestLoadDirWithDataFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("data/rivals.txt", "# teams\nRed Sox|Sox\nYankees\n")
	write("sport.yaml", `
category: sport
note: {title: Rivalry, text: "About {a} and {b}.", priority: 1}
rules:
  - id: sport.rivalry
    severity: BLOCKER
    kind: cooccurrence
    message: Rivalry
    a: ["@rivals"]
    b: [brawl|brawls]
    examples:
      match: [The Sox brawl again.]
      no_match: [The Yankees won. A brawl broke out elsewhere.]
`)
	s, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fs := scanBody(s, "Yankees fans and Red Sox fans brawls")
	if len(fs) != 1 || fs[0].Rule.Severity != Blocker || strings.Join(fs[0].A, ",") != "Yankees,Red Sox" {
		t.Fatalf("findings = %+v", fs)
	}
	if n := s.Note(fs); n == nil || n.Text != "About Yankees and Red Sox and brawl." {
		t.Errorf("note = %+v", n)
	}
}

func TestTokenize(t *testing.T) {
	toks := tokenize("Putin’s cease-fire; hasn't it — U.S. troops.\n\nNew")
	var norms []string
	for _, tk := range toks {
		norms = append(norms, tk.norm)
	}
	if got := strings.Join(norms, " "); got != "putin cease fire hasn't it u s troops new" {
		t.Fatalf("norms = %s", got)
	}
	if !toks[2].join || toks[3].join || !toks[4].join || toks[6].join || toks[7].join {
		t.Errorf("joins wrong: %+v", toks)
	}
	if toks[len(toks)-1].sent != toks[0].sent+1 {
		t.Errorf("sentences: %+v", toks)
	}
}

func BenchmarkScan(b *testing.B) {
	s, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	para := "Officials in Zürich said on Monday that talks on the budget would resume next week, " +
		"while the chairman of the committee reportedly favoured a delay. Putin spoke about sanctions. "
	text := strings.Repeat(para, 500)
	fields := []Field{{"body", "body", text}}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		s.Scan(fields)
	}
}
