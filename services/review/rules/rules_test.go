package rules

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

func defaultSet(t testing.TB) *Set {
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
			if !s.Fires(r.ID, ex) {
				t.Errorf("rule %s does not flag %q", r.ID, ex)
			}
		}
		for _, ex := range r.Examples.NoMatch {
			if s.Fires(r.ID, ex) {
				t.Errorf("rule %s flags %q", r.ID, ex)
			}
		}
	}
}

var categories = []string{
	"graphic_violence", "inclusive_language", "legal_risk", "minors", "political_sensitivity",
	"private_individual", "profanity", "suicide_self_harm", "unverified_claim",
}

func TestShippedPacks(t *testing.T) {
	s := defaultSet(t)
	got := s.Categories()
	slices.Sort(got)
	if !slices.Equal(got, categories) {
		t.Fatalf("categories = %v, want %v", got, categories)
	}
	kinds := map[Kind]bool{}
	for _, r := range s.Rules() {
		kinds[r.Kind] = true
		if r.Guideline.Name == "" || !strings.HasPrefix(r.Guideline.URL, "https://") || r.Rationale == "" {
			t.Errorf("rule %s lacks a guideline or rationale", r.ID)
		}
		if !strings.HasPrefix(r.ID, r.Category+".") {
			t.Errorf("rule %s is not named after its category %s", r.ID, r.Category)
		}
		if r.File != r.Category+".yaml" || r.Line == 0 {
			t.Errorf("rule %s: defined at %s:%d", r.ID, r.File, r.Line)
		}
	}
	for _, k := range Kinds {
		if !kinds[k] {
			t.Errorf("no shipped rule of kind %s", k)
		}
	}
	if s.Packs() != 9 || len(s.Digest()) != 64 {
		t.Errorf("packs %d, digest %q", s.Packs(), s.Digest())
	}
	// The profanity split: mild INFO, strong WARNING, slurs BLOCKER.
	for id, sev := range map[string]Severity{"profanity.mild": Info, "profanity.strong": Warning, "profanity.slur": Blocker} {
		if r := s.Rule(id); r == nil || r.Severity != sev {
			t.Errorf("%s: %+v", id, r)
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

func none(t *testing.T, fs []Finding, ruleID string) {
	t.Helper()
	for _, f := range fs {
		if f.Rule.ID == ruleID {
			t.Fatalf("unexpected %s finding: %+v", ruleID, f.Spans)
		}
	}
}

func texts(f Finding) string {
	var out []string
	for _, sp := range f.Spans {
		out = append(out, sp.Text)
	}
	return strings.Join(out, ",")
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
	if text[sp.Start:sp.End] != sp.Text || []rune(text)[sp.RuneStart] != 'r' || sp.Field != "body" {
		t.Errorf("offsets do not address the match: %+v", sp)
	}
	// Far into a long non-ASCII field, past several rune checkpoints.
	long := strings.Repeat("Überall € gab es Gespräche. ", 60) + "Sie trafen sich reportedly in Genf."
	sp = only(t, scanBody(s, long), "unverified_claim.hedge").Spans[0]
	if want := utf8.RuneCountInString(long[:strings.Index(long, "reportedly")]); sp.RuneStart != want || sp.RuneEnd != want+10 {
		t.Errorf("runes [%d,%d), want start %d", sp.RuneStart, sp.RuneEnd, want)
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
	sp = only(t, scanBody(s, "Reportedly."), "unverified_claim.hedge").Spans[0]
	if sp.Before != "" || sp.After != "." {
		t.Errorf("context = %q / %q", sp.Before, sp.After)
	}
}

func TestRepeatsInTheArticleAreSpansOfOneFinding(t *testing.T) {
	s := defaultSet(t)
	body := "The minister reportedly resigned. Her deputy reportedly stays. REPORTEDLY, talks go on."
	f := only(t, scanBody(s, body), "unverified_claim.hedge")
	if len(f.Spans) != 3 {
		t.Fatalf("spans = %d, want 3", len(f.Spans))
	}
	// Across fields: one finding, its spans in field order, each naming
	// its field; the finding's field is the first span's.
	fs := s.Scan([]Field{
		{"headline", "headline", "Talks reportedly off"},
		{"body", "body", body},
		{"takeaways[0].quote", "takeaways", "He reportedly fled."},
	})
	g := only(t, fs, "unverified_claim.hedge")
	var fields []string
	for _, sp := range g.Spans {
		fields = append(fields, sp.Field)
	}
	if got := strings.Join(fields, ","); got != "headline,body,body,body,takeaways[0].quote" || g.Field != "headline" {
		t.Fatalf("fields = %s (finding field %s)", got, g.Field)
	}
	if g.Spans[4].Start != 3 || g.Spans[4].Text != "reportedly" {
		t.Errorf("takeaway span = %+v", g.Spans[4])
	}
}

func TestLongestMatchWins(t *testing.T) {
	s := defaultSet(t)
	f := only(t, scanBody(s, "The video could not be independently verified."), "unverified_claim.not_confirmed")
	if len(f.Spans) != 1 || f.Spans[0].Text != "could not be independently verified" {
		t.Fatalf("spans = %+v", f.Spans)
	}
}

// Phrases match across any run of whitespace and hyphens, line breaks
// included (Markdown bodies wrap lines), but not across a paragraph.
func TestPhrasesMatchAcrossLineBreaks(t *testing.T) {
	s := defaultSet(t)
	const id = "unverified_claim.not_confirmed"
	for _, text := range []string{
		"a claim that has not been\nindependently confirmed.",
		"a claim that has not been\r\n   independently confirmed.",
		"a claim that has\tnot  been independently\u00a0confirmed.",
		"a claim that has not been -- independently confirmed.",
		"The ministry hasn’t  confirmed it.",
		"The ministry HASN'T\nCONFIRMED it.",
	} {
		f := only(t, scanBody(s, text), id)
		sp := f.Spans[0]
		low := strings.ToLower(sp.Text)
		if !strings.HasPrefix(low, "has") || !strings.HasSuffix(low, "confirmed") || text[sp.Start:sp.End] != sp.Text {
			t.Errorf("%q: span %+v", text, sp)
		}
	}
	for _, text := range []string{
		"a claim that has not been\n\nindependently confirmed.",
		"a claim that has not been\n- independently confirmed.",
		"a claim that has not been, independently, confirmed.",
	} {
		none(t, scanBody(s, text), id)
	}
}

func TestWordBoundaries(t *testing.T) {
	s := defaultSet(t)
	cases := []struct {
		id, text string
		want     bool
	}{
		{"political_sensitivity.leader_conflict", "Putin's invasion", true},
		{"political_sensitivity.leader_conflict", "Putin’s invasion", true},
		{"political_sensitivity.leader_conflict", "Putinism and warfare", false},
		{"political_sensitivity.leader_conflict", "Putin toured the software award ceremony.", false},
		{"political_sensitivity.leader_conflict", "Putin opposed the anti-war protest.", true},
		{"unverified_claim.hedge", "Unreportedly", false},
		{"unverified_claim.hedge", "reportedly's", true},
		{"profanity.strong", "Scunthorpe", false},
		{"profanity.strong", "Shitterton", false},
		{"profanity.strong", "shit", true},
		{"profanity.strong", "o'shit", false},
		{"inclusive_language.chairman", "The chairmanship rotates.", false},
		{"inclusive_language.chairman", "Zürichchairman", false},
		{"inclusive_language.chairman", "Der Vorsitzende (chairman) trat zurück.", true},
		{"political_sensitivity.leader_conflict", "ERDOĞAN called for a ceasefire.", true},
		{"political_sensitivity.leader_conflict", "Erdoğan called for a ceasefire.", true},
	}
	for _, c := range cases {
		if got := s.Fires(c.id, c.text); got != c.want {
			t.Errorf("%s on %q: fires = %v, want %v", c.id, c.text, got, c.want)
		}
	}
}

func TestFlagIDsAndSpanKeys(t *testing.T) {
	s := defaultSet(t)
	const id = "unverified_claim.hedge"
	key := func(text string) (string, string) {
		f := only(t, scanBody(s, text), id)
		return f.ID, f.Spans[0].Key
	}
	id1, k1 := key("Officials reportedly met on Monday.")
	id2, k2 := key("Something else first. Officials reportedly met on Monday!")
	if k1 != k2 || id1 != id2 {
		t.Error("the same passage in another place should keep its key and id")
	}
	if _, k := key("OFFICIALS  reportedly met, on Monday."); k != k1 {
		t.Error("case, spacing and punctuation should not change a key")
	}
	if _, k := key("Officials reportedly met on Tuesday."); k == k1 {
		t.Error("a changed word in the sentence should change the key")
	}
	f := only(t, s.Scan([]Field{{"dek", "dek", "Officials reportedly met on Monday."}}), id)
	if f.Spans[0].Key == k1 {
		t.Error("the same sentence in another field should have another key")
	}
	two := only(t, scanBody(s, "Officials reportedly met on Monday. They reportedly left."), id)
	if two.ID == id1 || two.Spans[0].Key != k1 {
		t.Error("a flag with another set of passages should get another id")
	}
	if two.ID != FlagID(id, []string{two.Spans[1].Key, two.Spans[0].Key}) {
		t.Error("the id is FlagID of the rule and the span keys, in any order")
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
		{"Putin spoke on Monday… The invasion began on Thursday", false},
		{`"Putin spoke on Monday." The invasion began on Thursday`, false},
		{"The war began. Putin's aides met. Sanctions followed, said Mr. Biden.", true},
	}
	for _, c := range cases {
		if got := s.Fires(id, c.text); got != c.want {
			t.Errorf("%q: fires = %v, want %v", c.text, got, c.want)
		}
	}
	f := only(t, scanBody(s, "Zelenskyy and Putin discussed a ceasefire and peace talks. Putin spoke."), id)
	if got := texts(f); got != "Zelenskyy,Putin,ceasefire,peace talks" {
		t.Errorf("spans = %s", got)
	}
	if strings.Join(f.A, ",") != "Volodymyr Zelensky,Vladimir Putin" || strings.Join(f.B, ",") != "ceasefire,peace talks" {
		t.Errorf("names = %v / %v", f.A, f.B)
	}
}

// One phrase may be in both lists of a cooccurrence: "Taiwanese
// independence" is a region and a claim of sovereignty.
func TestOverlappingListsCooccur(t *testing.T) {
	s := defaultSet(t)
	f := only(t, scanBody(s, "Xi warned against Taiwanese independence."), "political_sensitivity.contested_territory")
	if got := texts(f); got != "Taiwanese independence,Taiwanese" {
		t.Errorf("spans = %s", got)
	}
}

func TestScopes(t *testing.T) {
	set := mustLoad(t, map[string]string{"x.yaml": `
category: x
rules:
  - {id: x.sent, severity: INFO, message: m, kind: cooccurrence, a: [alpha], b: [beta], examples: {match: [alpha beta]}}
  - {id: x.para, severity: INFO, message: m, kind: cooccurrence, scope: paragraph, a: [gamma], b: [delta], examples: {match: [gamma delta]}}
  - {id: x.field, severity: INFO, message: m, kind: cooccurrence, scope: field, a: [epsilon], b: [zeta], examples: {match: [epsilon zeta]}}
  - {id: x.art, severity: INFO, message: m, kind: cooccurrence, scope: article, a: [eta], b: [theta], examples: {match: [eta theta]}}
`})
	fields := []Field{
		{"headline", "headline", "Alpha. Beta. Gamma. Delta. Epsilon. Theta."},
		{"body", "body", "Eta.\n\nZeta."},
	}
	var got []string
	for _, f := range set.Scan(fields) {
		got = append(got, f.Rule.ID+":"+texts(f))
	}
	if strings.Join(got, " ") != "x.para:Gamma,Delta x.art:Theta,Eta" {
		t.Errorf("findings = %v", got)
	}
}

func TestOccurrence(t *testing.T) {
	s := defaultSet(t)
	const id = "unverified_claim.anonymous_heavy"
	two := "Sources said the deal was close. People familiar with the talks agreed."
	if s.Fires(id, two) {
		t.Error("two anonymous attributions are allowed")
	}
	fs := s.Scan([]Field{{"dek", "dek", "Insiders said it was over."}, {"body", "body", two}})
	if f := only(t, fs, id); len(f.Spans) != 3 || f.Spans[0].Field != "dek" {
		t.Errorf("article-wide count: %+v", f.Spans)
	}
}

func TestConditional(t *testing.T) {
	s := defaultSet(t)
	const id = "suicide_self_harm.no_support"
	story := "The inquest heard that he had taken his own life."
	f := only(t, scanBody(s, story), id)
	if texts(f) != "taken his own life" {
		t.Errorf("spans = %s", texts(f))
	}
	// Support information anywhere in the article, in any field.
	fs := s.Scan([]Field{{"body", "body", story}, {"kicker", "kicker", "Samaritans can be reached on 116 123."}})
	none(t, fs, id)
	if !s.Fires("legal_risk.unattributed_allegation", "The mayor was accused of fraud.") ||
		s.Fires("legal_risk.unattributed_allegation", "The mayor was accused of fraud, prosecutors said.") {
		t.Error("sentence-scope conditional")
	}
}

func TestPatternWithPrefilterWindowAndUnless(t *testing.T) {
	s := defaultSet(t)
	f := only(t, scanBody(s, "Neighbours said they had called her mobile, 07700 900123, all night."), "private_individual.phone_number")
	if texts(f) != "07700 900123" {
		t.Errorf("spans = %s", texts(f))
	}
	for _, text := range []string{
		"Samaritans can be reached on 116 123 or by phone.",
		"Call Crimestoppers on 0800 555 111.",
		"The 07700 900123 result was announced.", // no prefilter word
	} {
		none(t, scanBody(s, text), "private_individual.phone_number")
	}
	f = only(t, scanBody(s, "The e-mails came from jane.doe@example.com, records show."), "private_individual.email_address")
	if texts(f) != "jane.doe@example.com" {
		t.Errorf("spans = %s", texts(f))
	}
	// The age anchors the window; the sentence must speak of harm.
	f = only(t, scanBody(s, "Police said Jake Thornton, 14, was stabbed outside a shop."), "minors.named_child")
	if texts(f) != "Jake Thornton, 14," {
		t.Errorf("spans = %s", texts(f))
	}
	none(t, scanBody(s, "Jake Thornton, 14, won the county spelling competition."), "minors.named_child")
	r := s.Rule("private_individual.phone_number")
	if r.need.digits != 7 || r.re == nil {
		t.Errorf("phone need = %+v", r.need)
	}
	if e := s.Rule("private_individual.email_address").need; !slices.Contains(e.bytes, '@') || !slices.Contains(e.bytes, '.') {
		t.Errorf("email need = %+v", e)
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
			if !slices.Contains(forms, f) {
				t.Errorf("%s: %v lacks %s", w, forms, f)
			}
		}
	}
	if slices.Contains(inflections("war"), "wares") {
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
    terms: [dispute, legal dispute]
    examples:
      match: [They disputed it., Disputes grew., A disputing party., Legal disputes multiplied.]
      no_match: [Indisputable facts.]
`})
	if set.Rule("x.claim") == nil {
		t.Fatal("rule missing")
	}
}

func TestQuotesAndLinksAreSkipped(t *testing.T) {
	s := defaultSet(t)
	const il = "inclusive_language.illegal_immigrant"
	for _, text := range []string{
		`He said: "Illegal immigrants are welcome to apply."`,
		`He said: “Illegal immigrants are welcome to apply.”`,
		`Il a dit : « illegal immigrants » hier.`,
	} {
		if s.Fires(il, text) {
			t.Errorf("a direct quote was flagged: %s", text)
		}
	}
	if !s.Fires(il, `"We disagree," she said of the plan to deport illegal immigrants.`) {
		t.Error("copy after a closed quote was not flagged")
	}
	if !s.Fires(il, "A stray \" mark.\n\nThe illegal immigrants left.") {
		t.Error("an unclosed quote hid the next paragraph")
	}
	if !s.Fires("unverified_claim.hedge", `"He reportedly left," she said.`) {
		t.Error("quote skipping leaked into another rule")
	}
	for _, text := range []string{
		"See https://example.com/putin-war for more.",
		"[Read more](https://example.com/putin-orders-invasion) here.",
		"[Read more](/news/putin-orders-invasion) here.",
	} {
		if s.Fires("political_sensitivity.leader_conflict", text) {
			t.Errorf("words of a URL were matched: %s", text)
		}
	}
	if !s.Fires("political_sensitivity.leader_conflict", "[Putin orders invasion](https://example.com/x)") {
		t.Error("a link's text is copy and must be scanned")
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
	if len(fs) != 1 || fs[0].Field != "headline" || len(fs[0].Spans) != 1 {
		t.Fatalf("findings = %+v", fs)
	}
}

func TestNote(t *testing.T) {
	s := defaultSet(t)
	if n := s.Note(scanBody(s, "The chairman met farmers. Mankind rejoiced.")); n != nil {
		t.Errorf("INFO-only findings proposed a note: %+v", n)
	}
	n := s.Note(scanBody(s, "Putin and Zelensky discussed a ceasefire in Ukraine. The talks reportedly stalled over sanctions on Putin."))
	if n == nil || n.Title != "Political sensitivity around Ukraine" {
		t.Fatalf("note = %+v", n)
	}
	for _, w := range []string{"ceasefire and sanctions", "Vladimir Putin and Volodymyr Zelensky", "could not be independently verified"} {
		if !strings.Contains(n.Text, w) {
			t.Errorf("note text %q lacks %q", n.Text, w)
		}
	}
	// No region named: the title falls back to what the conflict terms say.
	if n := s.Note(scanBody(s, "Trump threatened new sanctions.")); n == nil || n.Title != "Political sensitivity around sanctions" {
		t.Errorf("fallback note = %+v", n)
	}
	// The highest priority names the note: suicide over graphic violence.
	n = s.Note(scanBody(s, "He was beaten to death. His brother later took his own life."))
	if n == nil || n.Title != "Support is available" || !strings.Contains(n.Text, "116 123") || !strings.Contains(n.Text, "distressing") {
		t.Errorf("combined note = %+v", n)
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

// A refused pack names the file, the line and the reason of each problem.
func TestLoadRefusesBrokenPacksWithFileLineAndReason(t *testing.T) {
	rule := func(body string) string {
		return "category: x\nrules:\n  - id: x.r\n    message: m\n" + body
	}
	cases := []struct {
		name  string
		files map[string]string
		want  string // a substring of the first problem
	}{
		{"no packs", map[string]string{"readme.txt": "hi"}, ".: no *.yaml rule packs found"},
		{"syntax", map[string]string{"x.yaml": "category: x\nrules: [\n  - a: b"}, "x.yaml:2:"},
		{"bad severity", map[string]string{"x.yaml": rule("    severity: LOUD\n    kind: existence\n    terms: [a]\n    examples: {match: [a]}\n")}, `x.yaml:5: rule x.r: unknown severity "LOUD"`},
		{"unknown kind", map[string]string{"x.yaml": rule("    severity: INFO\n    kind: regex\n    terms: [a]\n    examples: {match: [a]}\n")}, `x.yaml:6: rule x.r: unknown kind "regex"`},
		{"unknown field", map[string]string{"x.yaml": rule("    severity: INFO\n    kind: existence\n    fields: [byline]\n    terms: [a]\n    examples: {match: [a]}\n")}, `x.yaml:7: rule x.r: unknown field "byline"`},
		{"typo in key", map[string]string{"x.yaml": rule("    severity: INFO\n    kind: existence\n    term: [a]\n    examples: {match: [a]}\n")}, `x.yaml:7: rule x.r: unknown key "term"`},
		{"key of another kind", map[string]string{"x.yaml": rule("    severity: INFO\n    kind: existence\n    terms: [a]\n    replace: {a: b}\n    examples: {match: [a]}\n")}, `x.yaml:8: rule x.r: replace means nothing to a existence rule`},
		{"repeated key", map[string]string{"x.yaml": rule("    severity: INFO\n    severity: INFO\n    kind: existence\n    terms: [a]\n    examples: {match: [a]}\n")}, `x.yaml:6: rule x.r: key "severity" repeats the one on line 5`},
		{"no examples", map[string]string{"x.yaml": rule("    severity: INFO\n    kind: existence\n    terms: [a]\n")}, "rule x.r: at least one examples.match"},
		{"punctuation in a term", map[string]string{"x.yaml": rule("    severity: INFO\n    kind: existence\n    terms: [U.S.]\n    examples: {match: [a]}\n")}, `x.yaml:7: rule x.r: term "U.S."`},
		{"missing data", map[string]string{"x.yaml": rule("    severity: INFO\n    kind: cooccurrence\n    a: ['@nobody']\n    b: [war]\n    examples: {match: [a war]}\n")}, `x.yaml:7: rule x.r: no data file data/nobody.txt`},
		{"bad term in a data file", map[string]string{"data/who.txt": "# leaders\nAlice\nB@b\n", "x.yaml": rule("    severity: INFO\n    kind: cooccurrence\n    a: ['@who']\n    b: [war]\n    examples: {match: [Alice war]}\n")}, `data/who.txt:3: rule x.r: term "B@b"`},
		{"bad pattern", map[string]string{"x.yaml": rule("    severity: INFO\n    kind: pattern\n    pattern: 'a(b'\n    prefilter: [a]\n    examples: {match: [ab]}\n")}, `x.yaml:7: rule x.r: pattern does not compile`},
		{"pattern without prefilter", map[string]string{"x.yaml": rule("    severity: INFO\n    kind: pattern\n    pattern: 'ab+'\n    examples: {match: [ab]}\n")}, `rule x.r: a pattern rule needs a prefilter`},
		{"occurrence without max", map[string]string{"x.yaml": rule("    severity: INFO\n    kind: occurrence\n    terms: [a]\n    examples: {match: [a a a]}\n")}, `rule x.r: an occurrence rule needs max`},
		{"failing match", map[string]string{"x.yaml": rule("    severity: INFO\n    kind: existence\n    terms: [alpha]\n    examples:\n      match:\n        - beta\n")}, `x.yaml:10: rule x.r: does not flag its example "beta"`},
		{"failing no_match", map[string]string{"x.yaml": rule("    severity: INFO\n    kind: existence\n    terms: [alpha]\n    examples:\n      match: [alpha]\n      no_match:\n        - Alpha male\n")}, `x.yaml:11: rule x.r: flags its no_match example "Alpha male"`},
		{"duplicate id", map[string]string{"x.yaml": rule("    severity: INFO\n    kind: existence\n    terms: [a]\n    examples: {match: [a]}\n"),
			"y.yaml": rule("    severity: INFO\n    kind: existence\n    terms: [a]\n    examples: {match: [a]}\n")}, "y.yaml:3: rule x.r: duplicate rule id (first defined in x.yaml:3)"},
		{"not a mapping", map[string]string{"x.yaml": "- just\n- a list\n"}, "x.yaml:1: want a mapping"},
		{"empty", map[string]string{"x.yaml": ""}, "x.yaml: the pack is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(fsOf(c.files))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("err = %T %v, want a *LoadError", err, err)
			}
			if got := le.Problems[0].String(); !strings.Contains(got, c.want) {
				t.Errorf("problem = %q, want it to contain %q", got, c.want)
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
note: {title: "Rivalry: {context}", fallback_title: Rivalry, text: "About {a} and {b}.", priority: 1, context: [Fenway|Fenway Park]}
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
	if n := s.Note(fs); n == nil || n.Text != "About Yankees and Red Sox and brawl." || n.Title != "Rivalry" {
		t.Errorf("note = %+v", n)
	}
	if n := s.Note(scanBody(s, "At Fenway Park, Yankees fans and Red Sox fans brawls.")); n == nil || n.Title != "Rivalry: Fenway" {
		t.Errorf("note with context = %+v", n)
	}
	d1 := s.Digest()
	write("data/rivals.txt", "# teams\nRed Sox|Sox\nYankees\nMets\n")
	s2, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Digest() == d1 {
		t.Error("a changed data file must change the digest")
	}
	if _, err := LoadDir(filepath.Join(dir, "nope")); err == nil {
		t.Error("a missing folder was accepted")
	}
}

// The examples of a pack can be fixed without hunting: every problem is
// reported, not just the first.
func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load(fsOf(map[string]string{"x.yaml": `
category: x
rules:
  - {id: x.a, severity: LOUD, kind: existence, message: m, terms: [a], examples: {match: [a]}}
  - {id: x.b, severity: INFO, kind: nope, message: m, terms: [a], examples: {match: [a]}}
`}))
	var le *LoadError
	if !errors.As(err, &le) || len(le.Problems) != 2 || le.Problems[0].Line != 4 || le.Problems[1].Line != 5 {
		t.Fatalf("err = %v", err)
	}
}
