package rules

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What the scan loop does with a byte of text, besides feeding it to the
// automaton. Almost every byte is plain.
const (
	bPlain   = iota
	bGap     // space, tab, CR, hyphen: folded with its neighbours into one gap
	bNewline // a gap, unless it starts a blank line or a Markdown block
	bStop    // . ! ?: may end a sentence
	bQuote   // "
	bBracket // ]: may start a Markdown link target
	bHigh    // a byte of a multi-byte character (’ “ ” « » … NBSP among them)
)

// kindShift: a tab entry at or above it is a byte the scan must look at.
const kindShift = 1 << 8

var byteKind = func() (t [256]uint8) {
	for _, c := range " \t\r-" {
		t[c] = bGap
	}
	t['\n'] = bNewline
	t['.'], t['!'], t['?'] = bStop, bStop, bStop
	t['"'] = bQuote
	t[']'] = bBracket
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = bHigh
	}
	return t
}()

var asciiWord = func() (t [128]bool) {
	for c := 0; c < 128; c++ {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	return t
}()

func isWordRune(c rune) bool {
	if c < utf8.RuneSelf {
		return asciiWord[c]
	}
	return unicode.IsLetter(c) || unicode.IsDigit(c) || unicode.Is(unicode.Mn, c)
}

func isApostrophe(c rune) bool { return c == '\'' || c == '’' || c == 'ʼ' }

// isGapRune reports the characters that separate the words of a phrase.
func isGapRune(c rune) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\u00a0', '-', '‐', '‑':
		return true
	}
	return false
}

// wordEndsAt reports whether the character ending at byte p is a word
// character.
func wordEndsAt(t string, p int) bool {
	if p <= 0 {
		return false
	}
	if c := t[p-1]; c < utf8.RuneSelf {
		return asciiWord[c]
	}
	r, _ := utf8.DecodeLastRuneInString(t[:p])
	return isWordRune(r)
}

// wordStartsAt reports whether the character at byte p is a word character.
func wordStartsAt(t string, p int) bool {
	if p >= len(t) {
		return false
	}
	if c := t[p]; c < utf8.RuneSelf {
		return asciiWord[c]
	}
	r, _ := utf8.DecodeRuneInString(t[p:])
	return isWordRune(r)
}

// leftBoundary reports whether a word starts at byte s: what comes before
// is not a word character, nor an apostrophe inside a word ("o'clock").
func leftBoundary(t string, s int) bool {
	if s == 0 {
		return true
	}
	c := t[s-1]
	if c < utf8.RuneSelf {
		if asciiWord[c] {
			return false
		}
		return c != '\'' || !wordEndsAt(t, s-1)
	}
	r, n := utf8.DecodeLastRuneInString(t[:s])
	if r == '’' || r == 'ʼ' {
		return !wordEndsAt(t, s-n)
	}
	return !isWordRune(r)
}

// rightBoundary reports whether a word ends at byte e: what follows is not
// a word character, nor an apostrophe that continues the word ("hasn't");
// a possessive "'s" ends it ("Putin's").
func rightBoundary(t string, e int) bool {
	if e >= len(t) {
		return true
	}
	c := t[e]
	if c < utf8.RuneSelf {
		if asciiWord[c] {
			return false
		}
		return c != '\'' || !continuesWord(t, e+1)
	}
	r, n := utf8.DecodeRuneInString(t[e:])
	if r == '’' || r == 'ʼ' {
		return !continuesWord(t, e+n)
	}
	return !isWordRune(r)
}

// continuesWord reports whether the text after an apostrophe at p carries
// the word on: a letter that is not the s of a possessive.
func continuesWord(t string, p int) bool {
	if p >= len(t) {
		return false
	}
	r, n := utf8.DecodeRuneInString(t[p:])
	if !unicode.IsLetter(r) {
		return false
	}
	if (r == 's' || r == 'S') && !wordStartsAt(t, p+n) {
		return false
	}
	return true
}

// abbrevs end with a period that does not end a sentence ("Mr. Putin").
var abbrevs = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "gen": true, "sen": true,
	"rep": true, "gov": true, "lt": true, "col": true, "sgt": true, "capt": true, "cmdr": true,
	"adm": true, "maj": true, "st": true, "jr": true, "sr": true, "rev": true, "hon": true,
	"pres": true, "vs": true, "no": true, "inc": true, "corp": true, "co": true, "ltd": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "aug": true, "sept": true, "sep": true,
	"oct": true, "nov": true, "dec": true, "approx": true, "est": true, "dept": true, "fig": true,
	"vol": true, "ave": true, "rd": true, "mt": true, "ft": true, "supt": true, "insp": true,
}

// sentenceEnd reports whether the . ! or ? at p ends a sentence, and where
// the next one starts: closing quotes and brackets may follow, then there
// must be a space or a line break. A period after an abbreviation or an
// initial ("Mr.", "U.S.") ends nothing.
func sentenceEnd(t string, p int) (int, bool) {
	j := p + 1
	for j < len(t) {
		switch c := t[j]; {
		case c == '"' || c == '\'' || c == ')' || c == ']' || c == '.' || c == '!' || c == '?':
			j++
			continue
		case c == 0xE2 && j+2 < len(t) && t[j+1] == 0x80 && (t[j+2] == 0x9D || t[j+2] == 0x99):
			j += 3 // ” ’
			continue
		case c == 0xC2 && j+1 < len(t) && t[j+1] == 0xBB:
			j += 2 // »
			continue
		}
		break
	}
	if j >= len(t) {
		return 0, false
	}
	switch c := t[j]; {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r':
	case c == 0xC2 && j+1 < len(t) && t[j+1] == 0xA0:
	default:
		return 0, false
	}
	if t[p] == '.' && p > 0 && t[p-1] < utf8.RuneSelf && asciiWord[t[p-1]] {
		k := p
		for k > 0 && t[k-1] < utf8.RuneSelf && asciiWord[t[k-1]] && p-k < 8 {
			k--
		}
		if p-k == 1 && t[k] > '9' && (k == 0 || !wordEndsAt(t, k)) {
			return 0, false // an initial
		}
		if p-k <= 6 && (k == 0 || !wordEndsAt(t, k)) {
			var buf [8]byte
			w := buf[:0]
			for _, c := range []byte(t[k:p]) {
				w = append(w, c|0x20)
			}
			if abbrevs[string(w)] {
				return 0, false
			}
		}
	}
	return j, true
}

// blockBreak reports whether the line break at p ends a paragraph: the
// next line is blank or starts a Markdown block (heading, list item,
// quote, table row).
func blockBreak(t string, p int) bool {
	j := p + 1
	for j < len(t) && (t[j] == ' ' || t[j] == '\t' || t[j] == '\r') {
		j++
	}
	if j >= len(t) {
		return false
	}
	switch t[j] {
	case '\n', '#', '>', '|', '*', '+', '-':
		return true
	}
	k := j
	for k < len(t) && t[k] >= '0' && t[k] <= '9' {
		k++
	}
	return k > j && k < len(t) && (t[k] == '.' || t[k] == ')')
}

// linkTarget returns the end of a Markdown link target "](…)" starting at
// the ']' at p, or -1.
func linkTarget(t string, p int) int {
	if p+1 >= len(t) || t[p+1] != '(' {
		return -1
	}
	k := strings.IndexAny(t[p+2:], ") \t\n")
	if k < 0 || t[p+2+k] != ')' {
		return -1
	}
	return p + 2 + k + 1
}

// urlEnd returns where a bare URL starting at s ends.
func urlEnd(t string, s int) int {
	k := strings.IndexAny(t[s:], " \t\n)]>\"")
	if k < 0 {
		return len(t)
	}
	return s + k
}

// normTerm is the matching form of a term: lower case, apostrophes
// straight, any run of spaces and hyphens one space. Terms are words, so
// other punctuation is refused: pattern rules are for that.
func normTerm(s string) (string, error) {
	var b strings.Builder
	gap, words := false, false
	for _, c := range s {
		switch {
		case isWordRune(c):
			if gap && b.Len() > 0 {
				b.WriteByte(' ')
			}
			gap = false
			words = true
			b.WriteRune(unicode.ToLower(c))
		case isApostrophe(c):
			if b.Len() == 0 || gap {
				return "", fmt.Errorf("term %q: an apostrophe must follow a letter", s)
			}
			b.WriteByte('\'')
		case isGapRune(c):
			gap = true
		default:
			return "", fmt.Errorf("term %q: %q is not a letter, digit, apostrophe, space or hyphen (use a pattern rule for punctuation)", s, c)
		}
	}
	out := b.String()
	if !words {
		return "", fmt.Errorf("term %q has no words", s)
	}
	if strings.HasSuffix(out, "'") {
		return "", fmt.Errorf("term %q: an apostrophe may not end a term", s)
	}
	if len(out) > maxTermBytes {
		return "", fmt.Errorf("term %q is longer than %d bytes", s, maxTermBytes)
	}
	return out, nil
}

// maxTermBytes bounds a term so the scan's position ring can always find
// where a match started.
const maxTermBytes = 200

// upperNonASCII returns s with its non-ASCII letters in upper case: the scan
// folds only ASCII case, so "Erdoğan" is also compiled as "erdoĞan" to
// match "ERDOĞAN".
func upperNonASCII(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= utf8.RuneSelf {
			return unicode.ToUpper(c)
		}
		return c
	}, s)
}

// appendNormKey appends the form of text a passage's identity is keyed by:
// words in lower case, apostrophes straight, everything between words one
// space. A change of punctuation or spacing keeps a decision; a changed
// word does not.
func appendNormKey(dst []byte, s string) []byte {
	start := len(dst)
	gap := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case asciiWord[c]:
				if gap && len(dst) > start {
					dst = append(dst, ' ')
				}
				gap = false
				dst = append(dst, c|0x20*byte(b2i(c >= 'A' && c <= 'Z')))
			case c == '\'':
				dst = append(dst, c)
			default:
				gap = true
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case isWordRune(r):
			if gap && len(dst) > start {
				dst = append(dst, ' ')
			}
			gap = false
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		case isApostrophe(r):
			dst = append(dst, '\'')
		default:
			gap = true
		}
	}
	return dst
}

// hashNormKey is fnvBytes(h, appendNormKey(nil, s)) without building the
// form: every span's key hashes its sentence, so it runs over most of the
// text of a heavily flagged article.
func hashNormKey(h uint64, s string) uint64 {
	emitted, gap := false, false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case asciiWord[c]:
				if gap && emitted {
					h = fnvByte(h, ' ')
				}
				gap, emitted = false, true
				if c >= 'A' && c <= 'Z' {
					c |= 0x20
				}
				h = fnvByte(h, c)
			case c == '\'':
				h = fnvByte(h, c)
				emitted = true
			default:
				gap = true
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case isWordRune(r):
			if gap && emitted {
				h = fnvByte(h, ' ')
			}
			gap, emitted = false, true
			var buf [utf8.UTFMax]byte
			h = fnvBytes(h, utf8.AppendRune(buf[:0], unicode.ToLower(r)))
		case isApostrophe(r):
			h = fnvByte(h, '\'')
			emitted = true
		default:
			gap = true
		}
	}
	return h
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
