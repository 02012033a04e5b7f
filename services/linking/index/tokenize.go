package index

import (
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// word is one run of letters and digits in a field, with what entity
// extraction and term counting need to know about it, worked out once
// as the field is split (they ask for each word several times).
type word struct {
	text string // as written; an abbreviation keeps its dots ("U.S")
	term string // lower case, dots removed
	hash uint64 // hashString(term)
	// sentStart: first word of the field, of a line, or after . ! ? or :
	sentStart bool
	// joined: only spaces separate it from the previous word, so the two
	// may belong to one name ("New York", not "York, New").
	joined  bool
	stop    bool // a function word (stopWords): it ends a name
	skip    bool // any stop word: no term of the index
	capital bool // capitalised(text)
	upper   bool // upperText(text): no lower-case letter
	digits  bool // allDigits(term)
	// lx caches lex(): zero until first asked (kinds has lexKnown set
	// after). It fits in the struct's padding.
	lx lexEntry
}

// derive fills in what follows from text and term.
func (w *word) derive() {
	w.hash = hashString(w.term)
	w.stop, w.skip = stopOf(w.term, w.hash)
	w.capital = capitalised(w.text)
	w.upper = upperText(w.text)
	w.digits = allDigits(w.term)
}

// splitWords appends the words of s to out. Text in ASCII, nearly all of
// it, takes a byte-at-a-time path that allocates at most one lower-case
// copy of the field; any other goes through splitWordsGeneric, which
// splits the same way.
func splitWords(s string, out []word) []word { return splitWordsIn(s, out, nil) }

// splitWordsIn is splitWords taking the lower-case copies of words with
// capitals from sl (a bulk load's slab), if not nil.
func splitWordsIn(s string, out []word, sl *slab) []word {
	if ws, ok := splitASCII(s, out, sl); ok {
		return ws
	}
	return splitWordsGeneric(s, out)
}

// Classes of ASCII bytes, for splitASCII.
const (
	cLetter = 1 << iota
	cDigit
	cUpper
	cLower
	cSpace // ' ', '\t' and '-': a name may run on over them
	cSent  // '.', '!', '?', ':', '\n', '\r': a sentence ends
	cWord  = cLetter | cDigit
)

var asciiClass, asciiLowerTab = func() (c [256]uint8, l [256]byte) {
	for i := range 256 {
		b := byte(i)
		l[i] = lowerByte(b)
		switch {
		case b >= 'a' && b <= 'z':
			c[i] = cLetter | cLower
		case b >= 'A' && b <= 'Z':
			c[i] = cLetter | cUpper
		case b >= '0' && b <= '9':
			c[i] = cDigit
		case b == ' ' || b == '\t' || b == '-':
			c[i] = cSpace
		case b == '.' || b == '!' || b == '?' || b == ':' || b == '\n' || b == '\r':
			c[i] = cSent
		}
	}
	return c, l
}()

// splitASCII is splitWords for a string in ASCII: it classifies bytes by
// table, lower-cases and hashes each word as it reads it, and copies only
// words with capitals (into sl, if not nil, else into one buffer for the
// field). It returns false, having appended nothing, at the first byte
// that is not ASCII.
func splitASCII(s string, out []word, sl *slab) ([]word, bool) {
	base := len(out)
	var low []byte // lower-case copies, appended to only: terms point into it
	sent, joined := true, false
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			return out[:base], false
		}
		k := asciiClass[c]
		if k&cWord == 0 {
			if k&cSent != 0 {
				sent, joined = true, false
			} else if k&cSpace == 0 {
				joined = false
			}
			i++
			continue
		}
		start := i
		h, all := uint64(fnvOffset), uint8(0)
		for ; i < len(s); i++ {
			c := s[i]
			k := asciiClass[c]
			if k&cWord == 0 {
				break
			}
			all |= k
			h = (h ^ uint64(asciiLowerTab[c])) * fnvPrime
		}
		w := word{sentStart: sent, joined: joined && !sent, text: s[start:i]}
		if i-start == 1 && all&cLetter != 0 && abbrevDot(s, i) {
			w.text, w.term, i = abbreviation(s, start, i)
			w.derive()
		} else {
			if all&cUpper != 0 && sl != nil {
				b := sl.byteSlice(i - start)
				for j := range b {
					b[j] = asciiLowerTab[s[start+j]]
				}
				w.term = unsafe.String(&b[0], len(b))
			} else if all&cUpper != 0 {
				if low == nil {
					low = make([]byte, 0, len(s)-start)
				}
				off := len(low)
				for j := start; j < i; j++ {
					low = append(low, asciiLowerTab[s[j]])
				}
				w.term = unsafe.String(&low[off], i-start)
			} else {
				w.term = w.text
			}
			w.hash = mix(h)
			w.stop, w.skip = stopOf(w.term, w.hash)
			w.capital = asciiClass[s[start]]&cUpper != 0
			w.upper = all&cLower == 0
			w.digits = all&cLetter == 0
		}
		out = append(out, w)
		sent, joined = false, true
	}
	return out, true
}

// splitWordsGeneric is splitWords for any text.
func splitWordsGeneric(s string, out []word) []word {
	lower, aligned := s, isASCII(s)
	if aligned {
		lower = asciiLower(s)
	}
	sent, joined := true, false
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if !isWordRune(r) {
			switch r {
			case ' ', '\t', '-':
			case '.', '!', '?', ':', '\n', '\r':
				sent, joined = true, false
			default:
				joined = false
			}
			i += size
			continue
		}
		start := i
		for i < len(s) {
			r, size := rune(s[i]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(s[i:])
			}
			if !isWordRune(r) {
				break
			}
			i += size
		}
		w := word{sentStart: sent, joined: joined && !sent}
		// A single letter, a dot and another single letter starts an
		// abbreviation: U.S., U.K., E.U.
		if i-start == 1 && isASCIILetter(s[start]) && abbrevDot(s, i) {
			w.text, w.term, i = abbreviation(s, start, i)
		} else {
			w.text = s[start:i]
			if aligned {
				w.term = lower[start:i]
			} else {
				w.term = strings.ToLower(w.text)
			}
		}
		w.derive()
		out = append(out, w)
		sent, joined = false, true
	}
	return out
}

// abbrevDot reports whether s[i:] is ".X" with X a single letter (not
// followed by another letter or digit).
// abbreviation reads the abbreviation whose first letter is s[start:i]
// (abbrevDot(s, i) holds): its text, its term (the letters, lower-case)
// and where the text after it starts, past its own final dot, which ends
// no sentence.
func abbreviation(s string, start, i int) (text, term string, next int) {
	var b strings.Builder
	b.WriteByte(lowerByte(s[start]))
	for abbrevDot(s, i) {
		b.WriteByte(lowerByte(s[i+1]))
		i += 2
	}
	text = s[start:i]
	if i < len(s) && s[i] == '.' {
		i++
	}
	return text, b.String(), i
}

func abbrevDot(s string, i int) bool {
	return i+1 < len(s) && s[i] == '.' && isASCIILetter(s[i+1]) && (i+2 == len(s) || !isWordByte(s[i+2]))
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isWordByte(byte(r))
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= utf8.RuneSelf
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiLower lower-cases an ASCII string, allocating only if it must.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		b[i] = lowerByte(b[i])
	}
	return string(b)
}

// Tokens splits s into the index's terms: lower-case runs of Unicode
// letters and digits, stop words (English function words and the words
// too common in news to say what a story is about) dropped,
// abbreviations joined ("U.S." → "us"). The index may stem them further
// (Config.Stem).
func Tokens(s string) []string {
	var out []string
	for _, w := range splitWords(s, nil) {
		if !w.skip {
			out = append(out, w.term)
		}
	}
	return out
}

// stem is Harman's "S" stemmer: it folds English plurals onto the
// singular ("budgets" → "budget", "cities" → "city") and leaves every
// other word alone, which is as far as stemming can go without merging
// words of different meaning.
func stem(t string) string {
	n := len(t)
	if n < 4 || t[n-1] != 's' {
		return t
	}
	switch {
	case strings.HasSuffix(t, "ies") && !strings.HasSuffix(t, "eies") && !strings.HasSuffix(t, "aies"):
		return t[:n-3] + "y"
	case strings.HasSuffix(t, "es") && !strings.HasSuffix(t, "aes") && !strings.HasSuffix(t, "ees") && !strings.HasSuffix(t, "oes"):
		return t[:n-1]
	case t[n-2] != 'u' && t[n-2] != 's' && t[n-2] != 'i':
		return t[:n-1]
	}
	return t
}
