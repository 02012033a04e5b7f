package rules

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// finderPatterns are the shipped pattern rules' expressions and some that
// test the edges: assertions that look at the byte before a match or after
// it, case folding beyond ASCII (K is also the Kelvin sign), multi-byte
// first characters, classes of everything but a few bytes, and
// expressions that can match the empty string (which take regexp's own
// search).
func finderPatterns(tb testing.TB) []string {
	s, err := Default()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, r := range s.Rules() {
		if r.Kind == Pattern {
			out = append(out, r.Pattern)
		}
	}
	if len(out) == 0 {
		tb.Fatal("no pattern rules in the shipped packs")
	}
	return append(out,
		`\bfoo`, `foo\b`, `\Bar`, `^foo`, `(?m)^foo`, `foo$`, `(?m)foo$`, `\Afoo|bar\z`,
		`(?i)k\w+`, `(?i)straße`, `é\w*`, `\p{Lu}\p{Ll}+`, `[^a]b`, `.x`, `(?s).x`,
		`a|ab`, `(?:ab)+?`, `x*y`, `\d+|x\b`, `[\p{L}'’]+s\b`, `\bx*`, `(?:)`, `$`,
	)
}

// finderTexts mixes words, digits and punctuation the patterns care about,
// with multi-byte characters and the odd invalid byte.
func finderTexts(n int) []string {
	tokens := []string{
		"victim", "Victim", "named as", "Jane", "Smith", "woman", "man", "boy", "girl", "school",
		"14", "555-0134", "+44", "(020)", "7946 0958", "07700 900123", "1,200", "Street", "Elm Grove",
		"tips@example.com", "f***", "a*b", "his wife", "Karen", "who", "was", "foo", "bar", "ab", "x", "y",
		"K", "\u212a", "ſ", "É", "é", "Ünal", "straße", "’s", "'s", " ", " ", " ", ", ", ". ", "\n", "\n\n",
		"-", "(", ")", "\xff", "\xe2\x80", "0", "9",
	}
	rng := rand.New(rand.NewPCG(3, 4))
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for k := rng.IntN(40); k >= 0; k-- {
			b.WriteString(tokens[rng.IntN(len(tokens))])
		}
		out[i] = b.String()
	}
	return out
}

func finderMatches(f *finder, text string) [][]int {
	var out [][]int
	for s, e := range f.all(text) {
		out = append(out, []int{s, e})
	}
	return out
}

// TestFinderAgreesWithRegexp checks that finder finds exactly what
// regexp's FindAllStringIndex finds, over the evaluation passages, the
// rules' own examples and generated text, whole and from a few bytes in.
func TestFinderAgreesWithRegexp(t *testing.T) {
	texts := finderTexts(1000)
	for _, a := range benchArticles(t, 4) {
		body := a[1].Text
		for i := 0; i+400 <= len(body); i += 333 {
			texts = append(texts, body[i:i+400])
		}
	}
	s, _ := Default()
	for _, r := range s.Rules() {
		texts = append(texts, r.Examples.Match...)
		texts = append(texts, r.Examples.NoMatch...)
	}
	for _, p := range finderPatterns(t) {
		re := regexp.MustCompile(p)
		f := newFinder(re)
		// A finder out of budget after its first try: regexp's search
		// takes over, whatever the position.
		broke := newFinder(re)
		broke.budget = 0
		matched := 0
		for _, text := range texts {
			for _, from := range []int{0, 1, 3} {
				if from > len(text) {
					break
				}
				in := text[from:]
				want := re.FindAllStringIndex(in, -1)
				if got := finderMatches(f, in); !slices.EqualFunc(got, want, slices.Equal) {
					t.Fatalf("pattern %s on %q: got %v, want %v", p, in, got, want)
				}
				if got := finderMatches(broke, in); !slices.EqualFunc(got, want, slices.Equal) {
					t.Fatalf("pattern %s on %q out of budget: got %v, want %v", p, in, got, want)
				}
				matched += len(want)
			}
		}
		if matched == 0 {
			t.Errorf("pattern %s matched nothing: the comparison proves little", p)
		}
	}
}

// TestFinderTakesTheFastPath checks which expressions finder can run
// itself: every shipped one, none that can match the empty string.
func TestFinderTakesTheFastPath(t *testing.T) {
	s, _ := Default()
	for _, r := range s.Rules() {
		if r.Kind == Pattern && !r.find.exact {
			t.Errorf("%s: finder falls back to regexp's search", r.ID)
		}
	}
	for _, p := range []string{`\bx*`, `(?:)`, `$`, `a?`} {
		if newFinder(regexp.MustCompile(p)).exact {
			t.Errorf("%s can match empty text, but finder would run it", p)
		}
	}
	f := newFinder(regexp.MustCompile(`\b\d{3}-\d{4}\b`))
	if f.first['5'] != firstPair || f.first['a'] != firstNo || !f.stop['a'] || f.stop['-'] {
		t.Errorf("tables for a phone number: first[5]=%d first[a]=%d stop[a]=%v stop[-]=%v", f.first['5'], f.first['a'], f.stop['a'], f.stop['-'])
	}
}

// FuzzFinder compares finder with regexp on arbitrary text, for each of
// the patterns above.
func FuzzFinder(f *testing.F) {
	for _, t := range finderTexts(20) {
		f.Add(t, uint8(0))
	}
	f.Add("Call 555-0134, he said.", uint8(5))
	patterns := finderPatterns(f)
	finders := make([]*finder, len(patterns))
	for i, p := range patterns {
		finders[i] = newFinder(regexp.MustCompile(p))
	}
	f.Fuzz(func(t *testing.T, text string, which uint8) {
		fd := finders[int(which)%len(finders)]
		want := fd.re.FindAllStringIndex(text, -1)
		if got := finderMatches(fd, text); !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("pattern %s on %q: got %v, want %v", fd.re, text, got, want)
		}
		broke := *fd
		broke.budget = 0
		if got := finderMatches(&broke, text); !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("pattern %s on %q out of budget: got %v, want %v", fd.re, text, got, want)
		}
	})
}
