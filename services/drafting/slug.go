package drafting

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxSlug is the longest slug accepted or derived.
const MaxSlug = 100

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// special transliterates letters that do not decompose into an ASCII letter
// plus accents.
var special = map[rune]string{
	'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe",
	'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d",
	'ð': "d", 'Ð': "d", 'þ': "th", 'Þ': "th", 'ı': "i", 'ħ': "h", 'Ħ': "h",
	'&': " and ",
}

// Slugify derives a URL slug from a headline: ASCII letters and digits in
// lower case, accents stripped (é→e, ß→ss), anything else a word break,
// words joined by single hyphens and cut at a word boundary to MaxSlug.
// It returns "" when nothing ASCII is left (a headline in Chinese, say);
// the caller then falls back to the id.
func Slugify(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		case unicode.Is(unicode.Mn, r):
			// A combining accent: drop it, keep the base letter.
		case r == '\'' || r == '’':
			// "Don't" → "dont", not "don-t".
		default:
			if t, ok := special[r]; ok {
				b.WriteString(t)
			} else {
				b.WriteByte(' ')
			}
		}
	}
	words := strings.Fields(b.String())
	out := ""
	for _, w := range words {
		next := w
		if out != "" {
			next = out + "-" + w
		}
		if len(next) > MaxSlug {
			if out == "" {
				out = w[:MaxSlug]
			}
			break
		}
		out = next
	}
	return out
}
