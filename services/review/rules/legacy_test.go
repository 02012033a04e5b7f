package rules

// The word-trie matcher this package used before the automaton, kept as a
// benchmark baseline: tokenize every word of the text, then walk a
// map-based trie of terms from each token.

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a field's text. Offsets are half-open, in bytes and
// in runes.
type legacyToken struct {
	start, end   int
	rstart, rend int
	norm         string
	// join: only spaces or hyphens separate it from the previous token, so
	// a phrase may continue across the gap.
	join bool
	// sent is the index of the sentence holding the token.
	sent int
}

// urlRanges returns the byte ranges of markdown link targets "](…)" and
// bare http(s) URLs: their words (slugs such as /putin-orders-invasion) are
// not copy and are never matched. A plain scan, not a regexp: it runs over
// every byte of every article.
func legacyURLRanges(text string) [][2]int {
	var out [][2]int
	for i := 0; i < len(text); {
		j := strings.IndexAny(text[i:], "]h")
		if j < 0 {
			break
		}
		i += j
		end := -1
		switch {
		case strings.HasPrefix(text[i:], "]("):
			if k := strings.IndexAny(text[i+2:], ") \t\n"); k >= 0 && text[i+2+k] == ')' {
				end = i + 2 + k + 1
			}
		case strings.HasPrefix(text[i:], "http://") || strings.HasPrefix(text[i:], "https://"):
			if i > 0 && legacyIsWordByte(text[i-1]) {
				break
			}
			k := strings.IndexAny(text[i:], " \t\n)]>\"")
			if k < 0 {
				k = len(text) - i
			}
			end = i + k
		}
		if end < 0 {
			i++
			continue
		}
		out = append(out, [2]int{i, end})
		i = end
	}
	return out
}

func legacyIsWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= utf8.RuneSelf
}

// abbrevs end with a period that does not end a sentence ("Mr. Putin").
var legacyAbbrevs = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "gen": true, "sen": true,
	"rep": true, "gov": true, "lt": true, "col": true, "sgt": true, "capt": true, "cmdr": true,
	"adm": true, "maj": true, "st": true, "jr": true, "sr": true, "rev": true, "hon": true,
	"pres": true, "vs": true, "no": true, "inc": true, "corp": true, "co": true, "ltd": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "aug": true, "sept": true, "sep": true,
	"oct": true, "nov": true, "dec": true, "approx": true, "est": true, "dept": true,
}

// tokenize splits text into words. A word is a run of letters, digits and
// combining marks, with apostrophes inside it ("hasn't"); a trailing
// possessive "'s" is left out, so "Putin's" is the word "putin". Hyphens
// separate words but let a phrase continue ("wheelchair-bound" is the
// phrase "wheelchair bound").
func legacyTokenize(text string) []legacyToken {
	masked := legacyURLRanges(text)
	toks := make([]legacyToken, 0, len(text)/6+1)
	sent := 0
	skipped := false // a URL lies between the previous word and the next
	i, r := 0, 0     // byte and rune position
	for i < len(text) {
		if len(masked) > 0 && i >= masked[0][0] {
			end := masked[0][1]
			r += utf8.RuneCountInString(text[i:end])
			i = end
			masked = masked[1:]
			skipped = true
			continue
		}
		c, n := utf8.DecodeRuneInString(text[i:])
		if !legacyIsWord(c) {
			i += n
			r++
			continue
		}
		t := legacyToken{start: i, rstart: r}
		for i < len(text) {
			c, n := utf8.DecodeRuneInString(text[i:])
			if legacyIsWord(c) {
				i += n
				r++
				continue
			}
			if legacyIsApostrophe(c) && i+n < len(text) {
				next, _ := utf8.DecodeRuneInString(text[i+n:])
				if unicode.IsLetter(next) && !legacyPossessive(text[i+n:]) {
					i += n
					r++
					continue
				}
			}
			break
		}
		t.end, t.rend = i, r
		if c, n := utf8.DecodeRuneInString(text[i:]); legacyIsApostrophe(c) && legacyPossessive(text[i+n:]) {
			i += n + 1 // skip the possessive "'s": it is neither word nor gap
			r += 2
		}
		t.norm = legacyNormWord(text[t.start:t.end])
		if len(toks) > 0 {
			prev := toks[len(toks)-1]
			gap := text[prev.end:t.start]
			if legacyBoundary(gap, prev.norm) {
				sent++
			} else {
				t.join = !skipped && legacyJoinable(gap)
			}
		}
		t.sent = sent
		toks = append(toks, t)
		skipped = false
	}
	return toks
}

func legacyIsWord(c rune) bool {
	return unicode.IsLetter(c) || unicode.IsDigit(c) || unicode.Is(unicode.Mn, c)
}

func legacyIsApostrophe(c rune) bool { return c == '\'' || c == '’' || c == 'ʼ' }

// possessive reports whether s (what follows an apostrophe) is the "s" of
// a possessive: an s that ends the word.
func legacyPossessive(s string) bool {
	if s == "" || (s[0] != 's' && s[0] != 'S') {
		return false
	}
	if len(s) == 1 {
		return true
	}
	next, _ := utf8.DecodeRuneInString(s[1:])
	return !legacyIsWord(next)
}

// normWord is the matching form of a word: lower case, with typographic
// apostrophes made straight.
func legacyNormWord(w string) string {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(w)
	}
	return strings.Map(func(c rune) rune {
		if legacyIsApostrophe(c) {
			return '\''
		}
		return unicode.ToLower(c)
	}, w)
}

// boundary reports whether the gap between two words ends a sentence: a
// blank line, a line starting a markdown block (list item, heading, quote),
// or . ! ? … followed by a space, unless the word before is an
// abbreviation or an initial.
func legacyBoundary(gap, prev string) bool {
	for j := 0; j < len(gap); j++ {
		switch gap[j] {
		case '\n':
			rest := strings.TrimLeft(gap[j+1:], " \t")
			if rest != "" && (rest[0] == '\n' || strings.ContainsAny(rest[:1], "#-*+>|") || legacyListNumber(rest)) {
				return true
			}
		case '.', '!', '?':
			if j+1 < len(gap) && strings.ContainsAny(gap[j+1:], " \t\n\u00a0") {
				if gap[j] == '.' && j == 0 && (legacyAbbrevs[prev] || utf8.RuneCountInString(prev) == 1) {
					continue
				}
				return true
			}
		}
	}
	return strings.Contains(gap, "…")
}

// joinable reports whether a phrase may span the gap: only whitespace
// and hyphens (boundary has already ruled out a blank line).
func legacyJoinable(gap string) bool {
	if gap == "" {
		return false
	}
	for _, c := range gap {
		switch c {
		case ' ', '\t', '\n', '\u00a0', '-', '‐', '‑':
		default:
			return false
		}
	}
	return true
}

// listNumber reports whether s starts an ordered-list item ("1. ", "2) ").
func legacyListNumber(s string) bool {
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return j > 0 && j < len(s) && (s[j] == '.' || s[j] == ')')
}

type legacyNode struct {
	kids map[string]*legacyNode
	end  bool
}

type legacyMatcher struct{ root *legacyNode }

// legacyTrie builds the old word trie from the automaton's terms (words
// joined by single spaces).
func legacyTrie(terms []string) *legacyMatcher {
	m := &legacyMatcher{root: &legacyNode{}}
	for _, t := range terms {
		n := m.root
		for _, w := range strings.Split(t, " ") {
			next := n.kids[w]
			if next == nil {
				if n.kids == nil {
					n.kids = map[string]*legacyNode{}
				}
				next = &legacyNode{}
				n.kids[w] = next
			}
			n = next
		}
		n.end = true
	}
	return m
}

// match returns the token ranges [i, j) of every term in text, as the old
// scanField did before evaluating rules.
func (m *legacyMatcher) match(text string) [][2]int {
	toks := legacyTokenize(text)
	var out [][2]int
	for i := range toks {
		n := m.root
		for j := i; j < len(toks); j++ {
			if j > i && !toks[j].join {
				break
			}
			if n = n.kids[toks[j].norm]; n == nil {
				break
			}
			if n.end {
				out = append(out, [2]int{i, j + 1})
			}
		}
	}
	return out
}

// legacyRegexp is every term in one case-insensitive alternation with word
// boundaries, the plain regular expression approach.
func legacyRegexp(terms []string) *regexp.Regexp {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = strings.ReplaceAll(regexp.QuoteMeta(t), " ", `[\s\-]+`)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(parts)))
	return regexp.MustCompile(`(?i)\b(?:` + strings.Join(parts, "|") + `)\b`)
}
