package rules

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzScan scans arbitrary text with the shipped packs: no panics, every
// span inside its field and addressing its text, rune offsets that agree
// with the bytes, and valid UTF-8 context for valid UTF-8 text.
func FuzzScan(f *testing.F) {
	for _, seed := range []string{
		"Putin ordered the invasion of Ukraine, officials said. The minister reportedly resigned.",
		"a claim that has not been\nindependently confirmed",
		"In Zürich 🎉, officials reportedly met.",
		"Jake Thornton, 14, was stabbed. Call 07700 900123 or jane@example.com.",
		"“Illegal immigrants,” he said. «chairman» [x](https://e.x/putin-war) https://x.y/war",
		"\xff\xfe reportedly \xe2\x80",
		"hasn\xe2\x80\x99t confirmed",
		"His wife, Karen Doyle, and the suspect's son were arrested at 14 Elm Grove, their home.",
	} {
		f.Add(seed, "Talks reportedly resume")
	}
	s, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body, headline string) {
		fields := []Field{{"headline", "headline", headline}, {"body", "body", body}, {"takeaways[0].quote", "takeaways", body + headline}}
		byName := map[string]string{}
		for _, fl := range fields {
			byName[fl.Name] = fl.Text
		}
		for _, fd := range s.Scan(fields) {
			if len(fd.Spans) == 0 || fd.ID == "" {
				t.Fatalf("empty finding %+v", fd)
			}
			for _, sp := range fd.Spans {
				text, ok := byName[sp.Field]
				if !ok {
					t.Fatalf("span in unknown field %q", sp.Field)
				}
				if sp.Start < 0 || sp.Start >= sp.End || sp.End > len(text) {
					t.Fatalf("span [%d,%d) outside %q (%d bytes)", sp.Start, sp.End, sp.Field, len(text))
				}
				if text[sp.Start:sp.End] != sp.Text {
					t.Fatalf("span text %q != %q", sp.Text, text[sp.Start:sp.End])
				}
				if rs := utf8.RuneCountInString(text[:sp.Start]); sp.RuneStart != rs {
					t.Fatalf("rune start %d, want %d", sp.RuneStart, rs)
				}
				if re := utf8.RuneCountInString(text[:sp.End]); sp.RuneEnd != re {
					t.Fatalf("rune end %d, want %d", sp.RuneEnd, re)
				}
				if utf8.ValidString(text) && (!utf8.ValidString(sp.Before) || !utf8.ValidString(sp.After) || !utf8.ValidString(sp.Text)) {
					t.Fatalf("invalid UTF-8 in span %+v", sp)
				}
				if !strings.HasSuffix(text[:sp.Start], sp.Before) || !strings.HasPrefix(text[sp.End:], sp.After) {
					t.Fatalf("context %q/%q does not surround the span", sp.Before, sp.After)
				}
				if sp.Key == "" {
					t.Fatal("span without a key")
				}
			}
		}
	})
}

// FuzzLoadPack loads an arbitrary pack (with a data file it may refer
// to): Load either refuses it with a *LoadError naming a file, or returns
// a set that scans its own examples without panicking.
func FuzzLoadPack(f *testing.F) {
	seeds := []string{
		"category: x\nrules:\n  - id: x.r\n    severity: INFO\n    kind: existence\n    message: m\n    terms: [alpha]\n    examples: {match: [alpha]}\n",
		"category: x\nrules:\n  - {id: x.c, severity: WARNING, kind: cooccurrence, message: m, a: ['@who'], b: [war|wars], examples: {match: [Alice war]}}\n",
		"category: x\nrules:\n  - {id: x.p, severity: INFO, kind: pattern, message: m, pattern: '\\d{3}-\\d{4}', prefilter: [call, '@'], window: 20, examples: {match: [call 555-0134]}}\n",
		"category: x\nnote: {title: 'T {context}', fallback_title: T, text: '{a} {b} {terms}', context: [Paris]}\nrules:\n  - {id: x.o, severity: INFO, kind: occurrence, max: 1, scope: paragraph, message: m, terms: [a b], examples: {match: [a b a-b]}}\n",
		"category: x\nrules:\n  - {id: x.k, severity: INFO, kind: conditional, message: m, a: [guilty], b: [verdict], scope: article, examples: {match: [guilty]}}\n",
		"category: x\nrules:\n  - {id: x.s, severity: BLOCKER, kind: substitution, message: m, replace: {chairman: chair}, outside_quotes: true, unless: [mao], with: [board], examples: {match: [the board chairman]}}\n",
		"rules: [\n",
		"- a\n- b\n",
		"category: x\nrules:\n  - id: x.r\n    severity: LOUD\n",
		"&a [*a, *a]",
	}
	for _, s := range seeds {
		f.Add(s, "Alice|Al\n# comment\nBob\n")
	}
	f.Fuzz(func(t *testing.T, pack, data string) {
		fsys := fsOf(map[string]string{"x.yaml": pack, "data/who.txt": data})
		set, err := Load(fsys)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %T %v, want a *LoadError", err, err)
			}
			for _, p := range le.Problems {
				if p.File == "" || p.Reason == "" {
					t.Fatalf("problem without file or reason: %+v", p)
				}
			}
			return
		}
		for _, r := range set.Rules() {
			for _, ex := range append(append([]string{}, r.Examples.Match...), r.Examples.NoMatch...) {
				set.Note(set.Scan([]Field{{"body", "body", ex}, {"headline", "headline", ex}}))
			}
		}
	})
}

// FuzzRuneCount checks the rune offsets' counter against the standard
// library's on arbitrary (often invalid) UTF-8.
func FuzzRuneCount(f *testing.F) {
	for _, seed := range []string{"", "plain ASCII text, long enough", "Zürich “quoted” — 🎉 ok", "\xff\xfe ab\xe2\x80 cdefghij\xc2", "abcdefg\xe2\x80\x99sthe rest"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := runeCount(s), utf8.RuneCountInString(s); got != want {
			t.Fatalf("runeCount(%q) = %d, want %d", s, got, want)
		}
	})
}

// FuzzNormKeyHash checks that a span key's hash of a passage is the hash
// of its normalized form, as keys were first defined.
func FuzzNormKeyHash(f *testing.F) {
	for _, seed := range []string{"", "Putin's war, he said.", "a 'b  c-d", "ERDOĞAN’s ʼx", "\xff\xfe ab\xe2\x80 c", "  lead and trail  "} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hashNormKey(fnvOffset, s), fnvBytes(fnvOffset, appendNormKey(nil, s)); got != want {
			t.Fatalf("hashNormKey(%q) = %x, want %x (form %q)", s, got, want, appendNormKey(nil, s))
		}
	})
}
