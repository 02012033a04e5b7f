package rules

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// naiveHits finds every term of s in t the slow, obvious way: fold the
// text into its matching form (lower-case ASCII, one gap for any run of
// spaces and hyphens, straight apostrophes, a break for anything else and
// for a paragraph break), look each term up with strings.Index, and keep
// the occurrences at word boundaries. It ignores URLs: callers keep them
// out of the text.
func naiveHits(s *Set, t string) []hit {
	var norm []byte
	var starts, ends []int
	emit := func(b byte, start, end int) {
		norm = append(norm, b)
		starts = append(starts, start)
		ends = append(ends, end)
	}
	gap := true
	for i := 0; i < len(t); {
		r, w := utf8.DecodeRuneInString(t[i:])
		switch {
		case r == '\n' && blockBreak(t, i):
			emit(0, i, i+w)
			gap = true
		case isGapRune(r) && r != '\n' || r == '\n':
			if !gap {
				emit(' ', i, i+w)
			}
			gap = true
		case r == '\'' || r == '’' || r == 'ʼ':
			emit('\'', i, i+w)
			gap = false
		case r < utf8.RuneSelf && asciiWord[r]:
			emit(byte(r)|0x20*byte(b2i(r >= 'A' && r <= 'Z')), i, i+w)
			gap = false
		case r >= utf8.RuneSelf && isWordRune(r) || r == utf8.RuneError && w == 1:
			for k := 0; k < w; k++ {
				emit(t[i+k], i, i+w)
			}
			gap = false
		default:
			emit(0, i, i+w)
			gap = false
		}
		i += w
	}
	text := string(norm)
	var out []hit
	for id, term := range s.terms {
		if id < numURLTerms {
			continue
		}
		for from := 0; ; {
			k := strings.Index(text[from:], term)
			if k < 0 {
				break
			}
			k += from
			start, end := starts[k], ends[k+len(term)-1]
			if leftBoundary(t, start) && rightBoundary(t, end) {
				out = append(out, hit{term: int32(id), start: int32(start), end: int32(end)})
			}
			from = k + 1
		}
	}
	return out
}

func sortHits(h []hit) []hit {
	slices.SortFunc(h, func(a, b hit) int {
		if a.start != b.start {
			return int(a.start - b.start)
		}
		if a.end != b.end {
			return int(a.end - b.end)
		}
		return int(a.term - b.term)
	})
	return slices.Compact(h)
}

// randomCopy builds text from the set's own terms, mangled the ways copy
// mangles them (case, line breaks, hyphens, typographic apostrophes,
// no-break spaces), between ordinary words, numbers and punctuation.
func randomCopy(rng *rand.Rand, s *Set) string {
	fillers := []string{"the", "Zürich", "said", "on", "Monday", "2024", "€5m", "o'clock", "hasn't", "Putin's",
		"—", ",", ".", "!", "?", ";", ":", "(", ")", "“", "”", "«", "»", "…", "\"", "'", "-", "\n", "\n\n", "\n- ", "\n# ", " "}
	var b strings.Builder
	for n := rng.IntN(40); n >= 0; n-- {
		if rng.IntN(3) == 0 {
			term := s.terms[numURLTerms+rng.IntN(len(s.terms)-numURLTerms)]
			var tb strings.Builder
			for _, r := range term {
				switch {
				case r == ' ':
					tb.WriteString([]string{" ", "  ", "\n", "-", "\u00a0", " -- ", "\t", "\r\n"}[rng.IntN(8)])
				case r == '\'':
					tb.WriteString([]string{"'", "’", "ʼ"}[rng.IntN(3)])
				case r < utf8.RuneSelf && rng.IntN(4) == 0:
					tb.WriteString(strings.ToUpper(string(r)))
				default:
					tb.WriteRune(r)
				}
			}
			b.WriteString(tb.String())
		} else {
			b.WriteString(fillers[rng.IntN(len(fillers))])
		}
		if rng.IntN(2) == 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// TestAutomatonMatchesNaiveSearch checks the automaton against naiveHits
// on thousands of generated texts.
func TestAutomatonMatchesNaiveSearch(t *testing.T) {
	s := defaultSet(t)
	rng := rand.New(rand.NewPCG(7, 11))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := 0; i < n; i++ {
		text := randomCopy(rng, s)
		sc := &scratch{}
		s.ac.scan(sc, 0, text)
		got, want := sortHits(sc.hits), sortHits(naiveHits(s, text))
		if !slices.Equal(got, want) {
			show := func(hs []hit) string {
				var out []string
				for _, h := range hs {
					out = append(out, fmt.Sprintf("%q@%d-%d", s.terms[h.term], h.start, h.end))
				}
				return strings.Join(out, " ")
			}
			t.Fatalf("text %q\nautomaton: %s\nnaive:     %s", text, show(got), show(want))
		}
	}
}
