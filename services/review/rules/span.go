package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// ContextBytes is about how much text a span carries on each side, cut back
// to a rune boundary so it is always valid UTF-8.
const ContextBytes = 40

// Span is one match in a field's text. Offsets are half-open, in bytes
// (Start, End) and in runes (RuneStart, RuneEnd).
type Span struct {
	Start, End         int
	RuneStart, RuneEnd int
	Text               string
	Before, After      string
}

func span(text string, first, last token) Span {
	sp := Span{
		Start: first.start, End: last.end,
		RuneStart: first.rstart, RuneEnd: last.rend,
		Text: text[first.start:last.end],
	}
	b := max(sp.Start-ContextBytes, 0)
	for b < sp.Start && !utf8.RuneStart(text[b]) {
		b++
	}
	e := min(sp.End+ContextBytes, len(text))
	for e > sp.End && e < len(text) && !utf8.RuneStart(text[e]) {
		e--
	}
	sp.Before, sp.After = text[b:sp.Start], text[sp.End:e]
	return sp
}

// FlagID is a short, deterministic id for a rule's finding in a field,
// keyed by the first matched text (case, apostrophes and spacing
// normalized; for a cooccurrence, the first pair, "Putin invasion"). The same passage flagged again in a later revision gets the
// same id, which is how decisions carry over.
func FlagID(ruleID, field, matched string) string {
	var words []string
	for _, t := range tokenize(matched) {
		words = append(words, t.norm)
	}
	h := sha256.Sum256([]byte(ruleID + "\x00" + field + "\x00" + strings.Join(words, " ")))
	return hex.EncodeToString(h[:8])
}
