package drafting

import (
	"strings"
	"testing"
)

func TestSlugify(t *testing.T) {
	cases := map[string]string{
		"Hello, World!":                             "hello-world",
		"  Leading and   trailing  ":                "leading-and-trailing",
		"Zürich’s Straße: Œuvre & Ærø":              "zurichs-strasse-oeuvre-and-aero",
		"Crème brûlée — São Paulo / Łódź":           "creme-brulee-sao-paulo-lodz",
		"Don't stop: it's 2026":                     "dont-stop-its-2026",
		"ﬁnance ① ½":                                "finance-1-1-2",
		"新しい市長":                                     "",
		"Ελλάδα":                                    "",
		"Mixed 東京 Tokyo":                            "mixed-tokyo",
		"---":                                       "",
		"CamelCase HTML5 <script>alert(1)</script>": "camelcase-html5-script-alert-1-script",
	}
	for in, want := range cases {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
		if got := Slugify(in); got != "" && !slugRE.MatchString(got) {
			t.Errorf("Slugify(%q) = %q is not a valid slug", in, got)
		}
	}
	long := strings.Repeat("word ", 40)
	got := Slugify(long)
	if len(got) > MaxSlug || strings.HasSuffix(got, "-") || !strings.HasPrefix(got, "word-word") || len(got) < MaxSlug-5 {
		t.Errorf("long slug %q (%d)", got, len(got))
	}
	if got := Slugify(strings.Repeat("a", 150)); got != strings.Repeat("a", MaxSlug) {
		t.Errorf("one long word: %q", got)
	}
}
